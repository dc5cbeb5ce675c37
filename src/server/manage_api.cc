// Issue #11 routes of the GUI port: users and roles, per-user API tokens, the audit log,
// suppression rules, acknowledge / resolve and alert groups.
#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "common/log.h"
#include "schema/alert_json.h"
#include "server/api.h"
#include "server/json_util.h"

namespace sentinel::server {

namespace {

constexpr size_t kMaxIds = 10'000;
constexpr size_t kMaxPassword = 1024;
constexpr size_t kMinPassword = 10;
constexpr int64_t kWouldHaveMatchedWindowNs = 7LL * 86'400 * 1'000'000'000;

Timestamp now() { return wall_now(); }

Json time_or_null(const std::optional<Timestamp>& t) {
    return t ? Json(schema::format_iso8601(*t)) : Json();
}

bool valid_user_name(const std::string& n) {
    if (n.empty() || n.size() > 64)
        return false;
    return std::all_of(n.begin(), n.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
    });
}

size_t utf8_chars(const std::string& s) {
    return static_cast<size_t>(std::count_if(
        s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

Json user_json(const store::UserRecord& u) {
    Json j;
    j["name"] = u.name;
    j["role"] = u.role;
    j["created_at"] = u.created_at.ns > 0 ? Json(schema::format_iso8601(u.created_at)) : Json();
    return j;
}

Json token_json(const store::TokenRecord& t) {
    Json j;
    j["id"] = t.id;
    j["name"] = t.name;
    j["user"] = t.user;
    j["role"] = t.role;
    j["created_at"] = schema::format_iso8601(t.created);
    j["last_used"] = time_or_null(t.last_used);
    return j;
}

// A JSON object body, or nullopt (answer 400 "Bad request").
std::optional<Json> object_body(const HttpRequest& r) {
    auto body = parse_body(r.body);
    if (!body || !body->is_object())
        return std::nullopt;
    return std::move(body).value();
}

HttpResponse bad_request() { return HttpResponse::error(400, "Bad request"); }
HttpResponse invalid(const std::string& message) { return HttpResponse::error(422, message); }
HttpResponse storage_error() { return HttpResponse::error(503, "Storage unavailable"); }

// A positive integer path segment or query value; nullopt otherwise.
std::optional<int64_t> parse_id(const std::string& text) {
    if (text.empty() || text.size() > 18)
        return std::nullopt;
    if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    const int64_t v = std::stoll(text);
    return v > 0 ? std::optional<int64_t>(v) : std::nullopt;
}

}  // namespace

void Api::audit(const std::string& user, const std::string& ip, const std::string& action,
                const std::string& target, const std::string& detail) {
    store::AuditEntry e;
    e.ts = now();
    e.user = user;
    e.ip = ip;
    e.action = action;
    e.target = truncate_chars(target, 512);
    e.detail = truncate_chars(detail, 2048);
    if (auto st = store_.append_audit(e); !st) {
        SENTINEL_LOG(warn, "server", "cannot write the audit log ({} by {}): {}", action, user,
                     st.message());
    }
}

bool Api::manage_route(const std::string& path, HttpRequest& r, const Responder& done) {
    enum class Kind {
        kUsers,
        kUser,
        kPassword,
        kTokens,
        kToken,
        kAudit,
        kRules,
        kRule,
        kAck,
        kResolve,
        kGroups
    };
    Kind kind;
    std::string arg;
    const char* allow;
    auto under = [&](const char* prefix) {
        const std::string p(prefix);
        if (path.size() > p.size() && path.compare(0, p.size(), p) == 0 &&
            path.find('/', p.size()) == std::string::npos) {
            arg = path.substr(p.size());
            return true;
        }
        return false;
    };
    if (path == "/api/users") {
        kind = Kind::kUsers;
        allow = "GET, POST";
    } else if (under("/api/users/")) {
        kind = Kind::kUser;
        allow = "DELETE";
    } else if (path == "/api/me/password") {
        kind = Kind::kPassword;
        allow = "POST";
    } else if (path == "/api/tokens") {
        kind = Kind::kTokens;
        allow = "GET, POST";
    } else if (under("/api/tokens/")) {
        kind = Kind::kToken;
        allow = "DELETE";
    } else if (path == "/api/audit") {
        kind = Kind::kAudit;
        allow = "GET";
    } else if (path == "/api/suppressions") {
        kind = Kind::kRules;
        allow = "GET, POST";
    } else if (under("/api/suppressions/")) {
        kind = Kind::kRule;
        allow = "DELETE";
    } else if (path == "/api/alerts/ack") {
        kind = Kind::kAck;
        allow = "POST";
    } else if (path == "/api/alerts/resolve") {
        kind = Kind::kResolve;
        allow = "POST";
    } else if (path == "/api/alert-groups") {
        kind = Kind::kGroups;
        allow = "GET";
    } else {
        return false;
    }
    const std::string allowed(allow);
    if ((", " + allowed + ",").find(", " + r.method + ",") == std::string::npos) {
        metrics_.reject(Reject::kMethodNotAllowed);
        auto resp = HttpResponse::error(405, "Method not allowed");
        resp.headers.emplace_back("Allow", allowed);
        done(std::move(resp));
        return true;
    }
    const auto who = authenticate(r);
    if (!who) {
        metrics_.reject(Reject::kUnauthorized);
        done(HttpResponse::error(401, "Unauthorized"));
        return true;
    }
    const bool write = r.method != "GET";
    const bool admin_only = kind == Kind::kUsers || kind == Kind::kUser || kind == Kind::kAudit ||
                            (write && (kind == Kind::kRules || kind == Kind::kRule ||
                                       kind == Kind::kAck || kind == Kind::kResolve));
    if (admin_only && !who->is_admin()) {
        done(HttpResponse::error(403, "Forbidden: admin role required"));
        return true;
    }
    switch (kind) {
        case Kind::kUsers:
            if (r.method == "GET")
                done(list_users());
            else
                create_user(r, *who, done);
            break;
        case Kind::kUser:
            done(delete_user(r, *who, arg));
            break;
        case Kind::kPassword:
            change_password(r, *who, done);
            break;
        case Kind::kTokens:
            done(r.method == "GET" ? list_tokens(*who) : create_token(r, *who));
            break;
        case Kind::kToken:
            done(delete_token(r, *who, arg));
            break;
        case Kind::kAudit:
            done(list_audit(r));
            break;
        case Kind::kRules:
            done(r.method == "GET" ? HttpResponse::json(200, suppressions_->rules_json(now()))
                                   : create_rule(r, *who));
            break;
        case Kind::kRule:
            done(delete_rule(r, *who, arg));
            break;
        case Kind::kAck:
        case Kind::kResolve:
            done(change_status(r, *who, kind == Kind::kResolve));
            break;
        case Kind::kGroups:
            done(alert_groups(r));
            break;
    }
    return true;
}

HttpResponse Api::list_users() {
    auto users = store_.list_users();
    if (!users)
        return storage_error();
    Json list = Json::array();
    for (const auto& u : *users)
        list.push_back(user_json(u));
    return HttpResponse::json(200, dump(Json{{"users", list}}));
}

void Api::create_user(const HttpRequest& r, const Identity& who, const Responder& done) {
    const auto body = object_body(r);
    if (!body)
        return done(bad_request());
    const auto& b = *body;
    if (!b.contains("name") || !b["name"].is_string() ||
        !valid_user_name(b["name"].get<std::string>())) {
        return done(invalid("name: expected 1-64 characters of A-Z a-z 0-9 _ . -"));
    }
    if (!b.contains("password") || !b["password"].is_string() ||
        utf8_chars(b["password"].get<std::string>()) < kMinPassword ||
        b["password"].get<std::string>().size() > kMaxPassword) {
        return done(invalid("password: expected at least 10 characters"));
    }
    if (!b.contains("role") || !b["role"].is_string() ||
        (b["role"] != kRoleAdmin && b["role"] != kRoleViewer)) {
        return done(invalid("role: expected \"admin\" or \"viewer\""));
    }
    const auto name = b["name"].get<std::string>();
    const auto role = b["role"].get<std::string>();
    const auto password = b["password"].get<std::string>();
    auto existing = store_.find_user(name);
    if (!existing)
        return done(storage_error());
    if (existing->has_value())
        return done(HttpResponse::error(409, "name: a user with this name exists"));
    const std::string by = who.user, ip = r.peer_ip;
    // Hashing costs ~0.1 s of CPU: the password worker does it.
    const bool queued = submit_slow(ip, [this, name, role, password, by, ip, done] {
        auto again = store_.find_user(name);
        if (again && again->has_value())
            return done(HttpResponse::error(409, "name: a user with this name exists"));
        auto rec = Auth::hash_password(name, role, password);
        rec.created_at = now();
        if (auto st = store_.put_user(rec); !st)
            return done(storage_error());
        audit(by, ip, "user_create", name, "role=" + role);
        done(HttpResponse::json(201, dump(Json{{"ok", true}, {"user", user_json(rec)}})));
    });
    if (!queued)
        done(HttpResponse::error(503, "Busy, try again"));
}

HttpResponse Api::delete_user(const HttpRequest& r, const Identity& who, const std::string& name) {
    if (name == who.user)
        return HttpResponse::error(409, "name: you cannot delete yourself");
    auto users = store_.list_users();
    if (!users)
        return storage_error();
    const auto it = std::find_if(users->begin(), users->end(),
                                 [&](const store::UserRecord& u) { return u.name == name; });
    if (it == users->end())
        return HttpResponse::error(404, "Not found");
    if (it->role == kRoleAdmin &&
        std::count_if(users->begin(), users->end(),
                      [](const store::UserRecord& u) { return u.role == kRoleAdmin; }) <= 1) {
        return HttpResponse::error(409, "name: the last admin cannot be deleted");
    }
    auto deleted = store_.delete_user(name);
    if (!deleted)
        return storage_error();
    if (!*deleted)
        return HttpResponse::error(404, "Not found");
    // Tokens went with the user in the store; sessions live in memory.
    auth_.drop_user(name);
    audit(who.user, r.peer_ip, "user_delete", name);
    return HttpResponse::json(200, R"({"ok":true})");
}

void Api::change_password(const HttpRequest& r, const Identity& who, const Responder& done) {
    const auto body = object_body(r);
    if (!body)
        return done(bad_request());
    const auto& b = *body;
    if (!b.contains("old") || !b["old"].is_string())
        return done(invalid("old: expected the current password"));
    if (!b.contains("new") || !b["new"].is_string() ||
        utf8_chars(b["new"].get<std::string>()) < kMinPassword ||
        b["new"].get<std::string>().size() > kMaxPassword) {
        return done(invalid("new: expected at least 10 characters"));
    }
    auto rec = store_.find_user(who.user);
    if (!rec)
        return done(storage_error());
    if (!rec->has_value())
        return done(HttpResponse::error(403, "Forbidden: this identity has no password"));
    const std::string old_pw = b["old"].get<std::string>(), new_pw = b["new"].get<std::string>();
    const std::string ip = r.peer_ip;
    // Guessing the current password with a stolen session is limited like logins.
    if (auth_.throttled(ip))
        return done(HttpResponse::error(429, "Too many attempts"));
    auto user = **rec;
    const bool queued = submit_slow(ip, [this, user, old_pw, new_pw, ip, done] {
        if (!Auth::verify_password(user, old_pw)) {
            auth_.note_failure(ip);
            audit(user.name, ip, "password_change", user.name, "refused: wrong current password");
            return done(invalid("old: the current password is wrong"));
        }
        auto next = Auth::hash_password(user.name, user.role, new_pw);
        next.created_at = user.created_at;
        if (auto st = store_.put_user(next); !st)
            return done(storage_error());
        audit(user.name, ip, "password_change", user.name);
        done(HttpResponse::json(200, R"({"ok":true})"));
    });
    if (!queued)
        done(HttpResponse::error(503, "Busy, try again"));
}

HttpResponse Api::list_tokens(const Identity& who) {
    auto tokens = store_.list_user_tokens(who.is_admin() ? std::string() : who.user);
    if (!tokens)
        return storage_error();
    Json list = Json::array();
    for (const auto& t : *tokens)
        list.push_back(token_json(t));
    return HttpResponse::json(200, dump(Json{{"tokens", list}}));
}

HttpResponse Api::create_token(const HttpRequest& r, const Identity& who) {
    const auto body = object_body(r);
    if (!body)
        return bad_request();
    const auto& b = *body;
    if (!b.contains("name") || !b["name"].is_string() || b["name"].get<std::string>().empty() ||
        utf8_chars(b["name"].get<std::string>()) > 64) {
        return invalid("name: expected 1-64 characters");
    }
    const auto name = b["name"].get<std::string>();
    if (std::any_of(name.begin(), name.end(),
                    [](char c) { return static_cast<unsigned char>(c) < 0x20; })) {
        return invalid("name: control characters are not allowed");
    }
    auto user = store_.find_user(who.user);
    if (!user)
        return storage_error();
    if (!user->has_value())
        return HttpResponse::error(403, "Forbidden: API tokens belong to a user account");
    auto made = auth_.create_user_token(who.user, name);
    if (!made)
        return storage_error();
    auto rec = made->second;
    rec.role = (*user)->role;
    audit(who.user, r.peer_ip, "token_create", std::to_string(rec.id), name);
    Json j = token_json(rec);
    Json out;
    out["ok"] = true;
    out["token"] = made->first;
    for (auto& [k, v] : j.items())
        out[k] = v;
    return HttpResponse::json(201, dump(out));
}

HttpResponse Api::delete_token(const HttpRequest& r, const Identity& who, const std::string& arg) {
    const auto id = parse_id(arg);
    if (!id)
        return HttpResponse::error(404, "Not found");
    auto tokens = store_.list_user_tokens(who.is_admin() ? std::string() : who.user);
    if (!tokens)
        return storage_error();
    const auto it = std::find_if(tokens->begin(), tokens->end(),
                                 [&](const store::TokenRecord& t) { return t.id == *id; });
    // Someone else's token looks like an unknown one to a viewer.
    if (it == tokens->end())
        return HttpResponse::error(404, "Not found");
    auto deleted = store_.delete_user_token(*id);
    if (!deleted)
        return storage_error();
    if (!*deleted)
        return HttpResponse::error(404, "Not found");
    audit(who.user, r.peer_ip, "token_delete", std::to_string(*id), it->name);
    return HttpResponse::json(200, R"({"ok":true})");
}

HttpResponse Api::list_audit(const HttpRequest& r) {
    size_t limit = 100;
    if (auto l = r.query("limit"); !l.empty()) {
        const auto v = parse_id(l);
        if (!v || *v > 1000)
            return HttpResponse::error(400, "limit: expected 1-1000");
        limit = static_cast<size_t>(*v);
    }
    std::optional<int64_t> before;
    if (auto b = r.query("before"); !b.empty()) {
        before = parse_id(b);
        if (!before)
            return HttpResponse::error(400, "before: expected a cursor from \"next\"");
    }
    auto page = store_.query_audit(limit, before);
    if (!page)
        return storage_error();
    Json entries = Json::array();
    for (const auto& e : page->entries) {
        Json j;
        j["id"] = e.id;
        j["ts"] = schema::format_iso8601(e.ts);
        j["user"] = e.user;
        j["ip"] = e.ip;
        j["action"] = e.action;
        j["target"] = e.target;
        j["detail"] = e.detail;
        entries.push_back(std::move(j));
    }
    Json out;
    out["entries"] = std::move(entries);
    out["next"] = page->next ? Json(std::to_string(*page->next)) : Json();
    return HttpResponse::json(200, dump(out));
}

HttpResponse Api::create_rule(const HttpRequest& r, const Identity& who) {
    const auto parsed = parse_body(r.body);
    if (!parsed)
        return HttpResponse::error(400, parsed.error());
    if (!parsed->is_object())
        return bad_request();
    const auto t = now();
    auto rule = suppress::rule_from_json(nlohmann::json(*parsed), t);
    if (!rule)
        return invalid(rule.error());
    if (rule->expired(t))
        return invalid("expires_at: must be in the future");
    rule->id = 0;
    rule->created_by = who.user;
    rule->created_at = t;
    auto n = suppressions_->would_have_matched(*rule, t - Duration{kWouldHaveMatchedWindowNs});
    if (!n)
        return storage_error();
    auto made = suppressions_->add(*rule);
    if (!made)
        return storage_error();
    audit(who.user, r.peer_ip, "rule_create", std::to_string(made->id),
          suppress::to_agent_json(*made).dump() +
              (made->comment.empty() ? "" : " comment: " + made->comment));
    Json out;
    out["ok"] = true;
    out["rule"] = Json::parse(suppressions_->rule_json(made->id, t));
    out["would_have_matched"] = *n;
    if (*n == 0)
        out["warning"] = "This rule matches no alert seen in the last 7 days";
    return HttpResponse::json(201, dump(out));
}

HttpResponse Api::delete_rule(const HttpRequest& r, const Identity& who, const std::string& arg) {
    const auto id = parse_id(arg);
    if (!id)
        return HttpResponse::error(404, "Not found");
    auto found = suppressions_->remove(*id);
    if (!found)
        return storage_error();
    if (!*found)
        return HttpResponse::error(404, "Not found");
    audit(who.user, r.peer_ip, "rule_delete", std::to_string(*id));
    return HttpResponse::json(200, R"({"ok":true})");
}

HttpResponse Api::change_status(const HttpRequest& r, const Identity& who, bool resolve) {
    const auto body = object_body(r);
    if (!body)
        return bad_request();
    const auto& b = *body;
    store::StatusChange c;
    c.to = resolve ? store::AlertStatus::kResolved : store::AlertStatus::kAcknowledged;
    c.by = who.user;
    c.at = now();
    std::string target;
    if (b.contains("ids")) {
        const auto& ids = b["ids"];
        if (!ids.is_array() || ids.empty() || ids.size() > kMaxIds)
            return invalid("ids: expected an array of 1-10000 alert ids");
        for (const auto& id : ids) {
            if (!id.is_string())
                return invalid("ids: expected alert ids (strings)");
            c.ids.push_back(id.get<std::string>());
        }
        target = c.ids.size() == 1 ? c.ids.front() : std::to_string(c.ids.size()) + " alerts";
    } else if (b.contains("group")) {
        const auto& g = b["group"];
        if (!g.is_object())
            return invalid("group: expected {\"category\":..,\"src\":..}");
        if (!g.contains("category") || !g["category"].is_string() ||
            g["category"].get<std::string>().empty()) {
            return invalid("group.category: expected a category");
        }
        if (g.contains("src") && !g["src"].is_string() && !g["src"].is_null())
            return invalid("group.src: expected a string");
        const std::string src = g.contains("src") && g["src"].is_string() ? g["src"] : "";
        c.group = std::pair<std::string, std::string>{g["category"].get<std::string>(), src};
        target = "group " + c.group->first + " / " + c.group->second;
    } else {
        return invalid("ids: give \"ids\" or \"group\"");
    }
    auto changed = store_.change_status(c);
    if (!changed)
        return storage_error();
    const char* status = resolve ? "resolved" : "acknowledged";
    audit(who.user, r.peer_ip, resolve ? "alert_resolve" : "alert_ack", target,
          "updated " + std::to_string(changed->size()));
    if (!changed->empty()) {
        // To this server's dashboards and, through the database, to the other servers'.
        const auto send = [this](const std::string& m) {
            live_.broadcast(m);
            if (auto st = store_.relay(m); !st)
                SENTINEL_LOG(warn, "server", "{}", st.message());
        };
        if (c.group) {
            Json m;
            m["type"] = "alert_update";
            m["group"] = Json{{"category", c.group->first}, {"src", c.group->second}};
            m["status"] = status;
            m["by"] = c.by;
            m["at"] = schema::format_iso8601(c.at);
            m["updated"] = changed->size();
            send(dump(m));
        } else {
            // In messages small enough to relay.
            const std::string head = R"({"type":"alert_update","updates":[)";
            std::string m = head;
            for (const auto& x : *changed) {
                std::string one = workflow_json(x.id, x.workflow);
                if (m.size() > head.size() &&
                    m.size() + one.size() + 3 > store::Store::kMaxRelayBytes) {
                    send(m + "]}");
                    m = head;
                }
                if (m.size() > head.size())
                    m += ',';
                m += one;
            }
            send(m + "]}");
        }
    }
    return HttpResponse::json(200, dump(Json{{"ok", true}, {"updated", changed->size()}}));
}

HttpResponse Api::alert_groups(const HttpRequest& r) {
    store::AlertQuery q;
    if (auto err = read_alert_filters(r, q))
        return *err;
    q.limit = 100;
    if (auto l = r.query("limit"); !l.empty()) {
        const auto v = parse_id(l);
        if (!v || *v > 1000)
            return HttpResponse::error(400, "limit: expected 1-1000");
        q.limit = static_cast<size_t>(*v);
    }
    auto groups = store_.query_groups(q);
    if (!groups)
        return storage_error();
    Json list = Json::array();
    for (const auto& g : *groups) {
        Json j;
        j["category"] = g.category;
        j["src"] = g.src;
        j["count"] = g.count;
        j["level"] = schema::to_string(g.level);
        j["first_ts"] = schema::format_iso8601(g.first_ts);
        j["last_ts"] = schema::format_iso8601(g.last_ts);
        j["last_message"] = g.last_message;
        j["agents"] = g.agents;
        j["open"] = g.open;
        j["new"] = g.unseen;
        list.push_back(std::move(j));
    }
    return HttpResponse::json(200, dump(Json{{"groups", list}}));
}

}  // namespace sentinel::server
