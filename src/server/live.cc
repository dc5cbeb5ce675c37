#include "server/live.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "schema/alert_json.h"
#include "server/json_util.h"

namespace sentinel::server {

namespace {

constexpr int64_t kMinuteNs = 60'000'000'000;
constexpr int64_t kSecondNs = 1'000'000'000;
constexpr int64_t kPruneAgentsAfterNs = 86'400 * kSecondNs;
constexpr const char* kOtherKey = "(other)";
constexpr std::array<const char*, 5> kLevelNames = {"INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL"};

}  // namespace

namespace {

void put_workflow(Json& j, const store::Workflow* w) {
    static constexpr std::array<const char*, 3> kStatus = {"new", "acknowledged", "resolved"};
    const store::Workflow none;
    if (!w)
        w = &none;
    auto opt_text = [](const std::string& s) { return s.empty() ? Json() : Json(s); };
    auto opt_time = [](const std::optional<Timestamp>& t) {
        return t ? Json(schema::format_iso8601(*t)) : Json();
    };
    j["status"] = kStatus[std::min<size_t>(static_cast<size_t>(w->status), 2)];
    j["ack_by"] = opt_text(w->ack_by);
    j["ack_at"] = opt_time(w->ack_at);
    j["resolved_by"] = opt_text(w->resolved_by);
    j["resolved_at"] = opt_time(w->resolved_at);
}

}  // namespace

std::string workflow_json(const std::string& id, const store::Workflow& workflow) {
    Json j;
    j["id"] = id;
    put_workflow(j, &workflow);
    return dump(j);
}

std::string alert_json(const schema::Alert& a, const store::Workflow* workflow) {
    Json j;
    j["id"] = a.id;
    j["ts"] = schema::format_iso8601(a.ts);
    j["received_at"] = schema::format_iso8601(a.received_at.value_or(a.ts));
    j["level"] = schema::to_string(a.level);
    j["category"] = a.category;
    j["message"] = a.message;
    j["src"] = a.src;
    j["agent_id"] = a.agent_id;
    j["hostname"] = a.hostname;
    if (a.flow) {
        j["flow"] = schema::flow_to_json(*a.flow);
    }
    put_workflow(j, workflow);
    return dump(j);
}

void Subscriber::add(const std::vector<std::string>& alerts, bool stats, bool timeline, bool agents,
                     const std::string& message) {
    std::lock_guard lock(mu_);
    if (!message.empty()) {
        auto& m = pending_.messages;
        m.push_back(message);
        if (m.size() > kMaxPendingMessages) {
            m.erase(m.begin());
        }
    }
    auto& p = pending_.alerts;
    p.insert(p.end(), alerts.begin(), alerts.end());
    if (p.size() > kMaxPendingAlerts) {
        const size_t drop = p.size() - kMaxPendingAlerts;
        p.erase(p.begin(), p.begin() + static_cast<std::ptrdiff_t>(drop));
        pending_.dropped += drop;
    }
    pending_.stats |= stats;
    pending_.timeline |= timeline;
    pending_.agents |= agents;
}

Subscriber::Pending Subscriber::take() {
    std::lock_guard lock(mu_);
    return std::exchange(pending_, Pending{});
}

LiveState::LiveState(LiveOptions options, Metrics& metrics)
    : options_(options), metrics_(metrics) {}

void LiveState::load(const store::Summary& summary, std::vector<store::AgentRecord> agents) {
    std::lock_guard lock(mu_);
    total_ = summary.total;
    by_level_ = summary.by_level;
    auto fill = [this](const auto& pairs, auto& map, auto& order) {
        auto sorted = pairs;
        std::sort(sorted.begin(), sorted.end(),
                  [](const auto& a, const auto& b) { return a.second > b.second; });
        for (const auto& [k, n] : sorted) {
            count_key(map, order, k, n);
        }
    };
    fill(summary.categories, categories_, category_order_);
    fill(summary.sources, sources_, source_order_);
    for (const auto& [minute, levels] : summary.minutes) {
        minutes_[minute] = levels;
    }
    for (auto& a : agents) {
        auto id = a.agent_id;
        agents_[id] = std::move(a);
    }
}

void LiveState::count_key(std::unordered_map<std::string, uint64_t>& map,
                          std::vector<std::string>& order, const std::string& key, uint64_t n) {
    auto it = map.find(key);
    if (it == map.end()) {
        const std::string& k = map.size() >= options_.max_counter_keys ? kOtherKey : key;
        it = map.find(k);
        if (it == map.end()) {
            it = map.emplace(k, 0).first;
            order.push_back(k);
        }
    }
    it->second += n;
}

bool LiveState::online(const store::AgentRecord& a, Timestamp now) const {
    return static_cast<double>((now - a.last_seen).ns) <
           options_.offline_after_s * static_cast<double>(kSecondNs);
}

LiveState::Admit LiveState::admit_alerts(const AgentContact& who, size_t n, Timestamp now,
                                         store::AgentRecord* record, double* retry_after_s) {
    std::lock_guard lock(mu_);
    auto it = agents_.find(who.agent_id);
    if (it == agents_.end() && agents_.size() >= options_.max_agents) {
        return Admit::kAgentLimit;
    }
    // The rate is judged before anything is registered: a refused request takes no agent slot.
    const auto window = static_cast<int64_t>(options_.rate_window_s * kSecondNs);
    Bucket b;
    if (const auto found = buckets_.find(who.agent_id); found != buckets_.end()) {
        b = found->second;
    }
    if (b.count == 0 || now - b.window_start > Duration{window}) {
        b.count = 0;
        b.window_start = now;
    }
    if (b.count + n > options_.rate_limit) {
        if (retry_after_s) {
            const auto left = (b.window_start + Duration{window} - now).ns;
            *retry_after_s = std::max<double>(1.0, static_cast<double>(left) / kSecondNs);
        }
        return Admit::kRateLimited;
    }
    if (it == agents_.end()) {
        store::AgentRecord r;
        r.agent_id = who.agent_id;
        r.hostname = who.hostname;
        r.first_seen = now;
        it = agents_.emplace(who.agent_id, std::move(r)).first;
    }
    // Only registered agents get a bucket, so buckets are bounded by max_agents.
    b.count += n;
    buckets_[who.agent_id] = b;
    auto& a = it->second;
    a.last_seen = now;
    a.ip = who.ip;
    if (!who.os.empty()) {
        a.os = who.os;
    }
    if (record) {
        *record = a;
    }
    return Admit::kOk;
}

std::optional<store::AgentRecord> LiveState::heartbeat(const AgentContact& who, const Heartbeat& hb,
                                                       Timestamp now) {
    std::lock_guard lock(mu_);
    auto it = agents_.find(who.agent_id);
    if (it == agents_.end()) {
        if (agents_.size() >= options_.max_agents) {
            return std::nullopt;
        }
        store::AgentRecord r;
        r.agent_id = who.agent_id;
        r.hostname = who.hostname;
        r.first_seen = now;
        it = agents_.emplace(who.agent_id, std::move(r)).first;
    }
    auto& a = it->second;
    a.last_seen = now;
    a.ip = who.ip;
    if (!who.os.empty())
        a.os = who.os;
    if (!who.hostname.empty() && who.hostname != "unknown")
        a.hostname = who.hostname;
    if (!hb.version.empty())
        a.version = hb.version;
    a.uptime_s = hb.uptime_s;
    a.packets = hb.packets;
    a.bytes = hb.bytes;
    a.capture_drops = hb.capture_drops;
    a.spool_depth = hb.spool_depth;
    a.spool_dropped = hb.spool_dropped;
    a.extra_json = hb.extra_json;
    return a;
}

void LiveState::alerts_committed(const std::string& agent_id,
                                 const std::vector<schema::Alert>& fresh, bool remote) {
    if (fresh.empty()) {
        notify({}, false, false, true);
        return;
    }
    if (!remote && commit_listener_) {
        commit_listener_(fresh);
    }
    std::vector<std::string> json;
    json.reserve(fresh.size());
    {
        std::lock_guard lock(mu_);
        for (const auto& a : fresh) {
            const auto lvl = static_cast<size_t>(a.level);
            ++total_;
            ++by_level_[lvl];
            count_key(categories_, category_order_, a.category, 1);
            if (!a.src.empty()) {
                count_key(sources_, source_order_, a.src, 1);
            }
            const auto received = a.received_at.value_or(a.ts);
            ++minutes_[received.ns / kMinuteNs][lvl];
            if (!remote) {
                metrics_.alert_stored(lvl);
            }
        }
        if (auto it = agents_.find(agent_id); it != agents_.end()) {
            it->second.alert_count += fresh.size();
        }
        while (minutes_.size() > 180) {
            minutes_.erase(minutes_.begin());
        }
    }
    for (const auto& a : fresh) {
        json.push_back(alert_json(a));
    }
    notify(json, true, true, true);
}

void LiveState::agents_changed() { notify({}, false, false, true); }

void LiveState::broadcast(const std::string& message, bool stats) {
    notify({}, stats, false, false, message);
}

void LiveState::set_suppressed_total(uint64_t total) {
    std::lock_guard lock(mu_);
    suppressed_total_ = total;
}

void LiveState::set_agent_suppressed(const std::string& agent_id, uint64_t n) {
    std::lock_guard lock(mu_);
    // Only registered agents, so the map stays bounded by max_agents.
    if (agents_.count(agent_id)) {
        agent_suppressed_[agent_id] = n;
    }
}

void LiveState::merge_agents(const std::vector<store::AgentRecord>& stored) {
    {
        std::lock_guard lock(mu_);
        for (const auto& rec : stored) {
            auto& mine = agents_[rec.agent_id];
            const auto last_seen = std::max(mine.last_seen, rec.last_seen);
            mine = rec;
            mine.last_seen = last_seen;
        }
    }
    notify({}, false, false, true);
}

std::string LiveState::stats_json(Timestamp now) {
    std::lock_guard lock(mu_);
    Json j;
    j["total"] = total_;
    Json levels = Json::object();
    for (size_t i = 0; i < by_level_.size(); ++i) {
        if (by_level_[i] > 0)
            levels[kLevelNames[i]] = by_level_[i];
    }
    j["by_level"] = levels;
    auto top = [](const std::unordered_map<std::string, uint64_t>& map,
                  const std::vector<std::string>& order, size_t n) {
        std::vector<std::pair<size_t, uint64_t>> idx;  // position in first-seen order, count
        idx.reserve(order.size());
        for (size_t i = 0; i < order.size(); ++i) {
            idx.emplace_back(i, map.at(order[i]));
        }
        const size_t k = std::min(n, idx.size());
        std::partial_sort(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(k), idx.end(),
                          [](const auto& a, const auto& b) {
                              return a.second != b.second ? a.second > b.second : a.first < b.first;
                          });
        Json out = Json::array();
        for (size_t i = 0; i < k; ++i) {
            out.push_back(Json::array({order[idx[i].first], idx[i].second}));
        }
        return out;
    };
    j["by_category"] = top(categories_, category_order_, 20);
    j["top_sources"] = top(sources_, source_order_, 10);
    Levels recent{};
    const int64_t now_min = now.ns / kMinuteNs;
    for (auto it = minutes_.lower_bound(now_min - 14); it != minutes_.end(); ++it) {
        if (it->first > now_min)
            break;
        for (size_t i = 0; i < recent.size(); ++i)
            recent[i] += it->second[i];
    }
    Json rl = Json::object();
    for (size_t i = 0; i < recent.size(); ++i)
        rl[kLevelNames[i]] = recent[i];
    j["recent_by_level"] = rl;
    j["suppressed_total"] = suppressed_total_;
    return dump(j);
}

std::string LiveState::timeline_json(Timestamp now) {
    std::lock_guard lock(mu_);
    const int64_t now_min = now.ns / kMinuteNs;
    Json out = Json::array();
    for (int64_t m = now_min - 59; m <= now_min; ++m) {
        uint64_t sum = 0;
        if (auto it = minutes_.find(m); it != minutes_.end()) {
            for (auto v : it->second)
                sum += v;
        }
        out.push_back(sum);
    }
    return dump(out);
}

std::string LiveState::agents_json(Timestamp now) {
    std::vector<const store::AgentRecord*> list;
    std::lock_guard lock(mu_);
    list.reserve(agents_.size());
    for (const auto& [id, a] : agents_)
        list.push_back(&a);
    std::stable_sort(list.begin(), list.end(),
                     [](auto* a, auto* b) { return a->alert_count > b->alert_count; });
    Json out = Json::array();
    for (const auto* a : list) {
        Json j;
        j["agent_id"] = a->agent_id;
        j["hostname"] = a->hostname;
        j["ip"] = a->ip;
        j["os"] = a->os;
        j["version"] = a->version;
        j["first_seen"] = schema::format_iso8601(a->first_seen);
        j["last_seen"] = schema::format_iso8601(a->last_seen);
        j["alert_count"] = a->alert_count;
        j["online"] = online(*a, now);
        j["packets"] = a->packets;
        j["bytes"] = a->bytes;
        j["capture_drops"] = a->capture_drops;
        j["spool_depth"] = a->spool_depth;
        j["spool_dropped"] = a->spool_dropped;
        j["uptime_s"] = a->uptime_s;
        const auto sup = agent_suppressed_.find(a->agent_id);
        j["suppressed"] = sup == agent_suppressed_.end() ? 0 : sup->second;
        // The agent's footprint from its last heartbeat (absent from older agents).
        if (auto extra = parse_body(a->extra_json); extra && extra->is_object()) {
            for (const char* k :
                 {"rss_bytes", "peak_rss_bytes", "state_bytes", "state_cap_bytes", "startup_ms"}) {
                if (const auto it = extra->find(k); it != extra->end() && it->is_number()) {
                    j[k] = *it;
                }
            }
        }
        out.push_back(std::move(j));
    }
    return dump(out);
}

size_t LiveState::agents_online(Timestamp now) {
    std::lock_guard lock(mu_);
    return static_cast<size_t>(std::count_if(
        agents_.begin(), agents_.end(), [&](const auto& kv) { return online(kv.second, now); }));
}

size_t LiveState::agent_count() {
    std::lock_guard lock(mu_);
    return agents_.size();
}

std::vector<std::string> LiveState::tick(Timestamp now) {
    bool changed = false;
    std::vector<std::string> pruned;
    {
        std::lock_guard lock(mu_);
        for (auto it = agents_.begin(); it != agents_.end();) {
            if ((now - it->second.last_seen).ns > kPruneAgentsAfterNs) {
                pruned.push_back(it->first);
                last_online_.erase(it->first);
                agent_suppressed_.erase(it->first);
                buckets_.erase(it->first);
                it = agents_.erase(it);
                changed = true;
                continue;
            }
            const bool on = online(it->second, now);
            auto [pos, inserted] = last_online_.emplace(it->first, on);
            if (!inserted && pos->second != on) {
                pos->second = on;
                changed |= !on;  // coming online is announced by the contact itself
            }
            ++it;
        }
        const auto window = static_cast<int64_t>(options_.rate_window_s * kSecondNs);
        std::erase_if(buckets_, [&](const auto& kv) {
            return now - kv.second.window_start > Duration{window};
        });
    }
    if (changed) {
        notify({}, false, false, true);
    }
    return pruned;
}

void LiveState::subscribe(const std::shared_ptr<Subscriber>& s) {
    std::lock_guard lock(subs_mu_);
    subs_.push_back(s);
}

void LiveState::unsubscribe(const Subscriber* s) {
    std::lock_guard lock(subs_mu_);
    std::erase_if(subs_, [s](const auto& w) {
        auto p = w.lock();
        return !p || p.get() == s;
    });
}

size_t LiveState::subscriber_count() {
    std::lock_guard lock(subs_mu_);
    return subs_.size();
}

void LiveState::notify(const std::vector<std::string>& alerts, bool stats, bool timeline,
                       bool agents, const std::string& message) {
    std::vector<std::shared_ptr<Subscriber>> targets;
    {
        std::lock_guard lock(subs_mu_);
        targets.reserve(subs_.size());
        for (const auto& w : subs_) {
            if (auto p = w.lock())
                targets.push_back(std::move(p));
        }
    }
    for (const auto& s : targets) {
        s->add(alerts, stats, timeline, agents, message);
        s->wake();
    }
}

}  // namespace sentinel::server
