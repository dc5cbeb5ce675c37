#include "virustotal/worker.h"
#include "common/json_input.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <limits>
#include <optional>
#include <utility>

#include "common/log.h"

namespace sentinel::virustotal {

namespace {

constexpr int64_t kMinuteMs = 60'000;
constexpr int64_t kDayMs = 86'400'000;
constexpr int64_t kErrorLogIntervalMs = 60'000;

uint32_t count_field(const nlohmann::json& stats, const char* name) {
    const auto it = stats.find(name);
    if (it == stats.end() || !it->is_number()) {
        return 0;
    }
    const double v = it->get<double>();
    return v <= 0 ? 0 : static_cast<uint32_t>(std::min(v, 1e9));
}

std::string text_field(const nlohmann::json& attributes, const char* name) {
    const auto it = attributes.find(name);
    return it != attributes.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// data.attributes of a v3 object; nullopt when the shape is not what the API documents.
std::optional<Report> parse_report(const std::string& body) {
    try {
        const auto parsed = json_input::parse(body);
        if (!parsed || !parsed->is_object()) {
            return std::nullopt;
        }
        const nlohmann::json& doc = *parsed;
        const auto data = doc.find("data");
        if (data == doc.end() || !data->is_object()) {
            return std::nullopt;
        }
        const auto attributes = data->find("attributes");
        if (attributes == data->end() || !attributes->is_object()) {
            return std::nullopt;
        }
        Report r;
        const auto stats = attributes->find("last_analysis_stats");
        if (stats != attributes->end() && stats->is_object()) {
            r.malicious = count_field(*stats, "malicious");
            r.suspicious = count_field(*stats, "suspicious");
            r.harmless = count_field(*stats, "harmless");
            r.undetected = count_field(*stats, "undetected");
        }
        const auto rep = attributes->find("reputation");
        if (rep != attributes->end() && rep->is_number()) {
            r.reputation = static_cast<int32_t>(std::clamp(rep->get<double>(), -1e6, 1e6));
        }
        r.country = text_field(*attributes, "country");
        r.as_owner = text_field(*attributes, "as_owner");
        if (r.as_owner.empty()) {
            r.as_owner = text_field(*attributes, "registrar");
        }
        return r;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

}  // namespace

int64_t SystemClock::now_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

Worker::Worker(WorkerOptions options, const Clock& clock, Transport& transport, Cache* cache)
    : options_(options), clock_(clock), transport_(transport), cache_(cache) {
    if (options_.requests_per_minute < 1) {
        options_.requests_per_minute = 1;
    }
    if (options_.queue_capacity < 1) {
        options_.queue_capacity = 1;
    }
    refresh_day(clock_.now_ms());
    if (cache_ != nullptr) {
        (void)cache_->prune(clock_.now_ms() / 1000, options_.cache_max_rows);
    }
}

std::string Worker::cache_key(const Lookup& lookup) {
    return (lookup.kind == intel::LookupKind::kIp ? "ip:" : "domain:") + lookup.indicator;
}

void Worker::refresh_day(int64_t now_ms) {
    const int64_t day = now_ms / kDayMs;
    if (day != day_) {
        day_ = day;
        used_today_ = cache_ != nullptr ? cache_->used_on(day) : 0;
        update_gauges();
    }
}

void Worker::update_gauges() {
    counters_.quota_left.store(
        used_today_ >= options_.daily_quota ? 0 : options_.daily_quota - used_today_);
    counters_.queued.store(queued());
}

int64_t Worker::limiter_ready_ms() const {
    if (starts_.size() < options_.requests_per_minute) {
        return 0;
    }
    return starts_[starts_.size() - options_.requests_per_minute] + kMinuteMs;
}

int64_t Worker::next_due_ms() const {
    if (queued() == 0) {
        return std::numeric_limits<int64_t>::max();
    }
    if (disabled()) {
        return 0;
    }
    const int64_t now = clock_.now_ms();
    if (now / kDayMs == day_ && used_today_ >= options_.daily_quota) {
        return 0;  // step() answers everything queued as failed
    }
    return std::max(backoff_until_ms_, limiter_ready_ms());
}

void Worker::fail(const Lookup& lookup, uint32_t retry_seconds, std::vector<Outcome>& out) {
    Outcome o;
    o.lookup = lookup;
    o.found = false;
    o.retry_seconds = retry_seconds;
    out.push_back(std::move(o));
}

void Worker::fail_all(uint32_t retry_seconds, std::vector<Outcome>& out) {
    for (auto* q : {&detector_, &warm_}) {
        for (const Item& item : *q) {
            fail(item.lookup, retry_seconds, out);
        }
        q->clear();
    }
    queued_keys_.clear();
    update_gauges();
}

void Worker::submit(const Lookup& lookup, intel::Priority priority, std::vector<Outcome>& out) {
    if (disabled()) {
        fail(lookup, 86'400, out);
        return;
    }
    std::string key = cache_key(lookup);
    if (const auto it = queued_keys_.find(key); it != queued_keys_.end()) {
        if (priority == intel::Priority::kDetector && it->second == intel::Priority::kWarm) {
            // A detector now counts this endpoint: move it ahead of passive warming.
            const auto w = std::find_if(warm_.begin(), warm_.end(),
                                        [&](const Item& i) { return i.key == key; });
            if (w != warm_.end()) {
                detector_.push_back(std::move(*w));
                warm_.erase(w);
            }
            it->second = intel::Priority::kDetector;
        }
        return;
    }
    const int64_t now = clock_.now_ms();
    if (cache_ != nullptr) {
        if (auto cached = cache_->get(key, now / 1000)) {
            counters_.cache_hits.fetch_add(1);
            Outcome o;
            o.lookup = lookup;
            o.found = true;
            o.ttl_seconds =
                static_cast<uint32_t>(std::max<int64_t>(cached->expires_at - now / 1000, 1));
            o.report = std::move(*cached);
            out.push_back(std::move(o));
            return;
        }
    }
    if (queued() >= options_.queue_capacity) {
        counters_.queue_drops.fetch_add(1);
        if (priority == intel::Priority::kDetector && !warm_.empty()) {
            fail(warm_.front().lookup, options_.failure_retry, out);
            queued_keys_.erase(warm_.front().key);
            warm_.pop_front();
        } else {
            fail(lookup, options_.failure_retry, out);
            return;
        }
    }
    queued_keys_.emplace(key, priority);
    (priority == intel::Priority::kDetector ? detector_ : warm_)
        .push_back(Item{lookup, std::move(key), 0});
    update_gauges();
}

void Worker::requeue(Item item, intel::Priority priority) {
    queued_keys_.emplace(item.key, priority);
    (priority == intel::Priority::kDetector ? detector_ : warm_).push_front(std::move(item));
}

void Worker::step(std::vector<Outcome>& out) {
    const int64_t now = clock_.now_ms();
    if (disabled()) {
        fail_all(86'400, out);
        return;
    }
    if (queued() == 0 || now < backoff_until_ms_) {
        return;
    }
    refresh_day(now);
    if (used_today_ >= options_.daily_quota) {
        const auto to_midnight = static_cast<uint32_t>(((day_ + 1) * kDayMs - now) / 1000 + 1);
        fail_all(to_midnight, out);
        return;
    }
    while (!starts_.empty() && starts_.front() + kMinuteMs <= now) {
        starts_.pop_front();
    }
    if (now < limiter_ready_ms()) {
        return;
    }
    const intel::Priority priority =
        detector_.empty() ? intel::Priority::kWarm : intel::Priority::kDetector;
    auto& queue = detector_.empty() ? warm_ : detector_;
    Item item = std::move(queue.front());
    queue.pop_front();
    queued_keys_.erase(item.key);

    starts_.push_back(now);
    ++used_today_;
    if (cache_ != nullptr) {
        (void)cache_->set_used(day_, used_today_);
    }
    const std::string path =
        (item.lookup.kind == intel::LookupKind::kIp ? "/ip_addresses/" : "/domains/") +
        item.lookup.indicator;
    counters_.requests.fetch_add(1);
    const HttpResponse response = transport_.get(path);
    handle(std::move(item), priority, response, out);
    update_gauges();
}

void Worker::finish(const Item& item, Report report, std::vector<Outcome>& out) {
    const int64_t now_s = clock_.now_ms() / 1000;
    const uint32_t ttl = report.malicious >= 3 ? options_.malicious_ttl : options_.clean_ttl;
    report.expires_at = now_s + ttl;
    if (cache_ != nullptr) {
        const Status stored = cache_->put(item.key, report);
        if (!stored) {
            SENTINEL_LOG(warn, "reputation", "the reputation cache could not be written: {}",
                         stored.message());
        }
    }
    Outcome o;
    o.lookup = item.lookup;
    o.found = true;
    o.ttl_seconds = ttl;
    o.report = std::move(report);
    out.push_back(std::move(o));
}

void Worker::handle(Item item, intel::Priority priority, const HttpResponse& response,
                    std::vector<Outcome>& out) {
    const int64_t now = clock_.now_ms();
    const long status = response.status;
    if (status == 200) {
        auto report = parse_report(response.body);
        if (!report) {
            counters_.errors.fetch_add(1);
            SENTINEL_LOG(warn, "reputation", "VirusTotal answered {} with an unexpected body",
                         item.lookup.indicator);
            fail(item.lookup, options_.failure_retry, out);
            return;
        }
        counters_.hits.fetch_add(1);
        const intel::Tier tier =
            intel::tier_for(report->malicious, report->suspicious, report->reputation);
        if (tier >= intel::Tier::kMedium) {
            SENTINEL_LOG(warn, "reputation", "VirusTotal: {} is {} ({} malicious, {} suspicious)",
                         item.lookup.indicator, intel::to_string(tier), report->malicious,
                         report->suspicious);
        }
        finish(item, std::move(*report), out);
        return;
    }
    if (status == 404) {
        counters_.not_found.fetch_add(1);
        Report clean;
        clean.not_found = true;
        finish(item, std::move(clean), out);
        return;
    }
    if (status == 401) {
        counters_.disabled.store(true);
        SENTINEL_LOG(error, "reputation",
                     "VirusTotal rejected the API key (HTTP 401); reputation lookups are off "
                     "until the agent restarts");
        fail(item.lookup, 86'400, out);
        fail_all(86'400, out);
        return;
    }
    if (status == 429) {
        counters_.rate_limited.fetch_add(1);
        const int64_t wait_s = response.retry_after_seconds.value_or(options_.default_retry_after);
        backoff_until_ms_ = now + wait_s * 1000;
        SENTINEL_LOG(warn, "reputation",
                     "VirusTotal asked to slow down (HTTP 429); next lookup "
                     "in {} s",
                     wait_s);
        requeue(std::move(item), priority);
        return;
    }
    counters_.errors.fetch_add(1);
    const bool transient = status == 0 || status >= 500;
    if (now - last_error_log_ms_ >= kErrorLogIntervalMs) {
        last_error_log_ms_ = now;
        if (status == 0) {
            SENTINEL_LOG(warn, "reputation", "VirusTotal could not be reached: {}", response.error);
        } else {
            SENTINEL_LOG(warn, "reputation", "VirusTotal answered HTTP {} for {}", status,
                         item.lookup.indicator);
        }
    }
    if (transient && item.attempts + 1 < options_.max_attempts) {
        const int64_t backoff_s = static_cast<int64_t>(options_.error_backoff)
                                  << std::min<uint32_t>(item.attempts, 16);
        backoff_until_ms_ = now + backoff_s * 1000;
        ++item.attempts;
        requeue(std::move(item), priority);
        return;
    }
    fail(item.lookup, options_.failure_retry, out);
}

}  // namespace sentinel::virustotal
