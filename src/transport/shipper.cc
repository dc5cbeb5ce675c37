#include "transport/shipper.h"
#include "common/json_input.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>

#include "common/log.h"
#include "platform/platform.h"
#include "schema/alert_json.h"
#include "transport/heartbeat.h"
#include "transport/http_client.h"
#include "transport/spool.h"
#include "transport/suppression.h"

namespace sentinel::transport {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// Below the server's default 1 MiB body limit, with room for the envelope.
constexpr size_t kMaxBatchBytes = 768 * 1024;
// An original server has no batch route; look for one again after this long.
constexpr double kLegacyRecheck = 600;
constexpr double kLogEvery = 60;
constexpr char kSuppressionsPath[] = "/api/agent/suppressions";
// A failed rule fetch is retried after this long, doubling up to the maximum.
constexpr double kRulesRetryInitial = 2;
constexpr double kRulesRetryMax = 60;

double now_seconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

std::chrono::steady_clock::time_point to_time_point(double seconds) {
    return std::chrono::steady_clock::time_point(
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
            std::chrono::duration<double>(seconds)));
}

// Permanent: the server will never take this alert, so retrying would block the spool forever.
bool is_permanent_rejection(long status) {
    return status >= 400 && status < 500 && status != 401 && status != 404 && status != 408 &&
           status != 429;
}

std::string short_body(const std::string& body) {
    const auto j = json_input::parse(body);
    if (j && j->is_object() && j->contains("error") && (*j)["error"].is_string()) {
        return (*j)["error"].get<std::string>().substr(0, 200);
    }
    return body.substr(0, 120);
}

// Logs a repeating problem at most once per interval (and at once when the text changes).
class Throttle {
  public:
    bool allow(const std::string& text, double now) {
        if (text != last_text_ || now - last_ >= kLogEvery) {
            last_text_ = text;
            last_ = now;
            return true;
        }
        return false;
    }
    void reset() { last_text_.clear(); }

  private:
    std::string last_text_;
    double last_ = -kInf;
};

}  // namespace

enum class SendOutcome { kProgress, kRetry };

struct Shipper::Impl {
    platform::FileLock lock;  // one process per spool
    std::unique_ptr<HttpClient> http;
    std::unique_ptr<Spool> spool;
    std::unique_ptr<SuppressionFilter> filter;  // null when suppression is off
    double started = now_seconds();

    // Rule fetching (sender thread only).
    bool want_rules = false;
    double next_rules_fetch = 0;
    double rules_retry = kRulesRetryInitial;
    bool rules_route_missing_logged = false;
    uint64_t reported_suppressed = 0;  // total in the last heartbeat the server took
    Throttle rules_log;

    size_t batch_size = 500;
    double legacy_until = -kInf;  // POST /api/alert one by one while now < legacy_until
    double backoff = 1;
    double retry_after = 0;
    std::mt19937_64 rng{std::random_device{}()};

    uint64_t rejected = 0;
    std::atomic<uint64_t> write_errors{0};
    uint64_t send_failures = 0;
    uint64_t heartbeats = 0;
    bool connected = false;
    std::string last_error;
    Throttle failure_log;
    Throttle drop_log;
    uint64_t logged_drops = 0;

    mutable std::mutex counters_mu;
    ShipperCounters snapshot;
};

Shipper::Shipper(ShipperOptions options)
    : options_(std::move(options)), impl_(std::make_unique<Impl>()) {}

Shipper::~Shipper() { stop(0); }

