#include "virustotal/service.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <system_error>
#include <thread>
#include <utility>

#include "common/log.h"

namespace sentinel::virustotal {

namespace {

constexpr size_t kRequestsPerWake = 256;

std::string join_lines(const std::vector<size_t>& lines) {
    std::string out;
    for (const size_t n : lines) {
        out += out.empty() ? "" : ", ";
        out += std::to_string(n);
    }
    return out;
}

}  // namespace

ReputationService::ReputationService(intel::LocalOptions local, ServiceOptions options,
                                     std::vector<intel::FeedSpec> feeds)
    : options_(std::move(options)), local_(std::move(local)), feeds_(std::move(feeds)) {}

ReputationService::~ReputationService() { stop(); }

Status ReputationService::start() {
    if (thread_.joinable()) {
        return Status::error("the reputation service is already running");
    }
    try {
        thread_ = std::thread([this] { run(); });
    } catch (const std::system_error& e) {
        return Status::error(std::string("the reputation thread could not start: ") + e.what());
    }
    return Status::ok();
}

Status ReputationService::prepare() {
    if (thread_.joinable()) {
        return Status::error("prepare() must come before start()");
    }
    if (!feeds_.empty()) {
        reload_feeds();
    }
    if (cache_ != nullptr) {
        const Clock& clock = options_.clock != nullptr ? *options_.clock : system_clock_;
        const int64_t now_s = clock.now_ms() / 1000;
        std::vector<Outcome> outcomes;
        const Status s =
            cache_->for_each_valid(now_s, [&](const std::string& key, const Report& r) {
                Outcome o;
                const bool ip = key.starts_with("ip:");
                if (!ip && !key.starts_with("domain:")) {
                    return;
                }
                o.lookup.kind = ip ? intel::LookupKind::kIp : intel::LookupKind::kDomain;
                o.lookup.indicator = key.substr(ip ? 3 : 7);
                o.found = true;
                o.report = r;
                o.ttl_seconds = static_cast<uint32_t>(std::max<int64_t>(r.expires_at - now_s, 1));
                outcomes.push_back(std::move(o));
                if (outcomes.size() >= 1024) {
                    deliver(outcomes);
                    absorb_now();
                }
            });
        deliver(outcomes);
        absorb_now();
        if (!s.is_ok()) {
            SENTINEL_LOG(warn, "reputation", "cached answers could not be read: {}", s.message());
        }
    }
    local_.poll();
    return Status::ok();
}

void ReputationService::absorb_now() {
    // The packet side takes results through its ring; before capture starts this thread is the
    // packet thread, so it can empty the ring itself as often as the backlog needs.
    while (!backlog_.empty()) {
        local_.poll();
        while (!backlog_.empty() && local_.give_result(backlog_.front())) {
            backlog_.pop_front();
        }
    }
    local_.poll();
}

ResolveReport ReputationService::resolve(const std::vector<intel::LookupRequest>& wanted,
                                         double max_seconds) {
    ResolveReport report;
    report.wanted = wanted.size();
    if (worker_ == nullptr || thread_.joinable()) {
        report.unresolved = wanted.size();
        report.why_unresolved = worker_ == nullptr ? "no API key" : "already running";
        return report;
    }
    const Clock& clock = options_.clock != nullptr ? *options_.clock : system_clock_;
    const int64_t deadline =
        clock.now_ms() + static_cast<int64_t>(std::max(0.0, max_seconds) * 1e3);
    // Detector endpoints first: with a time limit they are the ones that change alerts.
    std::vector<const intel::LookupRequest*> order;
    order.reserve(wanted.size());
    for (const auto& w : wanted) {
        if (w.priority == intel::Priority::kDetector) {
            order.push_back(&w);
        }
    }
    for (const auto& w : wanted) {
        if (w.priority != intel::Priority::kDetector) {
            order.push_back(&w);
        }
    }
    const uint64_t cache_hits_before = worker_->counters().cache_hits.load();
    std::vector<Outcome> outcomes;
    size_t next = 0;
    uint64_t answered = 0;
    uint64_t failed = 0;
    const auto take = [&] {
        for (const Outcome& o : outcomes) {
            (o.found ? answered : failed) += 1;
        }
        deliver(outcomes);
        absorb_now();
    };
    while (true) {
        while (next < order.size() && worker_->queued() < options_.queue_capacity) {
            const intel::LookupRequest& r = *order[next++];
            Lookup lookup;
            lookup.kind = r.kind;
            lookup.indicator =
                r.kind == intel::LookupKind::kIp ? r.ip.to_string() : std::string(r.domain.view());
            worker_->submit(lookup, intel::Priority::kDetector, outcomes);
        }
        take();
        if (worker_->queued() == 0 && next == order.size()) {
            break;
        }
        const int64_t now = clock.now_ms();
        if (now >= deadline) {
            report.why_unresolved = "time limit";
            break;
        }
        if (worker_->next_due_ms() <= now) {
            worker_->step(outcomes);
            continue;
        }
        const int64_t wait = std::min<int64_t>({worker_->next_due_ms() - now, deadline - now, 200});
        std::this_thread::sleep_for(std::chrono::milliseconds(wait));
    }
    if (worker_->disabled()) {
        local_.disable_lookups();
        report.why_unresolved = "API key rejected";
    } else if (worker_->counters().quota_left.load() == 0 && failed > 0) {
        report.why_unresolved = "daily quota";
    } else if (failed > 0 && report.why_unresolved.empty()) {
        report.why_unresolved = "errors";
    }
    report.cached = worker_->counters().cache_hits.load() - cache_hits_before;
    report.looked_up = answered >= report.cached ? answered - report.cached : 0;
    report.unresolved = report.wanted - std::min<uint64_t>(report.wanted, answered);
    return report;
}

void ReputationService::stop() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_.store(true);
    }
    wake_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
}

