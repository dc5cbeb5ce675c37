#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <pqxx/pqxx>
#include <thread>

#include "pg_harness.h"
#include "store/migrations.h"
#include "store/store.h"

namespace sentinel::store {
namespace {

namespace fs = std::filesystem;

// Every test runs against each backend: the same contract, SQLite and PostgreSQL alike.
class StoreTest : public ::testing::TestWithParam<std::string> {
  protected:
    bool postgres() const { return GetParam() == "postgres"; }

    void SetUp() override {
        if (postgres()) {
            if (!pgtest::skip_reason().empty()) {
                GTEST_SKIP() << pgtest::skip_reason();
            }
            dsn_ = pgtest::create_database();
            ASSERT_FALSE(dsn_.empty());
            return;
        }
        char tmpl[] = "/tmp/store_test.XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        path_ = (dir_ / "sentinel.db").string();
    }
    void TearDown() override {
        if (!dsn_.empty()) {
            pgtest::drop_database(dsn_);
        }
        if (!dir_.empty()) {
            fs::remove_all(dir_);
        }
    }

    Result<std::unique_ptr<Store>> try_open(StoreOptions options = {}) {
        return postgres() ? open_postgres(dsn_, options) : open_sqlite(path_, options);
    }

    std::unique_ptr<Store> open(StoreOptions options = {}) {
        auto s = try_open(options);
        EXPECT_TRUE(s.is_ok()) << (s ? "" : s.error());
        return s ? std::move(s).value() : nullptr;
    }

    // Sets the recorded schema version directly, as a newer server would have left it.
    void set_schema_version(int version) {
        if (postgres()) {
            pqxx::connection c(dsn_);
            pqxx::nontransaction n(c);
            n.exec("INSERT INTO schema_migrations(version,applied_at) VALUES(" +
                   std::to_string(version) + ",0)");
        } else {
            sqlite3* db = nullptr;
            ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
            const std::string sql = "PRAGMA user_version=" + std::to_string(version);
            EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
            sqlite3_close(db);
        }
    }

    int schema_version() {
        if (postgres()) {
            pqxx::connection c(dsn_);
            pqxx::nontransaction n(c);
            auto r = n.exec("SELECT max(version), count(*) FROM schema_migrations");
            EXPECT_EQ(r[0][0].as<int>(), r[0][1].as<int>()) << "each step is recorded once";
            return r[0][0].as<int>();
        }
        sqlite3* db = nullptr;
        EXPECT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
        sqlite3_stmt* st = nullptr;
        sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, nullptr);
        int v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
        sqlite3_finalize(st);
        sqlite3_close(db);
        return v;
    }

    static schema::Alert alert(std::string id, schema::Severity level = schema::Severity::kHigh,
                               std::string src = "10.0.0.1", int64_t ts_s = 1'700'000'000) {
        schema::Alert a;
        a.id = std::move(id);
        a.ts = Timestamp::from_seconds(static_cast<double>(ts_s));
        a.received_at = Timestamp::from_seconds(static_cast<double>(ts_s + 1));
        a.level = level;
        a.category = "PORT SCAN";
        a.message = "Port scan from " + src;
        a.src = std::move(src);
        a.agent_id = "agent-1";
        a.hostname = "host-1";
        return a;
    }