Result<std::unique_ptr<Shipper>> Shipper::create(ShipperOptions options) {
    if (options.identity.agent_id.empty()) {
        return Error{"the shipper needs an agent identity"};
    }
    options.batch_max = std::max<size_t>(1, options.batch_max);
    options.queue_capacity = std::max<size_t>(1, options.queue_capacity);
    HttpOptions http;
    http.base_url = options.server_url;
    http.ca_cert = options.ca_cert;
    http.insecure = options.insecure;
    http.user_agent = "NetSentinel-Agent/" + options.identity.version;
    http.connect_timeout_ms = static_cast<long>(options.connect_timeout * 1000);
    http.headers = {"X-API-Key: " + options.api_key, "X-Agent-ID: " + options.identity.agent_id,
                    "X-Hostname: " + options.identity.hostname};
    auto client = HttpClient::create(std::move(http));
    if (!client) {
        return Error{client.error()};
    }
    if (auto st = platform::create_directories(options.state_dir, 0700); !st) {
        return Error{"state directory: " + st.message() + " (choose another one with --state-dir)"};
    }
    auto lock = platform::lock_file(options.state_dir + "/spool.lock");
    if (!lock) {
        return Error{"state directory " + options.state_dir + " is in use by another agent (" +
                     lock.error() + "); give each agent its own --state-dir"};
    }
    SpoolOptions spool_options;
    spool_options.max_bytes = options.spool_max_bytes;
    spool_options.durable = options.spool_durable;
    auto spool = Spool::open(options.state_dir + "/spool", spool_options);
    if (!spool) {
        return Error{"cannot open the alert spool: " + spool.error()};
    }
    std::unique_ptr<Shipper> shipper(new Shipper(std::move(options)));
    Impl& s = *shipper->impl_;
    s.lock = std::move(*lock);
    s.http = std::move(*client);
    s.spool = std::move(*spool);
    if (shipper->options_.suppression) {
        std::string file = shipper->options_.suppressions_file;
        if (file.empty()) {
            file = shipper->options_.state_dir + "/spool/suppressions.json";
        }
        s.filter = std::make_unique<SuppressionFilter>(std::move(file));
        if (auto st = s.filter->load(); !st) {
            SENTINEL_LOG(warn, "shipper", "{}", st.message());
        } else if (const auto version = s.filter->version()) {
            SENTINEL_LOG(info, "shipper",
                         "{} suppression rules (version {}) kept from the last run apply until "
                         "the server sends its current ones",
                         s.filter->rules()->rules.size(), *version);
        }
        s.want_rules = true;
    }
    s.batch_size = shipper->options_.batch_max;
    s.backoff = shipper->options_.backoff_initial;
    if (s.http->options().insecure) {
        SENTINEL_LOG(warn, "shipper",
                     "--insecure: the server's certificate is not verified; anyone on the path "
                     "can read the API key and the alerts");
    }
    const SpoolStats st = s.spool->stats();
    if (st.depth > 0 || st.corrupt > 0) {
        SENTINEL_LOG(info, "shipper",
                     "spool holds {} undelivered alerts ({} damaged records skipped)", st.depth,
                     st.corrupt);
    }
    {
        std::lock_guard lock(s.counters_mu);
        s.snapshot.spool_depth = st.depth;
        s.snapshot.spool_bytes = st.bytes;
        s.snapshot.spool_corrupt = st.corrupt;
        s.snapshot.dropped = st.corrupt;
    }
    return shipper;
}

Status Shipper::start() {
    std::lock_guard lock(mu_);
    if (sender_.joinable() || stopping_) {
        return Status::error("the shipper was already started");
    }
    rules_ready_ = !impl_->filter;
    rules_wait_until_ = now_seconds() + std::max(0.0, options_.suppression_start_wait);
    writer_ = std::thread([this] { spool_incoming(); });
    sender_ = std::thread([this] { run(); });
    return Status::ok();
}

bool Shipper::submit(schema::Alert alert) {
    submitted_.fetch_add(1, std::memory_order_relaxed);
    if (alert.id.empty()) {
        alert.id = schema::make_alert_id();
    }
    if (alert.agent_id.empty()) {
        alert.agent_id = options_.identity.agent_id;
    }
    if (alert.hostname.empty()) {
        alert.hostname = options_.identity.hostname;
    }
    if (alert.os.empty()) {
        alert.os = options_.identity.os;
    }
    if (alert.ts.ns == 0) {
        alert.ts = wall_now();
    }
    {
        std::lock_guard lock(mu_);
        if (queue_.size() >= options_.queue_capacity) {
            queue_dropped_.fetch_add(1, std::memory_order_relaxed);
            return false;
        }
        queue_.push_back(std::move(alert));
    }
    writer_wake_.notify_one();
    return true;
}

