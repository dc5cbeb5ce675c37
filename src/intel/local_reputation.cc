#include "intel/local_reputation.h"

#include <chrono>
#include <utility>

namespace sentinel::intel {

namespace {
// An IPv4-mapped IPv6 address is the IPv4 host it maps: one verdict, one lookup, and a path
// VirusTotal understands.
IpAddress canonical(const IpAddress& a) {
    if (!a.is_v6()) {
        return a;
    }
    const auto& b = a.bytes();
    for (size_t i = 0; i < 10; ++i) {
        if (b[i] != 0) {
            return a;
        }
    }
    return b[10] == 0xff && b[11] == 0xff ? IpAddress::v4(&b[12]) : a;
}

int64_t steady_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}
}  // namespace

LocalReputation::LocalReputation(LocalOptions options)
    : options_(std::move(options)),
      lookups_(options_.lookups),
      ips_(options_.ip_capacity),
      domains_(options_.domain_capacity),
      requests_(options_.ring_capacity),
      results_(options_.ring_capacity) {
    if (!options_.clock) {
        options_.clock = steady_ms;
    }
    now_ms_ = options_.clock();
}

LocalReputation::~LocalReputation() {
    delete feeds_;
    delete incoming_.exchange(nullptr);
    collect_retired();
}

Verdict LocalReputation::to_verdict(const Entry& entry) {
    if (!entry.known) {
        return {};
    }
    Verdict v;
    v.tier = entry.tier;
    v.malicious = entry.malicious;
    v.suspicious = entry.suspicious;
    v.reputation = entry.reputation;
    return v;
}

Verdict LocalReputation::ip(const IpAddress& original) const {
    const IpAddress address = canonical(original);
    Verdict vt;
    if (const Entry* e = ips_.peek(address)) {
        vt = to_verdict(*e);
    }
    if (feeds_ == nullptr) {
        return vt;
    }
    return more_severe(vt, feeds_->ip(address));
}

Verdict LocalReputation::domain(std::string_view name) const {
    DomainName normalized;
    if (!normalize_domain(name, normalized)) {
        return {};
    }
    Verdict vt;
    DomainName key;
    const std::string_view registered = registered_domain(normalized.view());
    if (normalize_domain(registered, key)) {
        if (const Entry* e = domains_.peek(key)) {
            vt = to_verdict(*e);
        }
    }
    if (feeds_ == nullptr) {
        return vt;
    }
    return more_severe(vt, feeds_->domain(normalized.view()));
}

bool LocalReputation::wants_lookup(Entry& entry) const {
    if (entry.pending) {
        return false;
    }
    if (entry.known) {
        return now_ms_ >= entry.expires_ms;  // a stale verdict stays in use until refreshed
    }
    return now_ms_ >= entry.retry_ms;
}

void LocalReputation::submit(Entry& entry, const LookupRequest& request) {
    if (!requests_.push(request)) {
        bump(counters_.ring_drops);
        return;
    }
    entry.pending = true;
    bump(counters_.requests_sent);
}

void LocalReputation::request(const IpAddress& original, Priority priority) {
    const IpAddress address = canonical(original);
    if (!lookups_.load(std::memory_order_relaxed) || address.empty() || address.is_internal()) {
        return;
    }
    Entry& entry = ips_.upsert(address);
    if (!wants_lookup(entry)) {
        return;
    }
    LookupRequest r;
    r.kind = LookupKind::kIp;
    r.priority = priority;
    r.ip = address;
    submit(entry, r);
}

void LocalReputation::request_domain(std::string_view name, Priority priority) {
    if (!lookups_.load(std::memory_order_relaxed)) {
        return;
    }
    DomainName normalized;
    if (!normalize_domain(name, normalized) || !is_lookup_candidate(normalized.view())) {
        return;
    }
    LookupRequest r;
    r.kind = LookupKind::kDomain;
    r.priority = priority;
    if (!normalize_domain(registered_domain(normalized.view()), r.domain)) {
        return;
    }
    Entry& entry = domains_.upsert(r.domain);
    if (!wants_lookup(entry)) {
        return;
    }
    submit(entry, r);
}

void LocalReputation::poll() {
    now_ms_ = options_.clock();
    if (FeedIndex* fresh = incoming_.exchange(nullptr, std::memory_order_acq_rel)) {
        if (feeds_ != nullptr && !retired_.push(feeds_)) {
            delete feeds_;  // the background thread is behind; free here rather than leak
        }
        feeds_ = fresh;
        bump(counters_.feed_swaps);
        counters_.feed_entries.store(fresh->entries(), std::memory_order_relaxed);
    }
    LookupResult r;
    while (results_.pop(r)) {
        Entry& entry = r.kind == LookupKind::kIp ? ips_.upsert(r.ip) : domains_.upsert(r.domain);
        entry.pending = false;
        if (r.found) {
            entry.known = true;
            entry.malicious = r.malicious;
            entry.suspicious = r.suspicious;
            entry.reputation = r.reputation;
            entry.tier = tier_for(r.malicious, r.suspicious, r.reputation);
            entry.expires_ms = now_ms_ + static_cast<int64_t>(r.ttl_seconds) * 1000;
        } else {
            entry.retry_ms = now_ms_ + static_cast<int64_t>(r.retry_seconds) * 1000;
        }
        bump(counters_.results);
    }
    counters_.evictions.store(ips_.evictions() + domains_.evictions(), std::memory_order_relaxed);
    counters_.cached.store(ips_.size() + domains_.size(), std::memory_order_relaxed);
}

void LocalReputation::publish_feeds(std::unique_ptr<FeedIndex> index) {
    // An index the packet thread never picked up can be freed here: it was never shared.
    delete incoming_.exchange(index.release(), std::memory_order_acq_rel);
}

void LocalReputation::collect_retired() {
    const FeedIndex* old = nullptr;
    while (retired_.pop(old)) {
        delete old;
    }
}

}  // namespace sentinel::intel
