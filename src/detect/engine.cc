#include "detect/engine.h"

#include <algorithm>
#include <cctype>
#include <optional>

namespace sentinel::detect {

class Engine::DetectorContext final : public Context {
  public:
    explicit DetectorContext(Engine& engine) : engine_(engine) {}

    intel::ReputationView& reputation() override { return engine_.reputation_; }
    bool claim(const IpAddress& ip, uint16_t port, Timestamp now) override {
        return engine_.claim(current_, ip, port, now);
    }
    void emit(schema::Alert&& alert) override { engine_.emit(current_, std::move(alert)); }
    void warm(const IpAddress& address) override { engine_.warm(address); }
    void warm_domain(std::string_view name) override { engine_.warm_domain(name); }

    uint32_t current_ = 0;

  private:
    Engine& engine_;
};

namespace {

// The firing packet's 5-tuple, when the alert is about one of its two addresses: a detector that
// fires on a sweep of its tables may be looking at an unrelated packet.
std::optional<schema::Flow> flow_of(const decode::Packet& p, std::string_view alert_src) {
    if (!p.is_ip() || p.is_later_fragment) {
        return std::nullopt;
    }
    // SUSPICIOUS PORT keys its source as "ip:port" (IPv4) or "[ip]:port" (IPv6).
    std::string_view host = alert_src;
    if (!host.empty() && host.front() == '[') {
        host = host.substr(
            1, host.find(']') == std::string_view::npos ? host.size() - 1 : host.find(']') - 1);
    } else if (std::count(host.begin(), host.end(), ':') == 1) {
        host = host.substr(0, host.find(':'));
    }
    const auto ip = IpAddress::parse(host);
    if (!ip || !(same_address(*ip, p.src_ip) || same_address(*ip, p.dst_ip))) {
        return std::nullopt;
    }
    schema::Flow f;
    f.src_ip = p.src_ip.to_string();
    f.dest_ip = p.dst_ip.to_string();
    f.proto = p.ip_protocol;
    if (p.layers & (decode::kLayerTcp | decode::kLayerUdp)) {
        f.src_port = p.src_port;
        f.dest_port = p.dst_port;
    } else if (p.layers & (decode::kLayerIcmp | decode::kLayerIcmpv6)) {
        f.src_port = p.icmp_type;
        f.dest_port = p.icmp_code;
    }
    return f;
}

}  // namespace

Engine::Engine(intel::ReputationView& reputation, AlertSink& sink)
    : reputation_(reputation), sink_(sink), context_(std::make_unique<DetectorContext>(*this)) {}

Engine::~Engine() = default;

Status Engine::configure(const config::DetectorConfig& config, const Registry& registry,
                         const std::vector<std::string>& only) {
    detectors_.clear();
    wanted_.clear();
    stats_.clear();
    for (const auto& name : only) {
        if (registry.find(name) == nullptr) {
            return Status::error("unknown detector '" + name + "'");
        }
    }
    for (const auto& entry : registry.entries()) {
        if (!only.empty()) {
            bool wanted = false;
            for (const auto& name : only) {
                wanted = wanted || name == entry.name;
            }
            if (!wanted) {
                continue;
            }
        }
        auto detector = entry.factory();
        if (Status s = detector->configure(config); !s.is_ok()) {
            return Status::error(std::string(entry.name) + ": " + s.message());
        }
        wanted_.push_back(detector->info().wanted);
        stats_.push_back({detector->info().category, 0, 0});
        detectors_.push_back(std::move(detector));
    }
    if (config.alert_cooldown < 0) {
        return Status::error("alert_cooldown must not be negative");
    }
    cooldown_ns_ = static_cast<int64_t>(config.alert_cooldown * 1e9);
    const uint32_t cap = config.max_tracked_hosts < 1 ? 1 : config.max_tracked_hosts;
    cooldown_.reset(cap);
    cooldown_.attach(last_emitted_);
    warmed_ips_.fill(0);
    warmed_domains_.fill(0);
    packets_ = 0;
    return Status::ok();
}

void Engine::on_packet(const decode::Packet& packet) {
    ++packets_;
    current_packet_ = &packet;
    const size_t n = detectors_.size();
    for (size_t i = 0; i < n; ++i) {
        if ((packet.layers & wanted_[i]) != 0) {
            context_->current_ = static_cast<uint32_t>(i);
            detectors_[i]->on_packet(packet, *context_);
        }
    }
    current_packet_ = nullptr;
}

bool Engine::claim(uint32_t detector, const IpAddress& ip, uint16_t port, Timestamp now) {
    const auto slot = cooldown_.find_or_insert(CooldownKey{detector, port, ip});
    int64_t& last = last_emitted_[slot.index];
    // A capture whose clock steps back starts a new period rather than suppressing until the
    // old time comes round again.
    if (!slot.inserted && now.ns >= last && now.ns - last < cooldown_ns_) {
        ++stats_[detector].suppressed;
        return false;
    }
    last = now.ns;
    return true;
}

void Engine::emit(uint32_t detector, schema::Alert&& alert) {
    ++stats_[detector].emitted;
    if (!alert.flow && current_packet_ != nullptr) {
        alert.flow = flow_of(*current_packet_, alert.src);
    }
    sink_.emit(std::move(alert));
}

void Engine::warm(const IpAddress& address) {
    if (address.is_internal()) {
        return;
    }
    const uint64_t h = IpHash{}(address) | 1;  // 0 marks an empty cache line
    uint64_t& line = warmed_ips_[h % kWarmCacheSize];
    if (line == h) {
        return;
    }
    line = h;
    ++warm_requests_;
    reputation_.request(address, intel::Priority::kWarm);
}

void Engine::warm_domain(std::string_view name) {
    uint64_t h = 1469598103934665603ull;
    for (const char c : name) {
        h = (h ^ static_cast<uint8_t>(std::tolower(static_cast<unsigned char>(c)))) *
            1099511628211ull;
    }
    h |= 1;
    uint64_t& line = warmed_domains_[h % kWarmCacheSize];
    if (line == h) {
        return;
    }
    line = h;
    ++warm_requests_;
    reputation_.request_domain(name, intel::Priority::kWarm);
}

CounterList Engine::counters() const {
    CounterList out;
    out.push_back({"engine.packets", packets_});
    out.push_back({"engine.cooldown.size", cooldown_.size()});
    out.push_back({"engine.cooldown.allocated", cooldown_.allocated()});
    out.push_back({"engine.cooldown.capacity", cooldown_.capacity()});
    out.push_back({"engine.cooldown.evictions", cooldown_.evictions()});
    out.push_back({"engine.warm_requests", warm_requests_});
    constexpr uint64_t kWarmBytes = sizeof(warmed_ips_) + sizeof(warmed_domains_);
    out.push_back({"engine.state_bytes", cooldown_.memory_bytes() + kWarmBytes});
    out.push_back({"engine.cap_bytes", cooldown_.memory_bytes_at_cap() + kWarmBytes});
    for (const auto& d : detectors_) {
        d->collect(out);
    }
    return out;
}

uint64_t Engine::total_evictions() const { return sum_counters(".evictions"); }

uint64_t Engine::state_bytes() const { return sum_counters("state_bytes"); }

uint64_t Engine::cap_bytes() const { return sum_counters("cap_bytes"); }

uint64_t Engine::sum_counters(std::string_view suffix) const {
    uint64_t total = 0;
    for (const auto& c : counters()) {
        if (c.name.size() >= suffix.size() &&
            c.name.compare(c.name.size() - suffix.size(), suffix.size(), suffix) == 0) {
            total += c.value;
        }
    }
    return total;
}

}  // namespace sentinel::detect