void Shipper::stop(double deadline_seconds) {
    {
        std::lock_guard lock(mu_);
        if (!stopping_) {
            stopping_ = true;
            stop_deadline_ = now_seconds() + std::max(0.0, deadline_seconds);
            abort_at_.store(stop_deadline_);  // cuts a request in flight at the deadline
        }
    }
    // Everything submitted so far reaches the disk before the sender is told to wind down, so
    // it can still send it within the deadline (and whatever it cannot stays spooled).
    writer_wake_.notify_all();
    if (writer_.joinable()) {
        writer_.join();
    } else if (!finished_) {
        spool_incoming();  // never started: spool what was submitted
    }
    {
        std::lock_guard lock(mu_);
        sender_stopping_ = true;
    }
    wake_.notify_all();
    if (sender_.joinable()) {
        sender_.join();
    } else if (!finished_) {
        run();  // never started: send within the deadline
    }
}

// The spool writer: moves submitted alerts to disk as soon as they arrive, independent of the
// network, and returns once stopping and everything submitted is spooled.
void Shipper::spool_incoming() {
    Impl& s = *impl_;
    for (;;) {
        std::deque<schema::Alert> incoming;
        bool stopping = false;
        {
            std::unique_lock lock(mu_);
            // Until the first rule fetch settled, alerts wait (a replay can reach stop() before
            // it did); never past suppression_start_wait nor the stop deadline.
            for (;;) {
                const double give_up =
                    std::min(rules_wait_until_, stopping_ ? stop_deadline_ : kInf);
                if (!rules_ready_ && now_seconds() >= give_up) {
                    rules_ready_ = true;
                }
                if (rules_ready_ && (stopping_ || !queue_.empty())) {
                    break;
                }
                if (rules_ready_) {
                    writer_wake_.wait(lock);
                } else {
                    writer_wake_.wait_until(lock, to_time_point(give_up));
                }
            }
            incoming.swap(queue_);
            stopping = stopping_;
        }
        if (!incoming.empty()) {
            const Timestamp now = wall_now();
            for (const schema::Alert& alert : incoming) {
                if (s.filter && s.filter->apply(alert, now)) {
                    continue;  // suppressed: counted per rule, never spooled or sent
                }
                if (options_.on_kept) {
                    options_.on_kept(alert);
                }
                if (auto st = s.spool->append(schema::to_json(alert)); !st) {
                    s.write_errors.fetch_add(1);
                    SENTINEL_LOG(error, "shipper", "alert {} lost: {}", alert.id, st.message());
                }
            }
            if (auto st = s.spool->commit(); !st) {
                SENTINEL_LOG(error, "shipper", "cannot flush the spool: {}", st.message());
            }
            {
                std::lock_guard lock(mu_);
                ++spooled_batches_;
            }
            wake_.notify_all();
        }
        if (stopping) {
            std::lock_guard lock(mu_);
            if (queue_.empty()) {
                return;
            }
        }
    }
}

ShipperCounters Shipper::counters() const {
    std::lock_guard lock(impl_->counters_mu);
    ShipperCounters c = impl_->snapshot;
    // The spool is shared with the writer thread: read its figures live rather than the
    // sender's last snapshot, which lags while a request is in flight.
    const SpoolStats st = impl_->spool->stats();
    c.spool_depth = st.depth;
    c.spool_bytes = st.bytes;
    c.submitted = submitted_.load();
    c.queue_dropped = queue_dropped_.load();
    c.dropped += c.queue_dropped;
    if (const auto& filter = impl_->filter) {
        c.suppressed = filter->total();
        c.suppressed_by_rule = filter->counts();
        c.suppression_rules = filter->rules()->rules.size();
        c.suppressions_version = filter->version().value_or(-1);
    }
    return c;
}