void ReputationService::reload_feeds() {
    std::vector<intel::FeedReport> reports;
    std::unique_ptr<intel::FeedIndex> index = feeds_.load(reports);
    uint64_t bad = 0;
    for (const intel::FeedReport& r : reports) {
        bad += r.bad_lines;
        if (!r.readable) {
            SENTINEL_LOG(warn, "reputation",
                         "intel feed {} cannot be read; it is loaded when it appears", r.name);
            continue;
        }
        SENTINEL_LOG(info, "reputation", "intel feed {}: {} entries ({})", r.name, r.entries,
                     r.format);
        if (r.bad_lines > 0) {
            SENTINEL_LOG(warn, "reputation",
                         "intel feed {}: {} lines not understood (first at line {})", r.name,
                         r.bad_lines, join_lines(r.first_bad_lines));
        }
    }
    feed_bad_lines_.store(bad);
    feed_reloads_.fetch_add(1);
    local_.publish_feeds(std::move(index));
}

void ReputationService::deliver(std::vector<Outcome>& outcomes) {
    for (Outcome& o : outcomes) {
        intel::LookupResult r;
        r.kind = o.lookup.kind;
        if (o.lookup.kind == intel::LookupKind::kIp) {
            const auto ip = IpAddress::parse(o.lookup.indicator);
            if (!ip) {
                continue;
            }
            r.ip = *ip;
        } else if (!intel::normalize_domain(o.lookup.indicator, r.domain)) {
            continue;
        }
        r.found = o.found;
        r.malicious = o.report.malicious;
        r.suspicious = o.report.suspicious;
        r.reputation = o.report.reputation;
        r.ttl_seconds = o.ttl_seconds;
        r.retry_seconds = o.retry_seconds;
        backlog_.push_back(r);
    }
    outcomes.clear();
    while (!backlog_.empty() && local_.give_result(backlog_.front())) {
        backlog_.pop_front();
    }
}

void ReputationService::run() {
    const Clock& clock = options_.clock != nullptr ? *options_.clock : system_clock_;
    std::vector<Outcome> outcomes;
    int64_t next_feed_check = 0;
    while (!stopping_.load()) {
        const int64_t now = clock.now_ms();
        if (!feeds_.empty() && now >= next_feed_check) {
            if (feeds_.changed()) {
                reload_feeds();
            }
            next_feed_check = now + options_.feed_poll_ms;
        }
        local_.collect_retired();

        intel::LookupRequest request;
        for (size_t n = 0; n < kRequestsPerWake && local_.take_request(request); ++n) {
            if (worker_ == nullptr) {
                continue;
            }
            Lookup lookup;
            lookup.kind = request.kind;
            lookup.indicator = request.kind == intel::LookupKind::kIp
                                   ? request.ip.to_string()
                                   : std::string(request.domain.view());
            worker_->submit(lookup, request.priority, outcomes);
        }
        int64_t due = std::numeric_limits<int64_t>::max();
        if (worker_ != nullptr) {
            if (worker_->next_due_ms() <= clock.now_ms()) {
                worker_->step(outcomes);
            }
            if (worker_->disabled()) {
                local_.disable_lookups();
            }
            due = worker_->next_due_ms();
        }
        deliver(outcomes);

        const int64_t wait_ms =
            std::clamp<int64_t>(due - clock.now_ms(), 0, backlog_.empty() ? options_.idle_ms : 5);
        if (wait_ms > 0) {
            std::unique_lock<std::mutex> lock(mutex_);
            wake_.wait_for(lock, std::chrono::milliseconds(wait_ms),
                           [this] { return stopping_.load(); });
        }
    }
}