    fs::path dir_;
    std::string path_;
    std::string dsn_;
};

TEST_P(StoreTest, InsertReportsDuplicatesAndSurvivesReopen) {
    {
        auto s = open();
        WriteBatch b;
        b.alerts = {alert("a1"), alert("a2"), alert("a1")};
        const auto now = std::chrono::system_clock::now().time_since_epoch();
        for (auto& a : b.alerts) {  // recent, so its minute counter is kept
            a.received_at = Timestamp{std::chrono::nanoseconds(now).count()};
        }
        auto r = s->write_sync(std::move(b));
        ASSERT_TRUE(r.status.is_ok()) << r.status.message();
        EXPECT_EQ(r.inserted, (std::vector<bool>{true, true, false}));
        WriteBatch again;
        again.alerts = {alert("a2"), alert("a3")};
        r = s->write_sync(std::move(again));
        EXPECT_EQ(r.inserted, (std::vector<bool>{false, true}));
    }
    auto s = open();
    EXPECT_EQ(*s->count_alerts(), 3u);
    auto sum = s->load_summary();
    ASSERT_TRUE(sum.is_ok());
    EXPECT_EQ(sum->total, 3u);
    EXPECT_EQ(sum->by_level[static_cast<size_t>(schema::Severity::kHigh)], 3u);
    ASSERT_EQ(sum->categories.size(), 1u);
    EXPECT_EQ(sum->categories[0].second, 3u);
    ASSERT_FALSE(sum->minutes.empty());
}

TEST_P(StoreTest, AgentUpsertCountsOnlyNewAlerts) {
    auto s = open();
    AgentRecord agent;
    agent.agent_id = "agent-1";
    agent.hostname = "h";
    agent.first_seen = Timestamp{5};
    agent.last_seen = Timestamp{6};
    WriteBatch b;
    b.alerts = {alert("x1"), alert("x2")};
    b.agent = agent;
    ASSERT_TRUE(s->write_sync(b).status.is_ok());
    agent.first_seen = Timestamp{100};  // ignored: first_seen is kept
    agent.last_seen = Timestamp{200};
    b.agent = agent;
    b.alerts = {alert("x2"), alert("x3")};
    ASSERT_TRUE(s->write_sync(b).status.is_ok());
    auto agents = s->load_agents();
    ASSERT_TRUE(agents.is_ok());
    ASSERT_EQ(agents->size(), 1u);
    EXPECT_EQ((*agents)[0].alert_count, 3u);
    EXPECT_EQ((*agents)[0].first_seen.ns, 5);
    EXPECT_EQ((*agents)[0].last_seen.ns, 200);
    EXPECT_EQ(*s->prune_agents(Timestamp{201}), 1u);
    EXPECT_TRUE(s->load_agents()->empty());
}

TEST_P(StoreTest, QueryFiltersAndPages) {
    auto s = open();
    WriteBatch b;
    for (int i = 0; i < 25; ++i) {
        auto a = alert("q" + std::to_string(i),
                       i % 2 ? schema::Severity::kLow : schema::Severity::kCritical,
                       "10.0.0." + std::to_string(i % 5), 1'700'000'000 + i);
        if (i == 7) {
            a.message = "Weird 100%_match \"q\" back\\slash {a,b} NULL \u00e9";
        }
        b.alerts.push_back(a);
    }
    ASSERT_TRUE(s->write_sync(std::move(b)).status.is_ok());

    AlertQuery q;
    q.limit = 10;
    std::vector<std::string> ids;
    for (;;) {
        auto page = s->query_alerts(q);
        ASSERT_TRUE(page.is_ok()) << page.error();
        for (const auto& a : page->alerts)
            ids.push_back(a.alert.id);
        if (!page->next)
            break;
        q.before = page->next;
    }
    ASSERT_EQ(ids.size(), 25u);
    EXPECT_EQ(ids.front(), "q24");
    EXPECT_EQ(ids.back(), "q0");

    AlertQuery lvl;
    lvl.level = schema::Severity::kLow;
    lvl.src = "10.0.0.1";
    auto page = s->query_alerts(lvl);
    ASSERT_TRUE(page.is_ok());
    for (const auto& a : page->alerts) {
        EXPECT_EQ(a.alert.level, schema::Severity::kLow);
        EXPECT_EQ(a.alert.src, "10.0.0.1");
    }
    EXPECT_EQ(page->alerts.size(), 3u);  // i = 1, 11, 21

    AlertQuery text;
    text.text = "100%_M";  // LIKE wildcards are literal, match is case-insensitive
    page = s->query_alerts(text);
    ASSERT_EQ(page->alerts.size(), 1u);
    EXPECT_EQ(page->alerts[0].alert.id, "q7");
    EXPECT_EQ(page->alerts[0].alert.message,
              "Weird 100%_match \"q\" back\\slash {a,b} NULL \u00e9");  // stored verbatim

    AlertQuery range;
    range.since = Timestamp::from_seconds(1'700'000'010);
    range.until = Timestamp::from_seconds(1'700'000'012);
    range.agent_id = "agent-1";
    page = s->query_alerts(range);
    EXPECT_EQ(page->alerts.size(), 3u);
}

TEST_P(StoreTest, CounterKeysAreBounded) {
    StoreOptions o;
    o.max_counter_keys = 3;
    auto s = open(o);
    WriteBatch b;
    for (int i = 0; i < 10; ++i) {
        b.alerts.push_back(
            alert("k" + std::to_string(i), schema::Severity::kHigh, "src-" + std::to_string(i)));
    }
    ASSERT_TRUE(s->write_sync(std::move(b)).status.is_ok());
    auto sum = s->load_summary();
    EXPECT_LE(sum->sources.size(), 4u);
    uint64_t total = 0;
    for (const auto& [k, n] : sum->sources)
        total += n;
    EXPECT_EQ(total, 10u);
}

TEST_P(StoreTest, RetentionByCount) {
    StoreOptions o;
    o.retention_max_alerts = 5;
    auto s = open(o);
    WriteBatch b;
    for (int i = 0; i < 12; ++i)
        b.alerts.push_back(alert("r" + std::to_string(i)));
    ASSERT_TRUE(s->write_sync(std::move(b)).status.is_ok());
    EXPECT_EQ(*s->apply_retention(Timestamp{0}), 7u);
    EXPECT_EQ(*s->count_alerts(), 5u);
    AlertQuery q;
    EXPECT_EQ(s->query_alerts(q)->alerts.back().alert.id, "r7");
    EXPECT_EQ(s->load_summary()->total, 12u);  // counters are all-time
}

TEST_P(StoreTest, RetentionByAge) {
    StoreOptions o;
    o.retention_days = 7;
    auto s = open(o);
    const int64_t day = 86'400;
    const int64_t now = 1'800'000'000;
    WriteBatch b;
    for (int i = 0; i < 10; ++i) {  // arrival days: now-9 ... now-0
        auto a = alert("d" + std::to_string(i));
        a.received_at = Timestamp::from_seconds(static_cast<double>(now - (9 - i) * day));
        b.alerts.push_back(a);
    }
    ASSERT_TRUE(s->write_sync(std::move(b)).status.is_ok());
    EXPECT_EQ(*s->apply_retention(Timestamp::from_seconds(static_cast<double>(now))), 2u);
    AlertQuery q;
    auto page = s->query_alerts(q);
    ASSERT_EQ(page->alerts.size(), 8u);
    EXPECT_EQ(page->alerts.back().alert.id, "d2");  // exactly 7 days old: kept
    EXPECT_EQ(*s->apply_retention(Timestamp::from_seconds(static_cast<double>(now))), 0u);
}

TEST_P(StoreTest, ConcurrentWritersAreAllCommitted) {
    auto s = open();
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 50; ++i) {
                WriteBatch b;
                b.alerts.push_back(alert("c" + std::to_string(t) + "-" + std::to_string(i)));
                if (s->write_sync(std::move(b)).inserted == std::vector<bool>{true})
                    ++ok;
            }
        });
    }
    for (auto& th : threads)
        th.join();
    EXPECT_EQ(ok.load(), 200);
    EXPECT_EQ(*s->count_alerts(), 200u);
}