void Shipper::run() {
    Impl& s = *impl_;
    Spool& spool = *s.spool;
    const ShipperOptions& o = options_;

    const auto publish = [&] {
        const SpoolStats st = spool.stats();
        std::lock_guard lock(s.counters_mu);
        ShipperCounters& c = s.snapshot;
        c.delivered = st.delivered - std::min(st.delivered, s.rejected);
        c.rejected = s.rejected;
        c.spool_depth = st.depth;
        c.spool_bytes = st.bytes;
        c.spool_corrupt = st.corrupt;
        c.dropped = st.dropped + st.corrupt + s.write_errors;
        c.send_failures = s.send_failures;
        c.heartbeats = s.heartbeats;
        c.legacy_api = now_seconds() < s.legacy_until;
        c.connected = s.connected;
        c.last_error = s.last_error;
    };

    const auto log_drops = [&] {
        const SpoolStats st = spool.stats();
        if (st.dropped > s.logged_drops && s.drop_log.allow("drop", now_seconds())) {
            SENTINEL_LOG(warn, "shipper",
                         "spool is full ({} bytes): dropped the {} oldest undelivered alerts so "
                         "far (raise spool_max_bytes to keep more during an outage)",
                         o.spool_max_bytes, st.dropped);
            s.logged_drops = st.dropped;
        }
    };

    // Every answer-less failure lands here: decide the wait, keep the person informed.
    const auto note_failure = [&](const std::string& message, bool error_level) {
        ++s.send_failures;
        s.connected = false;
        s.last_error = message;
        if (s.failure_log.allow(message, now_seconds())) {
            if (error_level) {
                SENTINEL_LOG(error, "shipper", "{}", message);
            } else {
                SENTINEL_LOG(warn, "shipper", "{}", message);
            }
        }
    };

    // The server answered (any status): it is reachable.
    const auto note_answer = [&] {
        if (!s.connected && !s.last_error.empty()) {
            SENTINEL_LOG(info, "shipper", "server {} reachable again", o.server_url);
        }
        s.connected = true;
    };
    // The server took what it was sent: the trouble is over.
    const auto note_progress = [&] {
        s.last_error.clear();
        s.failure_log.reset();
    };

    const auto describe_failure = [&](const HttpResult& r) {
        if (r.failure == FailureKind::kTls) {
            return "cannot verify the server " + o.server_url + " (" + r.error +
                   "). Nothing is sent until its certificate verifies against " + o.ca_cert +
                   "; alerts stay spooled";
        }
        return "cannot reach the server " + o.server_url + " (" + r.error +
               "); alerts stay spooled and will be retried";
    };

    const auto timeout_ms = [&](double deadline, double limit) {
        const double left = std::min(limit, deadline - now_seconds());
        return static_cast<long>(std::max(1.0, left * 1000));
    };

    const auto send_heartbeat = [&](double deadline) {
        AgentStats a;
        if (o.stats) {
            a = o.stats();
        }
        const SpoolStats st = spool.stats();
        HeartbeatReport report;
        report.identity = o.identity;
        report.uptime_s = static_cast<uint64_t>(now_seconds() - s.started);
        report.agent = std::move(a);
        report.spool_depth = st.depth;
        report.spool_bytes = st.bytes;
        report.spool_dropped = st.dropped + st.corrupt + s.write_errors + queue_dropped_.load();
        report.alerts_delivered = st.delivered;
        report.alerts_rejected = s.rejected;
        report.spool_corrupt = st.corrupt;
        if (s.filter) {
            report.suppressed = s.filter->counts();
        }
        const HttpResult r =
            s.http->post_json("/api/agent/heartbeat", heartbeat_body(report),
                              timeout_ms(deadline, std::min(o.request_timeout, 8.0)), &abort_at_);
        if (!r.answered()) {
            note_failure(describe_failure(r), r.failure == FailureKind::kTls);
            return;
        }
        note_answer();
        if (r.status == 200 || r.status == 201) {
            ++s.heartbeats;
            s.reported_suppressed = 0;
            for (const auto& [id, count] : report.suppressed) {
                s.reported_suppressed += count;
            }
            // An original server sends no version: the rules held (if any) stay as they are.
            const auto version = suppressions_version_of(r.body);
            if (s.filter && version && version != s.filter->version()) {
                s.want_rules = true;
                s.next_rules_fetch = now_seconds();
            }
        } else if (s.failure_log.allow("heartbeat " + std::to_string(r.status), now_seconds())) {
            SENTINEL_LOG(warn, "shipper", "server answered the heartbeat with HTTP {} ({})",
                         r.status, short_body(r.body));
        }
    };

    // The first fetch attempt, whatever its outcome, releases the spool writer.
    const auto rules_settled = [&] {
        {
            std::lock_guard lock(mu_);
            rules_ready_ = true;
        }
        writer_wake_.notify_all();
    };

    const auto fetch_rules = [&](double deadline) {
        SuppressionFilter& filter = *s.filter;
        const HttpResult r = s.http->get_json(
            kSuppressionsPath, timeout_ms(deadline, std::min(o.request_timeout, 8.0)), &abort_at_);
        const auto retry_later = [&](const std::string& why) {
            if (s.rules_log.allow(why, now_seconds())) {
                SENTINEL_LOG(warn, "shipper", "cannot fetch the suppression rules ({}); {}", why,
                             filter.version() ? "the rules held keep applying"
                                              : "alerts are not suppressed on the agent meanwhile");
            }
            s.next_rules_fetch = now_seconds() + s.rules_retry;
            s.rules_retry = std::min(kRulesRetryMax, s.rules_retry * 2);
        };
        if (!r.answered()) {
            retry_later(r.error);
            return;
        }
        s.rules_retry = kRulesRetryInitial;
        if (r.status == 404 || r.status == 405 || r.status == 501) {
            // An original server: nothing to fetch until a heartbeat names a version.
            s.want_rules = false;
            if (!s.rules_route_missing_logged) {
                s.rules_route_missing_logged = true;
                SENTINEL_LOG(info, "shipper",
                             "server offers no suppression rules (an original or older server){}",
                             filter.version() ? "; the rules kept from the last run apply" : "");
            }
            return;
        }
        if (r.status != 200) {
            if (r.status == 401 || r.status == 403) {
                s.want_rules = false;  // the heartbeat retries when the key is fixed
            }
            retry_later("HTTP " + std::to_string(r.status) + " " + short_body(r.body));
            return;
        }
        s.want_rules = false;
        const auto j = json_input::parse(r.body);
        auto set =
            j ? suppress::rule_set_from_json(*j) : Result<suppress::RuleSet>(Error{j.error()});
        if (!set) {
            if (s.rules_log.allow(set.error(), now_seconds())) {
                SENTINEL_LOG(warn, "shipper",
                             "server sent suppression rules the agent cannot use ({}); the rules "
                             "held keep applying",
                             set.error());
            }
            return;
        }
        const auto before = filter.version();
        const int64_t version = set->version;
        const size_t count = set->rules.size();
        if (auto st = filter.replace(std::move(set).value()); !st) {
            SENTINEL_LOG(warn, "shipper",
                         "cannot keep the suppression rules on disk ({}); they apply until the "
                         "agent stops",
                         st.message());
        }
        if (before != version) {
            SENTINEL_LOG(info, "shipper", "{} suppression rules in force (version {})", count,
                         version);
        }
    };

    const auto reject = [&](const std::string& id, const std::string& why) {
        ++s.rejected;
        SENTINEL_LOG(warn, "shipper", "server rejected alert {} ({}); it is dropped", id, why);
    };

    const auto alert_id_of = [](const std::string& payload) {
        const auto j = json_input::parse(payload);
        return j && j->is_object() && j->contains("id") && (*j)["id"].is_string()
                   ? (*j)["id"].get<std::string>()
                   : std::string("?");
    };

    // Status of an answered request that delivered nothing: retry later.
    const auto retry_status = [&](const HttpResult& r, const std::string& what) {
        std::string message = "server answered " + what + " with HTTP " + std::to_string(r.status) +
                              " (" + short_body(r.body) +
                              "); alerts stay spooled and will be retried";
        if (r.status == 401) {
            message =
                "server refused the API key (HTTP 401); alerts stay spooled until the "
                "api_key matches the server's";
        }
        ++s.send_failures;
        s.last_error = message;
        if (s.failure_log.allow(message, now_seconds())) {
            SENTINEL_LOG(warn, "shipper", "{}", message);
        }
        s.retry_after = r.retry_after.value_or(0);
        return SendOutcome::kRetry;
    };

    const auto send_legacy = [&](double deadline) -> SendOutcome {
        auto records = spool.peek(1, kMaxBatchBytes);
        if (!records || records->empty()) {
            return SendOutcome::kRetry;
        }
        const SpoolRecord& rec = records->front();
        const HttpResult r = s.http->post_json("/api/alert", rec.payload,
                                               timeout_ms(deadline, o.request_timeout), &abort_at_);
        if (!r.answered()) {
            note_failure(describe_failure(r), r.failure == FailureKind::kTls);
            return SendOutcome::kRetry;
        }
        note_answer();
        if (r.status == 200 || r.status == 201) {
            note_progress();
            (void)spool.consume_through(rec.seq);
            return SendOutcome::kProgress;
        }
        if (is_permanent_rejection(r.status)) {
            reject(alert_id_of(rec.payload),
                   "HTTP " + std::to_string(r.status) + " " + short_body(r.body));
            (void)spool.consume_through(rec.seq);
            return SendOutcome::kProgress;
        }
        return retry_status(r, "an alert");
    };

    const auto send_batch = [&](double deadline) -> SendOutcome {
        auto records = spool.peek(s.batch_size, kMaxBatchBytes);
        if (!records) {
            note_failure("cannot read the spool: " + records.error(), true);
            return SendOutcome::kRetry;
        }
        if (records->empty()) {
            return SendOutcome::kProgress;
        }
        const auto& batch = *records;
        std::string body = "{\"alerts\":[";
        for (size_t i = 0; i < batch.size(); ++i) {
            if (i > 0) {
                body += ',';
            }
            body += batch[i].payload;
        }
        body += "]}";
        const HttpResult r = s.http->post_json("/api/alerts", body,
                                               timeout_ms(deadline, o.request_timeout), &abort_at_);
        if (!r.answered()) {
            note_failure(describe_failure(r), r.failure == FailureKind::kTls);
            return SendOutcome::kRetry;
        }
        note_answer();
        if (r.status == 200 || r.status == 201) {
            note_progress();
            const auto parsed = json_input::parse(r.body);
            const nlohmann::json j = parsed ? *parsed : nlohmann::json();
            if (j.is_object() && j.contains("rejected") && j["rejected"].is_array()) {
                const auto text = [](const nlohmann::json& v) {
                    return v.is_string() ? v.get<std::string>() : v.dump();
                };
                for (const auto& item : j["rejected"]) {
                    const bool obj = item.is_object();
                    reject(obj && item.contains("id") ? text(item["id"]) : text(item),
                           obj && item.contains("error") ? text(item["error"]) : "rejected");
                }
            }
            if (auto st = spool.consume_through(batch.back().seq); !st) {
                note_failure("cannot update the spool: " + st.message(), true);
            }
            s.batch_size = std::min(o.batch_max, s.batch_size * 2);
            return SendOutcome::kProgress;
        }
        if (r.status == 404) {
            s.legacy_until = now_seconds() + kLegacyRecheck;
            SENTINEL_LOG(info, "shipper",
                         "server has no batch route (an original server); sending alerts one "
                         "by one to /api/alert");
            return SendOutcome::kProgress;
        }
        if ((r.status == 413 || r.status == 400 || r.status == 429) && batch.size() > 1) {
            // Too big for its body limit or its rate limit, or one bad alert inside: split.
            s.batch_size = std::max<size_t>(1, batch.size() / 2);
            if (r.status != 429) {
                return SendOutcome::kProgress;
            }
        } else if (is_permanent_rejection(r.status)) {
            reject(alert_id_of(batch.front().payload),
                   "HTTP " + std::to_string(r.status) + " " + short_body(r.body));
            (void)spool.consume_through(batch.front().seq);
            return SendOutcome::kProgress;
        }
        return retry_status(r, "a batch of " + std::to_string(batch.size()) + " alerts");
    };

    double next_heartbeat = o.heartbeat_interval > 0 ? now_seconds() : kInf;
    double next_send = now_seconds();

    for (;;) {
        bool stopping = false;
        double deadline = kInf;
        uint64_t spooled_seen = 0;
        {
            std::lock_guard lock(mu_);
            stopping = sender_stopping_;
            spooled_seen = spooled_batches_;
            if (stopping) {
                deadline = stop_deadline_;
            }
        }
        log_drops();
        publish();

        double now = now_seconds();
        if (stopping && (spool.empty() || now >= deadline)) {
            // A short run (a replay) can end before any heartbeat carried what the rules
            // suppressed: report it once more so the server's hit counts are complete.
            if (s.filter && s.filter->total() != s.reported_suppressed && now < deadline &&
                o.heartbeat_interval > 0) {
                send_heartbeat(deadline);
                publish();
            }
            break;
        }
        if (!stopping && s.want_rules && now >= s.next_rules_fetch) {
            fetch_rules(deadline);
            rules_settled();
            publish();
        }
        if (!stopping && now >= next_heartbeat) {
            send_heartbeat(deadline);
            next_heartbeat = now_seconds() + o.heartbeat_interval;
            publish();
        }
        now = now_seconds();
        if (!spool.empty() && now >= next_send && now < deadline) {
            const SendOutcome outcome =
                now < s.legacy_until ? send_legacy(deadline) : send_batch(deadline);
            publish();
            if (outcome == SendOutcome::kProgress) {
                s.backoff = o.backoff_initial;
                next_send = now_seconds();
                continue;
            }
            std::uniform_real_distribution<double> jitter(0.5, 1.0);
            const double delay = std::max(s.retry_after, s.backoff * jitter(s.rng));
            s.retry_after = 0;
            s.backoff = std::min(o.backoff_max, s.backoff * 2);
            next_send = now_seconds() + delay;
        }

        double wake_at = deadline;
        if (!stopping) {
            wake_at = std::min(wake_at, next_heartbeat);
            if (s.want_rules) {
                wake_at = std::min(wake_at, s.next_rules_fetch);
            }
        }
        if (!spool.empty()) {
            wake_at = std::min(wake_at, next_send);
        }
        std::unique_lock lock(mu_);
        const auto ready = [&] {
            return spooled_batches_ != spooled_seen || sender_stopping_ != stopping;
        };
        if (wake_at == kInf) {
            wake_.wait(lock, ready);
        } else {
            wake_.wait_until(lock, to_time_point(wake_at), ready);
        }
    }
    (void)spool.commit();
    finished_ = true;
    publish();
    const SpoolStats st = spool.stats();
    if (st.depth > 0) {
        SENTINEL_LOG(info, "shipper", "{} undelivered alerts stay spooled for the next start",
                     st.depth);
    }
}

}  // namespace sentinel::transport
