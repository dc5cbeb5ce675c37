#include "detect/detectors/suspicious_port/suspicious_port.h"

#include <tuple>

#include <fmt/format.h>

#include "detect/util.h"

namespace sentinel::detect {
namespace {

// A service on a known backdoor / C2 port answered a client. Only flows touching a listed port
// are tracked. The service side is learnt from the handshake (the SYN's destination, the
// SYN-ACK's source); for a flow first seen mid-way, the first packet's destination is taken as
// the service (as connection tracking does). The flow alerts once the service has answered with
// anything but a RST, so probes of a scanner, its targets' RST replies and a client whose
// ephemeral port happens to be on the list stay silent.
class SuspiciousPort final : public Detector {
  public:
    const DetectorInfo& info() const override { return kInfo; }

    Status configure(const config::DetectorConfig& c) override {
        ports_.assign(c.suspicious_ports);
        flows_.reset(c.max_tracked_hosts);
        flows_.attach(state_);
        return Status::ok();
    }

    void on_packet(const decode::Packet& p, Context& ctx) override {
        if (!p.is_ip() || (!ports_.contains(p.src_port) && !ports_.contains(p.dst_port))) {
            return;
        }
        const bool tcp = (p.layers & decode::kLayerTcp) != 0;
        const uint8_t flags = tcp ? p.tcp_flags : 0;
        if (flags & decode::tcp_flags::kRst) {
            return;  // a refusal says nothing about a running service
        }
        // Canonical flow key: the lower endpoint first, so both directions share an entry.
        const bool src_first = std::tie(p.src_ip, p.src_port) < std::tie(p.dst_ip, p.dst_port);
        const Key key = src_first ? Key{p.src_ip, p.dst_ip, p.src_port, p.dst_port, tcp}
                                  : Key{p.dst_ip, p.src_ip, p.dst_port, p.src_port, tcp};
        const bool syn = (flags & decode::tcp_flags::kSyn) != 0;
        const bool ack = (flags & decode::tcp_flags::kAck) != 0;
        auto slot = flows_.find(key);
        if (slot == LruTable<Key, KeyHash, KeyEqual>::kNone) {
            if (!is_unicast(p.dst_ip)) {
                return;  // broadcast discovery (e.g. UDP 6667 of smart-home devices)
            }
            slot = flows_.find_or_insert(key).index;
            // The first packet's destination is the service, unless it is the SYN-ACK.
            state_[slot] = FlowState{};
            state_[slot].server_is_first = (syn && ack) ? src_first : !src_first;
        } else if (syn && !ack) {
            state_[slot].server_is_first = !src_first;
        } else if (syn && ack) {
            state_[slot].server_is_first = src_first;
        }
        FlowState& st = state_[slot];
        const bool from_server = st.server_is_first == src_first;
        if (!from_server || st.alerted) {
            return;
        }
        const uint16_t service_port = p.src_port;
        if (!ports_.contains(service_port)) {
            return;
        }
        st.alerted = true;
        const IpAddress& client = p.dst_ip;
        const IpAddress& server = p.src_ip;
        // The original looks up the far end: the destination when the source is internal.
        const IpAddress& remote = client.is_internal() ? server : client;
        ctx.reputation().request(remote, intel::Priority::kDetector);
        if (!ctx.claim(client, service_port, p.ts)) {
            return;
        }
        const intel::Verdict v = ctx.reputation().ip(remote);
        const std::string client_text = client.to_string();
        std::string message =
            fmt::format("{}:{} -> {}:{}  (port {} = C2/backdoor)", client_text, p.dst_port,
                        server.to_string(), service_port, service_port);
        intel::append_suffix(message, v);
        ctx.emit(make_alert(p.ts, intel::adjust_severity(schema::Severity::kMedium, v.tier),
                            kInfo.category, std::move(message),
                            fmt::format("{}:{}", client_text, service_port)));
    }

    void collect(CounterList& out) const override {
        collect_table("suspicious_port.flows", flows_, out);
        collect_bytes("suspicious_port", flows_.memory_bytes(), flows_.memory_bytes_at_cap(), out);
    }

  private:
    struct Key {
        IpAddress a, b;
        uint16_t port_a = 0, port_b = 0;
        bool tcp = false;
    };
    struct KeyHash {
        size_t operator()(const Key& k) const noexcept {
            return IpHash{}(k.a) * 31 ^ IpHash {}(k.b) ^
                   ((static_cast<size_t>(k.port_a) << 17 | k.port_b) * 0x9e3779b97f4a7c15ull) ^
                   k.tcp;
        }
    };
    struct KeyEqual {
        bool operator()(const Key& x, const Key& y) const noexcept {
            return x.port_a == y.port_a && x.port_b == y.port_b && x.tcp == y.tcp &&
                   same_address(x.a, y.a) && same_address(x.b, y.b);
        }
    };
    struct FlowState {
        bool server_is_first = false;  // the service is endpoint a of the key
        bool alerted = false;
    };

    static constexpr DetectorInfo kInfo{"suspicious_port", "SUSPICIOUS PORT",
                                        decode::kLayerTcp | decode::kLayerUdp};
    PortSet ports_;
    LruTable<Key, KeyHash, KeyEqual> flows_;
    std::vector<FlowState> state_;
};

}  // namespace

std::unique_ptr<Detector> create_suspicious_port() { return std::make_unique<SuspiciousPort>(); }

}  // namespace sentinel::detect