TEST_P(StoreTest, UsersAndTokens) {
    auto s = open();
    EXPECT_EQ(*s->count_users(), 0u);
    ASSERT_TRUE(s->put_user({"admin", "admin", "00", "ff", 1000, {}}).is_ok());
    EXPECT_EQ(*s->count_users(), 1u);
    auto u = s->find_user("admin");
    ASSERT_TRUE(u.is_ok() && u->has_value());
    EXPECT_EQ((*u)->hash_hex, "ff");
    EXPECT_FALSE(s->find_user("nobody")->has_value());
    ASSERT_TRUE(s->put_token("ci", "abcd").is_ok());
    EXPECT_EQ(s->find_token("abcd")->value_or(""), "ci");
    EXPECT_FALSE(s->find_token("dcba")->has_value());
}

TEST_P(StoreTest, WriteAfterCloseFails) {
    auto s = open();
    s->close();
    WriteBatch b;
    b.alerts.push_back(alert("late"));
    EXPECT_FALSE(s->write_sync(std::move(b)).status.is_ok());
}

TEST_P(StoreTest, MigrationsRunOnceAndRecordTheVersion) {
    const int latest =
        static_cast<int>(postgres() ? postgres_migrations().size() : sqlite_migrations().size());
    {
        auto s = open();
        ASSERT_NE(s, nullptr);
        ASSERT_TRUE(s->put_token("t", "h").is_ok());
    }
    EXPECT_EQ(schema_version(), latest);
    auto s = open();  // no step runs again: the data is still there
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->find_token("h")->value_or(""), "t");
    EXPECT_EQ(schema_version(), latest);
}