ReputationStats ReputationService::stats() const {
    ReputationStats s;
    const intel::LocalCounters& local = local_.counters();
    s.lookups_enabled = local_.lookups_enabled();
    s.cache_size = local.cached.load();
    s.evictions = local.evictions.load();
    s.queue_drops = local.ring_drops.load();
    s.feed_entries = local.feed_entries.load();
    s.feed_reloads = feed_reloads_.load();
    s.feed_bad_lines = feed_bad_lines_.load();
    if (worker_ != nullptr) {
        const WorkerCounters& w = worker_->counters();
        s.disabled = w.disabled.load();
        s.requests = w.requests.load();
        s.hits = w.hits.load();
        s.not_found = w.not_found.load();
        s.errors = w.errors.load();
        s.rate_limited = w.rate_limited.load();
        s.cache_hits = w.cache_hits.load();
        s.quota_left = w.quota_left.load();
        s.queue_drops += w.queue_drops.load();
        s.queued = w.queued.load();
    }
    return s;
}

Result<std::unique_ptr<ReputationService>> make_reputation(const config::Config& config,
                                                           const std::string& state_dir,
                                                           const ServiceOptions& options) {
    std::vector<intel::FeedSpec> feeds;
    for (size_t i = 0; i < config.intel_feeds.size(); ++i) {
        const config::IntelFeed& f = config.intel_feeds[i];
        const auto tier = intel::parse_tier(f.tier);
        if (!tier || *tier == intel::Tier::kClean) {
            return Error{"intel_feeds[" + std::to_string(i) + "].tier must be CRITICAL, HIGH, " +
                         "MEDIUM or LOW (got \"" + f.tier + "\")"};
        }
        if (f.path.empty()) {
            return Error{"intel_feeds[" + std::to_string(i) + "].path is empty"};
        }
        feeds.push_back({f.path, *tier});
    }

    std::string key;
    std::string key_source;
    if (const char* env = std::getenv("VIRUSTOTAL_API_KEY"); env != nullptr && *env != '\0') {
        key = env;
        key_source = "the environment";
    } else if (!config.virustotal_api_key.empty()) {
        key = config.virustotal_api_key;
        key_source = "the config file";
    }

    intel::LocalOptions local;
    local.ip_capacity = options.ip_capacity;
    local.domain_capacity = options.domain_capacity;
    local.ring_capacity = options.ring_capacity;
    local.lookups = !key.empty();
    local.clock = options.packet_clock;
    std::unique_ptr<ReputationService> service(
        new ReputationService(std::move(local), options, std::move(feeds)));
    if (key.empty()) {
        SENTINEL_LOG(info, "reputation",
                     "VirusTotal lookups are off (no API key); offline feeds still apply");
        return service;
    }
    if (config.virustotal_base_url.empty()) {
        return Error{"virustotal_base_url is empty"};
    }
    if (config.vt_requests_per_minute == 0) {
        return Error{"vt_requests_per_minute must be at least 1"};
    }

    std::error_code ec;
    std::filesystem::create_directories(state_dir, ec);
    if (ec) {
        return Error{"state directory " + state_dir + " cannot be created: " + ec.message()};
    }
    auto cache = Cache::open((std::filesystem::path(state_dir) / Cache::file_name()).string());
    if (!cache) {
        return Error{cache.error()};
    }
    service->cache_ = std::move(cache.value());

    TransportOptions http;
    http.base_url = config.virustotal_base_url;
    http.api_key = key;
    http.ca_file = options.ca_file;
    http.abort = &service->stopping_;
    service->transport_ = make_transport(std::move(http));

    WorkerOptions w;
    w.requests_per_minute = config.vt_requests_per_minute;
    w.daily_quota = config.vt_daily_quota;
    w.clean_ttl = config.vt_cache_clean_ttl;
    w.malicious_ttl = config.vt_cache_malicious_ttl;
    w.queue_capacity = options.queue_capacity;
    const Clock& clock = options.clock != nullptr ? *options.clock : service->system_clock_;
    service->worker_ =
        std::make_unique<Worker>(w, clock, *service->transport_, service->cache_.get());
    SENTINEL_LOG(info, "reputation",
                 "VirusTotal lookups are on (key from {}; {} per minute, {} per day)", key_source,
                 w.requests_per_minute, w.daily_quota);
    return service;
}

}  // namespace sentinel::virustotal
