#include "server/suppression.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/log.h"
#include "schema/alert_json.h"

namespace sentinel::server {

namespace {

using Json = nlohmann::ordered_json;
constexpr size_t kScanPage = 5000;
constexpr uint64_t kMaxScan = 2'000'000;  // alerts examined for would_have_matched at most

std::string dump(const Json& j) {
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The stored record as a library rule (the store holds only rules the library accepted).
std::optional<suppress::Rule> to_rule(const store::SuppressionRule& r) {
    Json j;
    j["id"] = r.id;
    j["category"] = r.category;
    j["src"] = r.src;
    j["dst"] = r.dst;
    j["port"] = r.port ? Json(r.port) : Json();
    j["agent_id"] = r.agent_id;
    j["expires_at"] = r.expires_at ? Json(schema::format_iso8601(*r.expires_at)) : Json();
    j["comment"] = r.comment;
    j["created_by"] = r.created_by;
    j["created_at"] = schema::format_iso8601(r.created_at);
    auto rule = suppress::rule_from_json(nlohmann::json::parse(j.dump()));
    if (!rule) {
        SENTINEL_LOG(warn, "server", "stored suppression rule {} is not valid: {}", r.id,
                     rule.error());
        return std::nullopt;
    }
    return std::move(rule).value();
}

store::SuppressionRule to_record(const suppress::Rule& r) {
    store::SuppressionRule s;
    s.id = r.id;
    s.category = r.category;
    s.src = r.src ? suppress::cidr_text(*r.src) : "";
    s.dst = r.dst ? suppress::cidr_text(*r.dst) : "";
    s.port = r.port.value_or(0);
    s.agent_id = r.agent_id;
    s.expires_at = r.expires_at;
    s.comment = r.comment;
    s.created_by = r.created_by;
    s.created_at = r.created_at.value_or(Timestamp{});
    return s;
}

}  // namespace

Suppressions::Suppressions(store::Store& store, LiveState& live) : store_(store), live_(live) {}

Suppressions::~Suppressions() { stop(); }

void Suppressions::start() {
    if (auto st = reload(); !st) {
        SENTINEL_LOG(warn, "server", "cannot load suppression rules (retrying): {}", st.message());
    }
    std::lock_guard lock(thread_mu_);
    if (!thread_.joinable()) {
        stop_ = false;
        thread_ = std::thread([this] { loop(); });
    }
}

void Suppressions::stop() {
    {
        std::lock_guard lock(thread_mu_);
        stop_ = true;
        cv_.notify_all();
    }
    if (thread_.joinable()) {
        thread_.join();
    }
}

void Suppressions::loop() {
    int n = 0;
    for (;;) {
        {
            std::unique_lock lock(thread_mu_);
            cv_.wait_for(lock, kFlushEvery, [&] { return stop_; });
        }
        const auto now = Timestamp{std::chrono::duration_cast<std::chrono::nanoseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count()};
        bool stopping;
        {
            std::lock_guard lock(thread_mu_);
            stopping = stop_;
        }
        if (!stopping && ++n % kReloadEveryFlushes == 0) {
            // Rules and hit counts other servers sharing the database changed show up here.
            int64_t version_before;
            uint64_t total_before;
            {
                std::lock_guard lock(mu_);
                version_before = version_;
                total_before = total_;
            }
            if (reload()) {
                std::lock_guard lock(mu_);
                if (version_ != version_before || total_ != total_before) {
                    announce_locked_out(now, true);
                }
            }
        }
        flush(now);
        if (stopping) {
            return;
        }
    }
}

Status Suppressions::reload() {
    std::lock_guard io(io_mu_);
    auto v = store_.suppressions_version();
    if (!v) {
        return v.status();
    }
    auto rules = store_.load_suppressions();
    if (!rules) {
        return rules.status();
    }
    auto retired = store_.suppressed_by_deleted_rules();
    if (!retired) {
        return retired.status();
    }
    std::optional<std::vector<store::AgentRuleCount>> counts;
    bool need_counts;
    {
        std::lock_guard lock(mu_);
        need_counts = !counts_loaded_;
    }
    if (need_counts) {
        auto c = store_.load_agent_rule_counts();
        if (!c) {
            return c.status();
        }
        counts = std::move(c).value();
    }
    std::lock_guard lock(mu_);
    std::vector<Entry> fresh;
    for (const auto& rec : *rules) {
        auto rule = to_rule(rec);
        if (!rule) {
            continue;
        }
        Entry e;
        e.rule = std::move(*rule);
        e.stored.hits_server = static_cast<int64_t>(rec.hits_server);
        e.stored.hits_agents = static_cast<int64_t>(rec.hits_agents);
        e.stored.last_hit = rec.last_hit;
        for (const auto& old : entries_) {
            if (old.rule.id == rec.id) {
                e.pending_server = old.pending_server;
                e.pending_agents = old.pending_agents;
                e.pending_last = old.pending_last;
                e.expired_announced = old.expired_announced;
            }
        }
        fresh.push_back(std::move(e));
    }
    entries_ = std::move(fresh);
    version_ = *v;
    retired_ = *retired;
    if (counts) {
        std::map<std::string, uint64_t> per_agent;
        for (const auto& c : *counts) {
            reported_.emplace(std::pair{c.agent_id, c.rule_id}, c.reported);
            per_agent[c.agent_id] += c.reported;
        }
        for (const auto& [agent, n] : per_agent) {
            live_.set_agent_suppressed(agent, n);
        }
        counts_loaded_ = true;
    }
    total_ = total_locked();
    live_.set_suppressed_total(total_);
    return Status::ok();
}

std::optional<int64_t> Suppressions::match(const schema::Alert& alert, Timestamp now) {
    std::lock_guard lock(mu_);
    if (entries_.empty()) {
        return std::nullopt;
    }
    const auto key = suppress::AlertKey::of(alert);
    for (auto& e : entries_) {
        if (suppress::matches(e.rule, alert, key, now)) {
            ++e.pending_server;
            e.pending_last = std::max(e.pending_last.value_or(now), now);
            live_.set_suppressed_total(++total_);
            return e.rule.id;
        }
    }
    return std::nullopt;
}

void Suppressions::agent_report(const std::string& agent_id,
                                const std::vector<std::pair<int64_t, uint64_t>>& cumulative,
                                Timestamp now) {
    uint64_t added = 0;
    uint64_t agent_total = 0;
    {
        std::lock_guard lock(mu_);
        for (const auto& [rule_id, count] : cumulative) {
            auto e = std::find_if(entries_.begin(), entries_.end(),
                                  [id = rule_id](const Entry& x) { return x.rule.id == id; });
            if (e == entries_.end()) {
                continue;
            }
            auto [it, fresh] = reported_.emplace(std::pair{agent_id, rule_id}, 0);
            const uint64_t last = it->second;
            // A smaller count than last time: the agent restarted and counts from zero again.
            const uint64_t delta = count >= last ? count - last : count;
            if (!fresh && count == last) {
                continue;
            }
            it->second = count;
            dirty_[{agent_id, rule_id}] = count;
            if (delta > 0) {
                e->pending_agents += delta;
                e->pending_last = std::max(e->pending_last.value_or(now), now);
                added += delta;
            }
        }
        if (added > 0) {
            total_ += added;
            live_.set_suppressed_total(total_);
        }
        for (auto it = reported_.lower_bound({agent_id, 0});
             it != reported_.end() && it->first.first == agent_id; ++it) {
            agent_total += it->second;
        }
    }
    live_.set_agent_suppressed(agent_id, agent_total);
}

Result<suppress::Rule> Suppressions::add(const suppress::Rule& rule) {
    auto stored = store_.create_suppression(to_record(rule));
    if (!stored) {
        return stored.status();
    }
    suppress::Rule out = rule;
    out.id = stored->id;
    (void)reload();
    std::lock_guard lock(mu_);
    announce_locked_out(Timestamp{stored->created_at}, false);
    return out;
}

Result<bool> Suppressions::remove(int64_t id) {
    Result<bool> found = false;
    {
        // The entry leaves the matcher first, so its hit count is final when the store moves
        // it to the deleted rules' total; io_mu_ keeps a flush from writing it in between.
        std::lock_guard io(io_mu_);
        std::optional<Entry> taken;
        {
            std::lock_guard lock(mu_);
            auto it = std::find_if(entries_.begin(), entries_.end(),
                                   [&](const Entry& e) { return e.rule.id == id; });
            if (it != entries_.end()) {
                taken = std::move(*it);
                entries_.erase(it);
            }
        }
        const uint64_t unflushed = taken ? taken->pending_server + taken->pending_agents : 0;
        found = store_.delete_suppression(id, unflushed);
        std::lock_guard lock(mu_);
        if (!found || !*found) {
            if (taken) {  // still stored: back in id order
                auto at = std::find_if(entries_.begin(), entries_.end(),
                                       [&](const Entry& e) { return e.rule.id > id; });
                entries_.insert(at, std::move(*taken));
            }
            return found;
        }
        if (taken) {
            const auto hits = stats_of(*taken);
            retired_ += static_cast<uint64_t>(hits.hits_server + hits.hits_agents);
        }
        std::erase_if(reported_, [&](const auto& kv) { return kv.first.second == id; });
        std::erase_if(dirty_, [&](const auto& kv) { return kv.first.second == id; });
    }
    (void)reload();
    std::lock_guard lock(mu_);
    announce_locked_out(Timestamp{std::chrono::duration_cast<std::chrono::nanoseconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count()},
                        true);
    return found;
}

Result<uint64_t> Suppressions::would_have_matched(const suppress::Rule& rule, Timestamp since) {
    suppress::Rule r = rule;
    r.expires_at.reset();
    store::AlertQuery q;
    q.since = since;
    q.agent_id = r.agent_id;
    q.limit = kScanPage;
    uint64_t n = 0, scanned = 0;
    for (;;) {
        auto page = store_.query_alerts(q);
        if (!page) {
            return page.status();
        }
        for (const auto& a : page->alerts) {
            if (suppress::matches(r, a.alert, since)) {
                ++n;
            }
        }
        scanned += page->alerts.size();
        if (!page->next || scanned >= kMaxScan) {
            return n;
        }
        q.before = page->next;
    }
}

int64_t Suppressions::version() {
    std::lock_guard lock(mu_);
    return std::max<int64_t>(version_, 0);
}

suppress::RuleStats Suppressions::stats_of(const Entry& e) const {
    suppress::RuleStats s = e.stored;
    s.hits_server += static_cast<int64_t>(e.pending_server);
    s.hits_agents += static_cast<int64_t>(e.pending_agents);
    if (e.pending_last && (!s.last_hit || *s.last_hit < *e.pending_last)) {
        s.last_hit = e.pending_last;
    }
    return s;
}

uint64_t Suppressions::total_locked() const {
    uint64_t n = retired_;
    for (const auto& e : entries_) {
        const auto s = stats_of(e);
        n += static_cast<uint64_t>(s.hits_server + s.hits_agents);
    }
    return n;
}

uint64_t Suppressions::total() {
    std::lock_guard lock(mu_);
    return total_;
}

std::string Suppressions::rules_json_locked(Timestamp now) {
    Json rules = Json::array();
    for (const auto& e : entries_) {
        rules.push_back(suppress::to_json(e.rule, stats_of(e), now));
    }
    Json j;
    j["rules"] = std::move(rules);
    j["version"] = std::max<int64_t>(version_, 0);
    return dump(j);
}

std::string Suppressions::rules_json(Timestamp now) {
    std::lock_guard lock(mu_);
    return rules_json_locked(now);
}

std::string Suppressions::rule_json(int64_t id, Timestamp now) {
    std::lock_guard lock(mu_);
    for (const auto& e : entries_) {
        if (e.rule.id == id) {
            return dump(suppress::to_json(e.rule, stats_of(e), now));
        }
    }
    return "null";
}

std::string Suppressions::agent_rules_json(Timestamp now) {
    std::lock_guard lock(mu_);
    Json rules = Json::array();
    for (const auto& e : entries_) {
        if (!e.rule.expired(now)) {
            rules.push_back(suppress::to_agent_json(e.rule));
        }
    }
    Json j;
    j["version"] = std::max<int64_t>(version_, 0);
    j["rules"] = std::move(rules);
    return dump(j);
}

std::string Suppressions::metrics_text() {
    std::lock_guard lock(mu_);
    std::string out =
        "# HELP netsentinel_suppressed_total Alerts suppressed by a rule (server and agents).\n"
        "# TYPE netsentinel_suppressed_total counter\n";
    for (const auto& e : entries_) {
        const auto s = stats_of(e);
        out += fmt::format("netsentinel_suppressed_total{{rule=\"{}\"}} {}\n", e.rule.id,
                           s.hits_server + s.hits_agents);
    }
    out += fmt::format("netsentinel_suppressed_total{{rule=\"deleted\"}} {}\n", retired_);
    return out;
}

// Sends the rule list to every dashboard; mu_ is held (the message is built under it).
void Suppressions::announce_locked_out(Timestamp now, bool stats) {
    std::string rules = rules_json_locked(now);
    // {"rules":..,"version":n} → {"type":"suppressions","rules":..,"version":n}
    total_ = total_locked();
    live_.set_suppressed_total(total_);
    live_.broadcast(R"({"type":"suppressions",)" + rules.substr(1), stats);
}

void Suppressions::flush(Timestamp now) {
    std::lock_guard io(io_mu_);
    std::vector<store::SuppressionHits> hits;
    std::vector<store::AgentRuleCount> counts;
    bool expired_now = false;
    {
        std::lock_guard lock(mu_);
        for (auto& e : entries_) {
            if (e.pending_server || e.pending_agents) {
                hits.push_back(
                    {e.rule.id, e.pending_server, e.pending_agents, e.pending_last.value_or(now)});
            }
            if (!e.expired_announced && e.rule.expired(now)) {
                e.expired_announced = true;
                expired_now = true;
            }
        }
        for (const auto& [k, v] : dirty_) {
            counts.push_back({k.first, k.second, v});
        }
    }
    if (hits.empty() && counts.empty()) {
        if (expired_now) {
            std::lock_guard lock(mu_);
            announce_locked_out(now, false);
        }
        return;
    }
    if (auto st = store_.record_suppression_hits(hits, counts); !st) {
        SENTINEL_LOG(warn, "server", "cannot store suppression hits (retrying): {}", st.message());
        return;
    }
    std::lock_guard lock(mu_);
    for (const auto& h : hits) {
        for (auto& e : entries_) {
            if (e.rule.id != h.rule_id) {
                continue;
            }
            e.pending_server -= std::min(e.pending_server, h.server);
            e.pending_agents -= std::min(e.pending_agents, h.agents);
            e.stored.hits_server += static_cast<int64_t>(h.server);
            e.stored.hits_agents += static_cast<int64_t>(h.agents);
            if (!e.stored.last_hit || *e.stored.last_hit < h.last_hit) {
                e.stored.last_hit = h.last_hit;
            }
            if (e.pending_server == 0 && e.pending_agents == 0) {
                e.pending_last.reset();
            }
        }
    }
    for (const auto& c : counts) {
        auto it = dirty_.find({c.agent_id, c.rule_id});
        if (it != dirty_.end() && it->second == c.reported) {
            dirty_.erase(it);
        }
    }
    if (!hits.empty() || expired_now) {
        announce_locked_out(now, !hits.empty());
    }
}

}  // namespace sentinel::server