TEST_P(StoreTest, SchemaNewerThanTheServerIsRefused) {
    open().reset();
    const int latest =
        static_cast<int>(postgres() ? postgres_migrations().size() : sqlite_migrations().size());
    set_schema_version(latest + 1);
    auto s = try_open();
    ASSERT_FALSE(s.is_ok());
    EXPECT_NE(s.error().find("newer than this server"), std::string::npos) << s.error();
}

// Two stores on one database stand for two servers: each hears of the other's commits, never
// of its own.
TEST_P(StoreTest, OtherInstancesCommitsAreAnnounced) {
    if (!postgres()) {
        GTEST_SKIP() << "a single-process backend has no other instances";
    }
    // Declared before the stores: their listener threads stop before these go away.
    std::mutex mu;
    std::condition_variable cv;
    std::vector<RemoteChange> at_a, at_b;
    auto a = open();
    auto b = open();
    ASSERT_TRUE(a && b);
    auto collect = [&](std::vector<RemoteChange>& into) {
        return [&mu, &cv, &into](RemoteChange c) {
            std::lock_guard lock(mu);
            into.push_back(std::move(c));
            cv.notify_all();
        };
    };
    AgentRecord other;
    other.agent_id = "agent \"2\"";  // stored before the listeners start; never changes
    other.hostname = "h2";
    WriteBatch before;
    before.agent = other;
    ASSERT_TRUE(a->write_sync(before).status.is_ok());
    ASSERT_TRUE(a->subscribe(collect(at_a)).is_ok());
    ASSERT_TRUE(b->subscribe(collect(at_b)).is_ok());

    AgentRecord agent;
    agent.agent_id = "agent-1";
    agent.hostname = "h";
    WriteBatch batch;
    batch.alerts = {alert("n1"), alert("n2", schema::Severity::kLow)};
    batch.agent = agent;
    ASSERT_TRUE(a->write_sync(batch).status.is_ok());
    ASSERT_TRUE(a->write_sync(batch).status.is_ok());  // duplicates: nothing new to announce
    WriteBatch from_b;
    from_b.alerts = {alert("n3")};
    ASSERT_TRUE(b->write_sync(from_b).status.is_ok());

    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(20), [&] {
        size_t n = 0;
        for (const auto& c : at_b)
            n += c.alerts.size();
        return n >= 2 && !at_a.empty();
    }));
    std::vector<std::string> ids;
    bool agents_seen = false;
    for (const auto& c : at_b) {
        for (const auto& al : c.alerts)
            ids.push_back(al.id);
        if (c.agents_changed) {
            agents_seen = true;
            ASSERT_EQ(c.agents.size(), 1u);  // only the agent this commit changed
            EXPECT_EQ(c.agents[0].agent_id, "agent-1");
        }
    }
    EXPECT_EQ(ids, (std::vector<std::string>{"n1", "n2"}));
    EXPECT_TRUE(agents_seen);
    ASSERT_EQ(at_a.size(), 1u);
    ASSERT_EQ(at_a[0].alerts.size(), 1u);
    EXPECT_EQ(at_a[0].alerts[0].id, "n3");
    EXPECT_FALSE(at_a[0].agents_changed);

    // Relayed dashboard messages reach the other instance only, verbatim; too large ones are
    // refused rather than cut.
    lock.unlock();
    const std::string message = R"({"type":"alert_update","updates":[{"id":"n1 \"x\""}]})";
    ASSERT_TRUE(a->relay(message).is_ok());
    EXPECT_FALSE(a->relay(std::string(Store::kMaxRelayBytes + 1, 'x')).is_ok());
    lock.lock();
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(20),
                            [&] { return !at_b.empty() && !at_b.back().messages.empty(); }));
    EXPECT_EQ(at_b.back().messages, std::vector<std::string>{message});
    EXPECT_TRUE(at_b.back().alerts.empty());
    EXPECT_EQ(at_a.size(), 1u) << "an instance does not hear its own relays";
}

