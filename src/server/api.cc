#include "server/api.h"

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>

#include "common/log.h"
#include "schema/alert_json.h"
#include "server/json_util.h"
#include "web/assets.h"

namespace sentinel::server {

namespace {

constexpr size_t kStateAlerts = 500;
constexpr size_t kMaxPageLimit = 1000;
constexpr size_t kExportPage = 1000;

Timestamp now() { return wall_now(); }

// The original's str(value) with falsy values as "".
std::string field_string(const Json& obj, const char* key) {
    const auto it = obj.find(key);
    if (it == obj.end())
        return {};
    const Json& v = *it;
    if (v.is_string())
        return v.get<std::string>();
    if (v.is_boolean())
        return v.get<bool>() ? "True" : "";
    if (v.is_null())
        return {};
    if (v.is_number())
        return v == 0 ? std::string() : v.dump();
    if (v.empty())
        return {};
    return dump(v);
}

uint64_t field_u64(const Json& obj, const char* key) {
    const auto it = obj.find(key);
    if (it == obj.end())
        return 0;
    if (it->is_number_unsigned())
        return it->get<uint64_t>();
    if (it->is_number_integer())
        return static_cast<uint64_t>(std::max<int64_t>(0, it->get<int64_t>()));
    if (it->is_number_float())
        return static_cast<uint64_t>(std::max(0.0, it->get<double>()));
    return 0;
}

bool valid_id(const std::string& id) {
    if (id.empty() || id.size() > 64)
        return false;
    for (char c : id) {
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'))
            return false;
    }
    return true;
}

// How far ahead of the server's clock an agent's time may be before it is not believed.
constexpr Duration kMaxClockAhead{86'400LL * 1'000'000'000};

// The alert's own time, or `fallback` (its arrival) when it has none or one that cannot be
// right: unparsable, outside 1970..2262, or more than a day ahead. `*fell_back` says the
// second case, which is counted.
Timestamp event_time(const Json& obj, Timestamp fallback, bool* fell_back) {
    const auto it = obj.find("ts");
    if (it == obj.end() || it->is_null())
        return fallback;
    std::optional<Timestamp> t;
    if (it->is_string()) {
        t = schema::parse_iso8601(it->get<std::string>());
    } else if (it->is_number()) {
        t = Timestamp::from_seconds_checked(it->get<double>());
    }
    if (!t || t->ns < 0 || *t > fallback + kMaxClockAhead) {
        *fell_back = true;
        return fallback;
    }
    return *t;
}

// The original's checks of one alert object, in order; the first that fails answers.
enum class AlertError { kNone, kMissingFields, kInvalidLevel, kInvalidId, kAgentMismatch };

// The answer's "error" text (the original's words), its metric and its status code.
struct AlertErrorInfo {
    const char* message;
    Reject reject;
    int status;
};
AlertErrorInfo describe(AlertError e) {
    switch (e) {
        case AlertError::kMissingFields:
            return {"Missing fields", Reject::kMissingFields, 400};
        case AlertError::kInvalidLevel:
            return {"Invalid level", Reject::kInvalidLevel, 422};
        case AlertError::kInvalidId:
            return {"Invalid id", Reject::kBadRequest, 400};
        case AlertError::kAgentMismatch:
            return {"Agent mismatch", Reject::kBadRequest, 400};
        case AlertError::kNone:
            break;
    }
    return {"", Reject::kBadRequest, 400};
}

struct Parsed {
    schema::Alert alert;
    bool has_id = false;
    std::string raw_id;
    AlertError error = AlertError::kNone;
    bool time_fell_back = false;
};

Parsed parse_alert(const Json& obj, Timestamp received) {
    Parsed p;
    if (obj.contains("id")) {
        p.has_id = true;
        p.raw_id = field_string(obj, "id");
    }
    for (const char* k : {"level", "category", "message", "agent_id", "hostname"}) {
        if (!obj.contains(k)) {
            p.error = AlertError::kMissingFields;
            return p;
        }
    }
    const auto level = schema::parse_severity(field_string(obj, "level"));
    if (!level) {
        p.error = AlertError::kInvalidLevel;
        return p;
    }
    if (p.has_id && !valid_id(p.raw_id)) {
        p.error = AlertError::kInvalidId;
        return p;
    }
    auto& a = p.alert;
    a.id = p.has_id ? p.raw_id : schema::make_alert_id();
    a.level = *level;
    a.agent_id = truncate_chars(field_string(obj, "agent_id"), kMaxAgentId);
    a.hostname = truncate_chars(field_string(obj, "hostname"), kMaxHostname);
    a.category = truncate_chars(field_string(obj, "category"), kMaxCategory);
    a.message = truncate_chars(field_string(obj, "message"), kMaxMessage);
    a.src = truncate_chars(field_string(obj, "src"), kMaxSrc);
    a.os = truncate_chars(field_string(obj, "os"), kMaxOs);
    a.received_at = received;
    a.ts = event_time(obj, received, &p.time_fell_back);
    if (const auto it = obj.find("flow"); it != obj.end()) {
        a.flow = schema::flow_from_json(*it);
    }
    return p;
}

HttpResponse too_many(const std::string& message, double retry_after_s) {
    auto r = HttpResponse::error(429, message);
    r.headers.emplace_back("Retry-After",
                           std::to_string(static_cast<int64_t>(retry_after_s + 0.999)));
    return r;
}

std::string url_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') {
            out += ' ';
        } else if (s[i] == '%' && i + 2 < s.size() + 0 &&
                   std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
                   std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
            out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

std::string csv_cell(const std::string& v) {
    std::string s = v;
    // A leading =, +, - or @ would run as a formula in a spreadsheet.
    if (!s.empty() && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@')) {
        s.insert(s.begin(), '\'');
    }
    if (s.find_first_of(",\"\r\n") == std::string::npos)
        return s;
    std::string out = "\"";
    for (char c : s) {
        if (c == '"')
            out += '"';
        out += c;
    }
    return out + "\"";
}

std::string csv_row(const store::StoredAlert& s) {
    static constexpr const char* kStatus[] = {"new", "acknowledged", "resolved"};
    const auto& a = s.alert;
    const auto& w = s.workflow;
    auto time_cell = [](const std::optional<Timestamp>& t) {
        return t ? schema::format_iso8601(*t) : std::string();
    };
    std::string flow = ",,,,";
    if (a.flow) {
        flow = csv_cell(a.flow->src_ip) + "," + std::to_string(a.flow->src_port) + "," +
               csv_cell(a.flow->dest_ip) + "," + std::to_string(a.flow->dest_port) + "," +
               std::to_string(a.flow->proto);
    }
    return csv_cell(a.id) + "," + schema::format_iso8601(a.ts) + "," +
           schema::format_iso8601(a.received_at.value_or(a.ts)) + "," +
           std::string(schema::to_string(a.level)) + "," + csv_cell(a.category) + "," +
           csv_cell(a.message) + "," + csv_cell(a.src) + "," + csv_cell(a.agent_id) + "," +
           csv_cell(a.hostname) + "," + flow + "," +
           kStatus[std::min<size_t>(static_cast<size_t>(w.status), 2)] + "," + csv_cell(w.ack_by) +
           "," + time_cell(w.ack_at) + "," + csv_cell(w.resolved_by) + "," +
           time_cell(w.resolved_at) + "\r\n";
}

void add_security_headers(HttpResponse& r) {
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    r.headers.emplace_back("X-Frame-Options", "DENY");
    r.headers.emplace_back("Referrer-Policy", "no-referrer");
    r.headers.emplace_back("Strict-Transport-Security", "max-age=31536000");
}

// The media type of a Content-Type header in lower case, without parameters.
std::string media_type(std::string_view value) {
    value = value.substr(0, value.find(';'));
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
        value.remove_suffix(1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
        value.remove_prefix(1);
    std::string out(value);
    for (auto& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// A state-changing dashboard request must come from the dashboard itself. Browsers send Origin on
// every POST/PUT/DELETE, so a foreign one is refused; a request without Origin is not from a
// browser (scripts with a token or cookie) and cannot carry another site's cookie. A body must be
// JSON: text/plain and form bodies are what a foreign page can send without a CORS preflight.
std::optional<HttpResponse> refuse_cross_site(const HttpRequest& r) {
    const auto& origin = r.header("origin");
    const auto& host = r.header("host");
    if (!origin.empty() && (host.empty() || origin != "https://" + host)) {
        return HttpResponse::error(403, "Forbidden origin");
    }
    const auto& fetch_site = r.header("sec-fetch-site");
    if (origin.empty() && (fetch_site == "cross-site" || fetch_site == "same-site")) {
        return HttpResponse::error(403, "Forbidden origin");
    }
    if (!r.body.empty() && media_type(r.header("content-type")) != "application/json") {
        return HttpResponse::error(415, "Content-Type must be application/json");
    }
    return std::nullopt;
}

}  // namespace

const std::string& HttpRequest::header(const std::string& name) const {
    static const std::string kEmpty;
    for (const auto& [k, v] : headers) {
        if (k == name)
            return v;
    }
    return kEmpty;
}

std::string HttpRequest::path() const { return url_decode(target.substr(0, target.find('?'))); }

std::string HttpRequest::query(const std::string& name) const {
    const auto q = target.find('?');
    if (q == std::string::npos)
        return {};
    std::string_view rest(target);
    rest.remove_prefix(q + 1);
    while (!rest.empty()) {
        const auto amp = rest.find('&');
        const auto part = rest.substr(0, amp);
        const auto eq = part.find('=');
        if (url_decode(part.substr(0, eq)) == name) {
            return eq == std::string_view::npos ? std::string() : url_decode(part.substr(eq + 1));
        }
        if (amp == std::string_view::npos)
            break;
        rest.remove_prefix(amp + 1);
    }
    return {};
}

HttpResponse HttpResponse::json(int status, std::string body) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

HttpResponse HttpResponse::error(int status, const std::string& message) {
    return json(status, dump(Json{{"error", message}}));
}

std::string truncate_chars(std::string s, size_t max_chars) {
    size_t chars = 0;
    for (size_t i = 0; i < s.size(); ++i) {
        if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
            if (chars == max_chars) {
                s.resize(i);
                return s;
            }
            ++chars;
        }
    }
    return s;
}

std::string cookie_value(const std::string& header, const std::string& name) {
    std::string_view rest(header);
    while (!rest.empty()) {
        const auto semi = rest.find(';');
        auto part = rest.substr(0, semi);
        while (!part.empty() && part.front() == ' ')
            part.remove_prefix(1);
        if (part.size() > name.size() && part.substr(0, name.size()) == name &&
            part[name.size()] == '=') {
            return std::string(part.substr(name.size() + 1));
        }
        if (semi == std::string_view::npos)
            break;
        rest.remove_prefix(semi + 1);
    }
    return {};
}

Api::Api(const config::Config& config, store::Store& store, LiveState& live, Auth& auth,
         Metrics& metrics)
    : config_(config),
      store_(store),
      live_(live),
      auth_(auth),
      metrics_(metrics),
      suppressions_(std::make_unique<Suppressions>(store, live)) {
    suppressions_->start();
    worker_ = std::thread([this] { worker_loop(); });
}

Api::~Api() { stop_worker(); }

void Api::stop_worker() {
    {
        std::lock_guard lock(worker_mu_);
        worker_stop_ = true;
        worker_queue_.clear();
        worker_cv_.notify_all();
    }
    if (worker_.joinable())
        worker_.join();
    suppressions_->stop();
}

bool Api::submit_slow(const std::string& key, std::function<void()> task) {
    constexpr size_t kMaxQueued = 64;
    constexpr size_t kMaxQueuedPerKey = 2;
    std::lock_guard lock(worker_mu_);
    if (worker_stop_ || worker_queue_.size() >= kMaxQueued)
        return false;
    auto& mine = worker_queued_[key];
    if (mine >= kMaxQueuedPerKey)
        return false;
    ++mine;
    worker_queue_.push_back(SlowTask{key, std::move(task)});
    worker_cv_.notify_one();
    return true;
}

void Api::worker_loop() {
    for (;;) {
        SlowTask task;
        {
            std::unique_lock lock(worker_mu_);
            worker_cv_.wait(lock, [&] { return worker_stop_ || !worker_queue_.empty(); });
            if (worker_stop_)
                return;
            task = std::move(worker_queue_.front());
            worker_queue_.pop_front();
        }
        task.run();
        std::lock_guard lock(worker_mu_);
        if (auto it = worker_queued_.find(task.key);
            it != worker_queued_.end() && --it->second == 0)
            worker_queued_.erase(it);
    }
}

bool Api::agent_key_ok(const HttpRequest& r) {
    // An empty configured key is refused at start-up, so "" never matches here.
    return !config_.api_key.empty() && Auth::secrets_equal(r.header("x-api-key"), config_.api_key);
}

std::optional<Identity> Api::authenticate(const HttpRequest& r) {
    const auto& authz = r.header("authorization");
    if (authz.size() > 7 &&
        (authz.compare(0, 7, "Bearer ") == 0 || authz.compare(0, 7, "bearer ") == 0)) {
        return auth_.bearer(authz.substr(7));
    }
    return auth_.session(cookie_value(r.header("cookie"), Auth::kCookieName));
}

Api::WsCheck Api::check_websocket(const HttpRequest& r) {
    WsCheck c;
    auto who = authenticate(r);
    if (!who) {
        metrics_.reject(Reject::kUnauthorized);
        c.refusal = HttpResponse::error(401, "Unauthorized");
        return c;
    }
    const auto& origin = r.header("origin");
    const auto& host = r.header("host");
    if (origin.empty() || host.empty() || origin != "https://" + host) {
        metrics_.reject(Reject::kUnauthorized);
        c.refusal = HttpResponse::error(403, "Forbidden origin");
        return c;
    }
    c.identity = std::move(who);
    return c;
}

void Api::handle(HttpRequest r, Responder done) {
    const std::string path = r.path();
    auto not_found = [&] {
        metrics_.reject(Reject::kNotFound);
        done(HttpResponse::error(404, "Not found"));
    };
    auto wrong_method = [&](const char* allow) {
        metrics_.reject(Reject::kMethodNotAllowed);
        auto resp = HttpResponse::error(405, "Method not allowed");
        resp.headers.emplace_back("Allow", allow);
        done(std::move(resp));
    };

    if (r.port == Port::kAgent) {
        if (path == "/api/agent/suppressions") {
            if (r.method != "GET")
                return wrong_method("GET");
            if (!agent_key_ok(r)) {
                metrics_.reject(Reject::kUnauthorized);
                return done(HttpResponse::error(401, "Unauthorized"));
            }
            return done(HttpResponse::json(200, suppressions_->agent_rules_json(now())));
        }
        if (path == "/api/alert" || path == "/api/alerts" || path == "/api/agent/heartbeat") {
            if (r.method != "POST")
                return wrong_method("POST");
            if (path == "/api/alert")
                return post_alert(r, std::move(done));
            if (path == "/api/alerts")
                return post_alerts(r, std::move(done));
            return heartbeat(r, std::move(done));
        }
        return not_found();
    }

    // GUI port: wrap the responder so every answer carries the security headers.
    Responder gui_done = [done = std::move(done)](HttpResponse resp) {
        add_security_headers(resp);
        if (resp.content_type == "application/json") {
            resp.headers.emplace_back("Cache-Control", "no-store");
        }
        done(std::move(resp));
    };
    if (r.method != "GET" && r.method != "HEAD") {
        if (auto refusal = refuse_cross_site(r)) {
            metrics_.reject(refusal->status == 415 ? Reject::kBadContentType
                                                   : Reject::kForbiddenOrigin);
            return gui_done(std::move(*refusal));
        }
    }
    if (manage_route(path, r, gui_done))
        return;
    struct Route {
        const char* path;
        const char* method;
    };
    static constexpr Route kRoutes[] = {
        {"/api/login", "POST"}, {"/api/logout", "POST"}, {"/api/me", "GET"},
        {"/api/state", "GET"},  {"/api/alerts", "GET"},  {"/api/alerts/export", "GET"},
        {"/api/agents", "GET"}, {"/metrics", "GET"},     {"/ws", "GET"}};
    const Route* route = nullptr;
    for (const auto& rt : kRoutes) {
        if (path == rt.path)
            route = &rt;
    }
    if (!route) {
        if (path.rfind("/api/", 0) == 0) {
            metrics_.reject(Reject::kNotFound);
            return gui_done(HttpResponse::error(404, "Not found"));
        }
        if (r.method != "GET" && r.method != "HEAD") {
            metrics_.reject(Reject::kMethodNotAllowed);
            auto resp = HttpResponse::error(405, "Method not allowed");
            resp.headers.emplace_back("Allow", "GET");
            return gui_done(std::move(resp));
        }
        return gui_done(asset(r));
    }
    if (r.method != route->method) {
        metrics_.reject(Reject::kMethodNotAllowed);
        auto resp = HttpResponse::error(405, "Method not allowed");
        resp.headers.emplace_back("Allow", route->method);
        return gui_done(std::move(resp));
    }
    if (path == "/api/login") {
        // A throttled address is answered at once, without a place in the hashing queue, and each
        // address holds at most a few places: one address's burst cannot lock out another's.
        if (auth_.throttled(r.peer_ip)) {
            metrics_.login_failed();
            return gui_done(too_many("Too many attempts", 60));
        }
        auto shared = std::make_shared<HttpRequest>(std::move(r));
        const std::string key = shared->peer_ip;
        if (!submit_slow(key, [this, shared, gui_done] { gui_done(login(*shared)); })) {
            metrics_.login_failed();
            gui_done(too_many("Too many attempts", 5));
        }
        return;
    }
    const auto who = authenticate(r);
    if (!who) {
        metrics_.reject(Reject::kUnauthorized);
        return gui_done(HttpResponse::error(401, "Unauthorized"));
    }
    if (path == "/api/logout") {
        audit(who->user, r.peer_ip, "logout", who->user);
        return gui_done(logout(r));
    }
    if (path == "/api/me") {
        return gui_done(
            HttpResponse::json(200, dump(Json{{"user", who->user}, {"role", who->role}})));
    }
    if (path == "/api/state")
        return gui_done(state());
    if (path == "/api/alerts")
        return gui_done(list_alerts(r));
    if (path == "/api/alerts/export")
        return gui_done(export_alerts(r));
    if (path == "/api/agents")
        return gui_done(HttpResponse::json(200, live_.agents_json(now())));
    if (path == "/metrics") {
        HttpResponse m;
        m.content_type = "text/plain; version=0.0.4";
        m.body = metrics_.render(live_.agents_online(now())) + suppressions_->metrics_text();
        return gui_done(std::move(m));
    }
    // /ws without an upgrade.
    return gui_done(HttpResponse::error(400, "WebSocket upgrade required"));
}

void Api::post_alert(HttpRequest& r, Responder done) {
    if (!agent_key_ok(r)) {
        metrics_.reject(Reject::kUnauthorized);
        return done(HttpResponse::error(401, "Unauthorized"));
    }
    const auto parsed = parse_body(r.body);
    if (!parsed) {
        metrics_.reject(Reject::kBadRequest);
        return done(HttpResponse::error(400, parsed.error()));
    }
    const Json& body = *parsed;
    if (!body.is_object() || body.empty()) {
        metrics_.reject(Reject::kBadRequest);
        return done(HttpResponse::error(400, "Bad request"));
    }
    const auto received = now();
    Parsed p = parse_alert(body, received);
    if (p.error != AlertError::kNone) {
        const auto e = describe(p.error);
        metrics_.reject(e.reject);
        return done(HttpResponse::error(e.status, e.message));
    }
    if (p.time_fell_back)
        metrics_.time_fallback();
    store::AgentRecord record;
    double retry = 0;
    const AgentContact who{p.alert.agent_id, p.alert.hostname, p.alert.os, r.peer_ip};
    switch (live_.admit_alerts(who, 1, received, &record, &retry)) {
        case LiveState::Admit::kAgentLimit:
            metrics_.reject(Reject::kAgentLimit);
            return done(too_many("Agent limit reached", config_.agent_rate_window));
        case LiveState::Admit::kRateLimited:
            metrics_.reject(Reject::kRateLimited);
            return done(too_many("Rate limit exceeded", retry));
        case LiveState::Admit::kOk:
            break;
    }
    if (suppressions_->match(p.alert, received)) {
        // Acknowledged so the agent drops it, but neither stored nor pushed.
        return done(HttpResponse::json(
            201, dump(Json{{"ok", true}, {"id", p.alert.id}, {"suppressed", true}})));
    }
    store::WriteBatch batch;
    batch.alerts.push_back(p.alert);
    batch.agent = std::move(record);
    const auto started = std::chrono::steady_clock::now();
    store_.write(std::move(batch), [this, done = std::move(done), alert = std::move(p.alert),
                                    started](store::WriteResult res) {
        metrics_.observe_commit(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
        if (!res.status) {
            metrics_.reject(Reject::kStoreError);
            return done(HttpResponse::error(503, "Storage unavailable"));
        }
        const bool fresh = !res.inserted.empty() && res.inserted[0];
        if (fresh) {
            live_.alerts_committed(alert.agent_id, {alert});
        } else {
            metrics_.duplicate();
            live_.agents_changed();
        }
        done(HttpResponse::json(201, dump(Json{{"ok", true}, {"id", alert.id}})));
    });
}

void Api::post_alerts(HttpRequest& r, Responder done) {
    if (!agent_key_ok(r)) {
        metrics_.reject(Reject::kUnauthorized);
        return done(HttpResponse::error(401, "Unauthorized"));
    }
    const auto parsed = parse_body(r.body);
    if (!parsed) {
        metrics_.reject(Reject::kBadRequest);
        return done(HttpResponse::error(400, parsed.error()));
    }
    const Json& body = *parsed;
    if (!body.is_object() || !body.contains("alerts") || !body["alerts"].is_array()) {
        metrics_.reject(Reject::kBadRequest);
        return done(HttpResponse::error(400, "Bad request"));
    }
    const auto& items = body["alerts"];
    if (items.size() > kMaxBatch) {
        metrics_.reject(Reject::kBadRequest);
        return done(HttpResponse::error(400, "Too many alerts"));
    }
    const auto received = now();
    Json rejected = Json::array();
    std::vector<schema::Alert> valid;
    valid.reserve(items.size());
    for (const auto& item : items) {
        if (!item.is_object()) {
            rejected.push_back({{"id", ""}, {"error", "Bad request"}});
            continue;
        }
        Parsed p = parse_alert(item, received);
        if (p.error == AlertError::kNone && !p.has_id)
            p.error = AlertError::kInvalidId;
        if (p.error == AlertError::kNone && !valid.empty() &&
            p.alert.agent_id != valid.front().agent_id) {
            p.error = AlertError::kAgentMismatch;
        }
        if (p.error != AlertError::kNone) {
            const auto e = describe(p.error);
            metrics_.reject(e.reject);
            rejected.push_back({{"id", p.raw_id}, {"error", e.message}});
            continue;
        }
        if (p.time_fell_back)
            metrics_.time_fallback();
        valid.push_back(std::move(p.alert));
    }
    if (valid.empty()) {
        return done(HttpResponse::json(201, dump(Json{{"ok", true},
                                                      {"accepted", Json::array()},
                                                      {"duplicates", Json::array()},
                                                      {"rejected", rejected},
                                                      {"suppressed", Json::array()}})));
    }
    store::AgentRecord record;
    double retry = 0;
    const auto& first = valid.front();
    const AgentContact who{first.agent_id, first.hostname, first.os, r.peer_ip};
    switch (live_.admit_alerts(who, valid.size(), received, &record, &retry)) {
        case LiveState::Admit::kAgentLimit:
            metrics_.reject(Reject::kAgentLimit);
            return done(too_many("Agent limit reached", config_.agent_rate_window));
        case LiveState::Admit::kRateLimited:
            metrics_.reject(Reject::kRateLimited);
            return done(too_many("Rate limit exceeded", retry));
        case LiveState::Admit::kOk:
            break;
    }
    Json suppressed = Json::array();
    std::erase_if(valid, [&](const schema::Alert& a) {
        if (!suppressions_->match(a, received))
            return false;
        suppressed.push_back(a.id);
        return true;
    });
    store::WriteBatch batch;
    batch.alerts = valid;
    batch.agent = std::move(record);
    const auto started = std::chrono::steady_clock::now();
    store_.write(
        std::move(batch),
        [this, done = std::move(done), valid = std::move(valid), rejected = std::move(rejected),
         suppressed = std::move(suppressed), started](store::WriteResult res) mutable {
            metrics_.observe_commit(
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
            if (!res.status) {
                metrics_.reject(Reject::kStoreError);
                return done(HttpResponse::error(503, "Storage unavailable"));
            }
            Json accepted = Json::array(), duplicates = Json::array();
            std::vector<schema::Alert> fresh;
            for (size_t i = 0; i < valid.size(); ++i) {
                if (i < res.inserted.size() && res.inserted[i]) {
                    accepted.push_back(valid[i].id);
                    fresh.push_back(std::move(valid[i]));
                } else {
                    duplicates.push_back(valid[i].id);
                    metrics_.duplicate();
                }
            }
            live_.alerts_committed(fresh.empty() ? std::string() : fresh.front().agent_id, fresh);
            // Suppressed alerts count as delivered: listed in "accepted" and in "suppressed".
            for (const auto& id : suppressed)
                accepted.push_back(id);
            done(HttpResponse::json(201, dump(Json{{"ok", true},
                                                   {"accepted", accepted},
                                                   {"duplicates", duplicates},
                                                   {"rejected", rejected},
                                                   {"suppressed", suppressed}})));
        });
}

void Api::heartbeat(HttpRequest& r, Responder done) {
    if (!agent_key_ok(r)) {
        metrics_.reject(Reject::kUnauthorized);
        return done(HttpResponse::error(401, "Unauthorized"));
    }
    auto parsed = parse_body(r.body);
    if (!parsed && !r.body.empty()) {
        metrics_.reject(Reject::kBadRequest);
        return done(HttpResponse::error(400, parsed.error()));
    }
    Json body = parsed && parsed->is_object() ? std::move(parsed).value() : Json::object();
    AgentContact who;
    who.agent_id = truncate_chars(field_string(body, "agent_id"), kMaxAgentId);
    if (who.agent_id.empty()) {
        metrics_.reject(Reject::kMissingFields);
        return done(HttpResponse::error(400, "Missing agent_id"));
    }
    who.hostname = truncate_chars(field_string(body, "hostname"), kMaxHostname);
    if (who.hostname.empty())
        who.hostname = "unknown";
    who.os = truncate_chars(field_string(body, "os"), kMaxOs);
    who.ip = r.peer_ip;
    LiveState::Heartbeat hb;
    hb.version = truncate_chars(field_string(body, "version"), 64);
    hb.uptime_s = field_u64(body, "uptime_s");
    hb.packets = field_u64(body, "packets");
    hb.bytes = field_u64(body, "bytes");
    hb.capture_drops = field_u64(body, "capture_drops");
    hb.spool_depth = field_u64(body, "spool_depth");
    hb.spool_dropped = field_u64(body, "spool_dropped");
    Json extra = Json::object();
    for (const char* k : {"alerts", "spool_bytes", "vt_requests", "vt_quota_left", "rss_bytes",
                          "peak_rss_bytes", "state_bytes", "state_cap_bytes", "startup_ms"}) {
        if (body.contains(k) && body[k].is_number())
            extra[k] = body[k];
    }
    if (body.contains("anomalies") && body["anomalies"].is_object() &&
        body["anomalies"].size() <= 64) {
        Json an = Json::object();
        for (const auto& [k, v] : body["anomalies"].items()) {
            if (v.is_number())
                an[truncate_chars(k, 64)] = v;
        }
        extra["anomalies"] = an;
    }
    hb.extra_json = dump(extra);
    const auto t = now();
    auto record = live_.heartbeat(who, hb, t);
    const std::string reply =
        dump(Json{{"ok", true}, {"suppressions_version", suppressions_->version()}});
    if (!record) {
        // The original answers a new agent at the cap with a silent 200.
        metrics_.reject(Reject::kAgentLimit);
        return done(HttpResponse::json(200, reply));
    }
    if (const auto it = body.find("suppressed"); it != body.end() && it->is_object()) {
        // Per-rule counts since the agent process started; the server turns them into deltas.
        std::vector<std::pair<int64_t, uint64_t>> counts;
        for (const auto& [k, v] : it->items()) {
            char* end = nullptr;
            const long long id = std::strtoll(k.c_str(), &end, 10);
            if (counts.size() < 1000 && end && *end == '\0' && id > 0 && v.is_number()) {
                counts.emplace_back(id, field_u64(*it, k.c_str()));
            }
        }
        suppressions_->agent_report(who.agent_id, counts, t);
    }
    store::WriteBatch batch;
    batch.agent = std::move(*record);
    store_.write(std::move(batch), [this, done = std::move(done), reply](store::WriteResult res) {
        if (!res.status) {
            metrics_.reject(Reject::kStoreError);
            return done(HttpResponse::error(503, "Storage unavailable"));
        }
        live_.agents_changed();
        done(HttpResponse::json(200, reply));
    });
}

HttpResponse Api::login(const HttpRequest& r) {
    const auto parsed = parse_body(r.body);
    if (!parsed) {
        metrics_.reject(Reject::kBadRequest);
        return HttpResponse::error(400, parsed.error());
    }
    const Json& body = *parsed;
    if (!body.is_object() || !body.contains("username") || !body.contains("password") ||
        !body["username"].is_string() || !body["password"].is_string()) {
        metrics_.reject(Reject::kBadRequest);
        return HttpResponse::error(400, "Bad request");
    }
    auto res = auth_.login(body["username"].get<std::string>(), body["password"].get<std::string>(),
                           r.peer_ip);
    const std::string attempted = truncate_chars(body["username"].get<std::string>(), 64);
    if (res.outcome == Auth::LoginOutcome::kThrottled) {
        metrics_.login_failed();
        audit(attempted, r.peer_ip, "login_failed", attempted, "throttled");
        return too_many("Too many attempts", 60);
    }
    if (res.outcome != Auth::LoginOutcome::kOk) {
        metrics_.login_failed();
        audit(attempted, r.peer_ip, "login_failed", attempted);
        return HttpResponse::error(401, "Invalid credentials");
    }
    audit(res.identity.user, r.peer_ip, "login", res.identity.user);
    SENTINEL_LOG(info, "server", "dashboard login: {} from {}", res.identity.user, r.peer_ip);
    auto resp = HttpResponse::json(
        200, dump(Json{{"ok", true}, {"user", res.identity.user}, {"role", res.identity.role}}));
    resp.headers.emplace_back("Set-Cookie", std::string(Auth::kCookieName) + "=" + res.session_id +
                                                "; HttpOnly; Secure; SameSite=Strict; Path=/");
    return resp;
}

HttpResponse Api::logout(const HttpRequest& r) {
    auth_.logout(cookie_value(r.header("cookie"), Auth::kCookieName));
    auto resp = HttpResponse::json(200, R"({"ok":true})");
    resp.headers.emplace_back("Set-Cookie", std::string(Auth::kCookieName) +
                                                "=; HttpOnly; Secure; SameSite=Strict; Path=/; "
                                                "Max-Age=0");
    return resp;
}

HttpResponse Api::state() {
    store::AlertQuery q;
    q.limit = kStateAlerts;
    auto page = store_.query_alerts(q);
    if (!page) {
        return HttpResponse::error(503, "Storage unavailable");
    }
    std::string alerts = "[";
    for (size_t i = 0; i < page->alerts.size(); ++i) {
        if (i)
            alerts += ',';
        alerts += alert_json(page->alerts[i].alert, &page->alerts[i].workflow);
    }
    alerts += ']';
    const auto t = now();
    return HttpResponse::json(200, "{\"alerts\":" + alerts + ",\"stats\":" + live_.stats_json(t) +
                                       ",\"agents\":" + live_.agents_json(t) +
                                       ",\"timeline\":" + live_.timeline_json(t) + "}");
}

std::optional<HttpResponse> read_alert_filters(const HttpRequest& r, store::AlertQuery& q) {
    if (auto st = r.query("status"); !st.empty()) {
        if (st == "new")
            q.status = store::StatusFilter::kNew;
        else if (st == "acknowledged")
            q.status = store::StatusFilter::kAcknowledged;
        else if (st == "resolved")
            q.status = store::StatusFilter::kResolved;
        else if (st == "open")
            q.status = store::StatusFilter::kOpen;
        else
            return HttpResponse::error(400, "status: expected new, acknowledged, resolved or open");
    }
    if (auto lv = r.query("level"); !lv.empty()) {
        q.level = schema::parse_severity(lv);
        if (!q.level)
            return HttpResponse::error(400, "Invalid level");
    }
    q.category = r.query("category");
    q.text = r.query("q");
    q.agent_id = r.query("agent");
    q.src = r.query("src");
    for (auto [name, target] : {std::pair{"since", &q.since}, std::pair{"until", &q.until}}) {
        if (auto v = r.query(name); !v.empty()) {
            *target = schema::parse_iso8601(v);
            if (!*target)
                return HttpResponse::error(400, std::string("Invalid ") + name);
        }
    }
    return std::nullopt;
}

HttpResponse Api::list_alerts(const HttpRequest& r) {
    store::AlertQuery q;
    if (auto err = read_alert_filters(r, q))
        return *err;
    q.limit = 100;
    if (auto l = r.query("limit"); !l.empty()) {
        char* end = nullptr;
        const long v = std::strtol(l.c_str(), &end, 10);
        if (*end != '\0' || v <= 0)
            return HttpResponse::error(400, "Invalid limit");
        q.limit = std::min<size_t>(static_cast<size_t>(v), kMaxPageLimit);
    }
    if (auto b = r.query("before"); !b.empty()) {
        char* end = nullptr;
        const long long v = std::strtoll(b.c_str(), &end, 10);
        if (*end != '\0' || v <= 0)
            return HttpResponse::error(400, "Invalid cursor");
        q.before = v;
    }
    auto page = store_.query_alerts(q);
    if (!page)
        return HttpResponse::error(503, "Storage unavailable");
    std::string body = "{\"alerts\":[";
    for (size_t i = 0; i < page->alerts.size(); ++i) {
        if (i)
            body += ',';
        body += alert_json(page->alerts[i].alert, &page->alerts[i].workflow);
    }
    body += "],\"next\":";
    body += page->next ? "\"" + std::to_string(*page->next) + "\"" : "null";
    body += '}';
    return HttpResponse::json(200, std::move(body));
}

HttpResponse Api::export_alerts(const HttpRequest& r) {
    store::AlertQuery q;
    if (auto err = read_alert_filters(r, q))
        return *err;
    q.limit = kExportPage;
    const std::string format = r.query("format").empty() ? "json" : r.query("format");
    if (format != "json" && format != "ndjson" && format != "csv") {
        return HttpResponse::error(400, "Invalid format");
    }
    HttpResponse resp;
    resp.content_type = format == "json"     ? "application/json"
                        : format == "ndjson" ? "application/x-ndjson"
                                             : "text/csv; charset=utf-8";
    resp.headers.emplace_back("Content-Disposition",
                              "attachment; filename=netsentinel-alerts." + format);
    resp.headers.emplace_back("Cache-Control", "no-store");
    struct Cursor {
        store::AlertQuery query;
        std::string format;
        bool started = false;
        bool finished = false;
        bool any = false;
    };
    auto cur = std::make_shared<Cursor>(Cursor{q, format});
    store::Store* store = &store_;
    resp.stream = [cur, store]() -> std::optional<std::string> {
        if (cur->finished)
            return std::nullopt;
        std::string out;
        if (!cur->started) {
            cur->started = true;
            if (cur->format == "json")
                out = "[";
            if (cur->format == "csv") {
                out =
                    "id,ts,received_at,level,category,message,src,agent_id,hostname,src_ip,"
                    "src_port,dest_ip,dest_port,proto,status,ack_by,ack_at,resolved_by,"
                    "resolved_at\r\n";
            }
        }
        auto page = store->query_alerts(cur->query);
        if (!page) {
            cur->finished = true;  // the client sees a truncated body
            return out;
        }
        for (const auto& a : page->alerts) {
            if (cur->format == "csv") {
                out += csv_row(a);
            } else if (cur->format == "ndjson") {
                out += alert_json(a.alert, &a.workflow);
                out += '\n';
            } else {
                out += cur->any ? ",\n" : "\n";
                out += alert_json(a.alert, &a.workflow);
            }
            cur->any = true;
        }
        if (page->next) {
            cur->query.before = page->next;
        } else {
            cur->finished = true;
            if (cur->format == "json")
                out += "\n]\n";
        }
        return out;
    };
    return resp;
}

HttpResponse Api::asset(const HttpRequest& r) {
    const auto* a = web::find_asset(r.path());
    if (!a) {
        metrics_.reject(Reject::kNotFound);
        HttpResponse nf;
        nf.status = 404;
        nf.content_type = "text/plain; charset=utf-8";
        nf.body = "Not found\n";
        return nf;
    }
    HttpResponse resp;
    resp.content_type = std::string(a->content_type);
    resp.body = std::string(a->body);
    resp.headers.emplace_back("Cache-Control",
                              a->immutable ? "public, max-age=31536000, immutable" : "no-cache");
    resp.headers.emplace_back("Content-Security-Policy",
                              "default-src 'self'; connect-src 'self'; img-src 'self' data:; "
                              "style-src 'self'; frame-ancestors 'none'; "
                              "base-uri 'none'; form-action 'self'");
    return resp;
}

}  // namespace sentinel::server