TEST_P(StoreTest, FlowAndWorkflowAreStoredAndFiltered) {
    auto s = open();
    WriteBatch b;
    auto a1 = alert("w1", schema::Severity::kLow, "10.0.0.1", 1'700'000'000);
    a1.flow = schema::Flow{"10.0.0.1", "10.0.0.2", 4444, 22, 6};
    b.alerts.push_back(a1);
    b.alerts.push_back(alert("w2", schema::Severity::kHigh, "10.0.0.1", 1'700'000'010));
    b.alerts.push_back(alert("w3", schema::Severity::kLow, "10.0.0.9", 1'700'000'020));
    ASSERT_TRUE(s->write_sync(std::move(b)).status.is_ok());

    auto page = s->query_alerts({});
    ASSERT_TRUE(page.is_ok()) << page.error();
    ASSERT_EQ(page->alerts.size(), 3u);
    const auto& w1 = page->alerts[2];
    ASSERT_EQ(w1.alert.id, "w1");
    ASSERT_TRUE(w1.alert.flow.has_value());
    EXPECT_EQ(*w1.alert.flow, *a1.flow);
    EXPECT_FALSE(page->alerts[1].alert.flow.has_value());
    EXPECT_EQ(w1.workflow.status, AlertStatus::kNew);
    EXPECT_FALSE(w1.workflow.ack_at.has_value());

    StatusChange ack;
    ack.to = AlertStatus::kAcknowledged;
    ack.ids = {"w1", "nope"};
    ack.by = "alice";
    ack.at = Timestamp::from_seconds(1'800'000'000);
    auto changed = s->change_status(ack);
    ASSERT_TRUE(changed.is_ok()) << changed.error();
    ASSERT_EQ(changed->size(), 1u);
    EXPECT_EQ((*changed)[0].id, "w1");
    EXPECT_EQ((*changed)[0].workflow.status, AlertStatus::kAcknowledged);
    EXPECT_EQ((*changed)[0].workflow.ack_by, "alice");
    EXPECT_EQ((*changed)[0].workflow.ack_at, ack.at);
    EXPECT_TRUE(s->change_status(ack)->empty()) << "already acknowledged";

    StatusChange res;
    res.to = AlertStatus::kResolved;
    res.group = std::pair<std::string, std::string>{"PORT SCAN", "10.0.0.1"};
    res.by = "bob";
    res.at = Timestamp::from_seconds(1'800'000'100);
    changed = s->change_status(res);
    ASSERT_TRUE(changed.is_ok()) << changed.error();
    ASSERT_EQ(changed->size(), 2u);
    for (const auto& x : *changed) {
        EXPECT_EQ(x.workflow.status, AlertStatus::kResolved);
        EXPECT_EQ(x.workflow.ack_by, x.id == "w1" ? "alice" : "bob");
    }

    AlertQuery q;
    q.status = StatusFilter::kResolved;
    page = s->query_alerts(q);
    ASSERT_EQ(page->alerts.size(), 2u);
    for (const auto& a : page->alerts) {
        EXPECT_EQ(a.workflow.resolved_by, "bob");
        EXPECT_EQ(a.workflow.resolved_at, res.at);
    }
    EXPECT_EQ(page->alerts[1].workflow.ack_by, "alice") << "an earlier ack is kept";
    EXPECT_EQ(page->alerts[0].workflow.ack_by, "bob") << "resolving implies ack";
    q.status = StatusFilter::kOpen;
    page = s->query_alerts(q);
    ASSERT_EQ(page->alerts.size(), 1u);
    EXPECT_EQ(page->alerts[0].alert.id, "w3");
    q.status = StatusFilter::kNew;
    EXPECT_EQ(s->query_alerts(q)->alerts.size(), 1u);
    q.status = StatusFilter::kAcknowledged;
    EXPECT_EQ(s->query_alerts(q)->alerts.size(), 0u);

    auto groups = s->query_groups({});
    ASSERT_TRUE(groups.is_ok()) << groups.error();
    ASSERT_EQ(groups->size(), 2u);
    EXPECT_EQ((*groups)[0].src, "10.0.0.9");  // newest last_ts first
    const auto& g = (*groups)[1];
    EXPECT_EQ(g.category, "PORT SCAN");
    EXPECT_EQ(g.src, "10.0.0.1");
    EXPECT_EQ(g.count, 2u);
    EXPECT_EQ(g.level, schema::Severity::kHigh);
    EXPECT_EQ(g.first_ts, Timestamp::from_seconds(1'700'000'000));
    EXPECT_EQ(g.last_ts, Timestamp::from_seconds(1'700'000'010));
    EXPECT_EQ(g.last_message, "Port scan from 10.0.0.1");
    EXPECT_EQ(g.agents, 1u);
    EXPECT_EQ(g.open, 0u);
    EXPECT_EQ(g.unseen, 0u);
    EXPECT_EQ((*groups)[0].unseen, 1u);
    AlertQuery open_only;
    open_only.status = StatusFilter::kOpen;
    groups = s->query_groups(open_only);
    ASSERT_EQ(groups->size(), 1u);
    EXPECT_EQ((*groups)[0].src, "10.0.0.9");
}

TEST_P(StoreTest, UsersTokensAndAuditLog) {
    auto s = open();
    ASSERT_TRUE(s->put_user({"alice", "admin", "00", "ff", 1000, {}}).is_ok());
    ASSERT_TRUE(s->put_user({"bob", "viewer", "00", "ee", 1000, {}}).is_ok());
    auto users = s->list_users();
    ASSERT_TRUE(users.is_ok());
    ASSERT_EQ(users->size(), 2u);
    EXPECT_EQ((*users)[1].name, "bob");
    EXPECT_GT((*users)[1].created_at.ns, 0);

    TokenRecord t;
    t.name = "ci";
    t.user = "bob";
    t.hash_hex = "h1";
    auto made = s->create_user_token(t);
    ASSERT_TRUE(made.is_ok()) << made.error();
    EXPECT_GT(made->id, 0);
    t.name = "other";
    t.user = "alice";
    t.hash_hex = "h2";
    ASSERT_TRUE(s->create_user_token(t).is_ok());
    auto found = s->find_user_token("h1");
    ASSERT_TRUE(found.is_ok() && found->has_value());
    EXPECT_EQ((*found)->user, "bob");
    EXPECT_EQ((*found)->role, "viewer");
    EXPECT_FALSE((*found)->last_used.has_value());
    ASSERT_TRUE(s->touch_user_token(made->id, Timestamp::from_seconds(5)).is_ok());
    EXPECT_EQ(s->list_user_tokens("bob")->at(0).last_used, Timestamp::from_seconds(5));
    EXPECT_EQ(s->list_user_tokens("")->size(), 2u);

    EXPECT_TRUE(*s->delete_user("bob"));
    EXPECT_FALSE(*s->delete_user("bob"));
    EXPECT_FALSE(s->find_user_token("h1")->has_value()) << "tokens die with their user";
    EXPECT_EQ(s->list_user_tokens("")->size(), 1u);
    const auto alice_token = s->list_user_tokens("alice")->at(0).id;
    EXPECT_TRUE(*s->delete_user_token(alice_token));
    EXPECT_FALSE(*s->delete_user_token(alice_token));

    for (int i = 0; i < 5; ++i) {
        ASSERT_TRUE(s->append_audit({0, Timestamp::from_seconds(i), "alice", "127.0.0.1", "login",
                                     "alice", "n" + std::to_string(i)})
                        .is_ok());
    }
    auto page = s->query_audit(3, std::nullopt);
    ASSERT_TRUE(page.is_ok()) << page.error();
    ASSERT_EQ(page->entries.size(), 3u);
    EXPECT_EQ(page->entries[0].detail, "n4");
    EXPECT_EQ(page->entries[0].ip, "127.0.0.1");
    ASSERT_TRUE(page->next.has_value());
    page = s->query_audit(3, page->next);
    ASSERT_EQ(page->entries.size(), 2u);
    EXPECT_EQ(page->entries[1].detail, "n0");
    EXPECT_FALSE(page->next.has_value());
}

TEST_P(StoreTest, SuppressionRulesHitsAndAgentCounts) {
    auto s = open();
    EXPECT_EQ(*s->suppressions_version(), 0);
    SuppressionRule r;
    r.category = "PORT SCAN";
    r.src = "10.0.0.0/8";
    r.port = 22;
    r.expires_at = Timestamp::from_seconds(2'000'000'000);
    r.comment = "backup";
    r.created_by = "alice";
    r.created_at = Timestamp::from_seconds(1'700'000'000);
    auto made = s->create_suppression(r);
    ASSERT_TRUE(made.is_ok()) << made.error();
    EXPECT_GT(made->id, 0);
    EXPECT_EQ(*s->suppressions_version(), 1);
    r.expires_at.reset();
    r.category.clear();
    auto second = s->create_suppression(r);
    ASSERT_TRUE(second.is_ok());

    ASSERT_TRUE(
        s->record_suppression_hits({{made->id, 3, 10, Timestamp::from_seconds(1'700'000'500)},
                                    {9999, 1, 1, Timestamp::from_seconds(1)}},
                                   {{"agent-1", made->id, 10}, {"agent-1", 9999, 4}})
            .is_ok());
    ASSERT_TRUE(
        s->record_suppression_hits({{made->id, 1, 5, Timestamp::from_seconds(1'700'000'400)}},
                                   {{"agent-1", made->id, 15}})
            .is_ok());
    auto rules = s->load_suppressions();
    ASSERT_TRUE(rules.is_ok()) << rules.error();
    ASSERT_EQ(rules->size(), 2u);
    const auto& x = (*rules)[0];
    EXPECT_EQ(x.category, "PORT SCAN");
    EXPECT_EQ(x.src, "10.0.0.0/8");
    EXPECT_EQ(x.port, 22);
    EXPECT_EQ(x.expires_at, Timestamp::from_seconds(2'000'000'000));
    EXPECT_EQ(x.comment, "backup");
    EXPECT_EQ(x.hits_server, 4u);
    EXPECT_EQ(x.hits_agents, 15u);
    EXPECT_EQ(x.last_hit, Timestamp::from_seconds(1'700'000'500)) << "last_hit never goes back";
    EXPECT_FALSE((*rules)[1].expires_at.has_value());
    EXPECT_FALSE((*rules)[1].last_hit.has_value());
    auto counts = s->load_agent_rule_counts();
    ASSERT_EQ(counts->size(), 1u) << "counts of unknown rules are not kept";
    EXPECT_EQ((*counts)[0].reported, 15u);

    EXPECT_EQ(*s->suppressed_by_deleted_rules(), 0u);
    EXPECT_TRUE(*s->delete_suppression(made->id, 2));
    EXPECT_FALSE(*s->delete_suppression(made->id, 5));
    EXPECT_EQ(*s->suppressions_version(), 3);
    // 4 + 15 stored and 2 not yet flushed: the suppressed total does not go down.
    EXPECT_EQ(*s->suppressed_by_deleted_rules(), 21u);
    EXPECT_TRUE(*s->delete_suppression(second->id, 1));
    EXPECT_EQ(*s->suppressed_by_deleted_rules(), 22u);
    ASSERT_TRUE(s->create_suppression(r).is_ok());
    EXPECT_TRUE(s->load_agent_rule_counts()->empty());
    EXPECT_EQ(s->load_suppressions()->size(), 1u);
}

TEST_P(StoreTest, VersionOneDatabaseIsUpgradedInPlace) {
    // A database written by the previous release (schema version 1) with one alert in it.
    if (postgres()) {
        pqxx::connection c(dsn_);
        pqxx::work w(c);
        w.exec(postgres_migrations()[0]);
        w.exec(
            "CREATE TABLE schema_migrations(version INTEGER PRIMARY KEY, applied_at BIGINT NOT "
            "NULL); INSERT INTO schema_migrations VALUES(1,0)");
        w.exec(
            "INSERT INTO alerts(id,ts,received_at,level,category,message,src,agent_id,hostname) "
            "VALUES('old',1,2,3,'PORT SCAN','m','10.0.0.1','a','h')");
        w.commit();
    } else {
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
        const std::string sql =
            sqlite_migrations()[0] +
            "PRAGMA user_version=1; INSERT INTO alerts(id,ts,received_at,level,category,message,"
            "src,agent_id,hostname) VALUES('old',1,2,3,'PORT SCAN','m','10.0.0.1','a','h');";
        ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
        sqlite3_close(db);
    }
    auto s = open();
    ASSERT_NE(s, nullptr);
    auto page = s->query_alerts({});
    ASSERT_TRUE(page.is_ok()) << page.error();
    ASSERT_EQ(page->alerts.size(), 1u);
    EXPECT_EQ(page->alerts[0].workflow.status, AlertStatus::kNew);
    EXPECT_FALSE(page->alerts[0].alert.flow.has_value());
    EXPECT_EQ(schema_version(), 2);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace sentinel::store
