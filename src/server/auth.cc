#include "server/auth.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

namespace sentinel::server {

namespace {

constexpr uint32_t kMaxFailures = 5;
constexpr auto kFailureWindow = std::chrono::seconds(60);
constexpr size_t kMaxSessions = 10'000;
constexpr size_t kMaxTrackedAddresses = 10'000;

std::string to_hex(const unsigned char* p, size_t n) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out(n * 2, '0');
    for (size_t i = 0; i < n; ++i) {
        out[2 * i] = kDigits[p[i] >> 4];
        out[2 * i + 1] = kDigits[p[i] & 15];
    }
    return out;
}

std::string pbkdf2_hex(const std::string& password, const std::string& salt_hex,
                       uint32_t iterations) {
    unsigned char out[32];
    if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                          reinterpret_cast<const unsigned char*>(salt_hex.data()),
                          static_cast<int>(salt_hex.size()), static_cast<int>(iterations),
                          EVP_sha256(), sizeof out, out) != 1) {
        return {};
    }
    return to_hex(out, sizeof out);
}

}  // namespace

Auth::Auth(store::Store& store, std::chrono::seconds session_ttl)
    : store_(store), ttl_(session_ttl) {}

std::string Auth::random_hex(size_t bytes) {
    std::string buf(bytes, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(buf.data()), static_cast<int>(bytes)) != 1) {
        std::abort();  // no randomness: nothing secure can be made
    }
    return to_hex(reinterpret_cast<const unsigned char*>(buf.data()), bytes);
}

std::string Auth::sha256_hex(std::string_view data) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
    return to_hex(md, len);
}

bool Auth::secrets_equal(std::string_view a, std::string_view b) {
    unsigned char da[32], db[32];
    unsigned int la = 0, lb = 0;
    EVP_Digest(a.data(), a.size(), da, &la, EVP_sha256(), nullptr);
    EVP_Digest(b.data(), b.size(), db, &lb, EVP_sha256(), nullptr);
    return CRYPTO_memcmp(da, db, sizeof da) == 0;
}

store::UserRecord Auth::hash_password(const std::string& name, const std::string& role,
                                      const std::string& password, uint32_t iterations) {
    store::UserRecord u;
    u.name = name;
    u.role = role;
    u.salt_hex = random_hex(16);
    u.iterations = iterations;
    u.hash_hex = pbkdf2_hex(password, u.salt_hex, iterations);
    return u;
}

bool Auth::verify_password(const store::UserRecord& user, const std::string& password) {
    if (user.iterations == 0 || user.hash_hex.empty()) {
        return false;
    }
    const std::string h = pbkdf2_hex(password, user.salt_hex, user.iterations);
    return h.size() == user.hash_hex.size() &&
           CRYPTO_memcmp(h.data(), user.hash_hex.data(), h.size()) == 0;
}

Result<std::string> Auth::create_token(store::Store& store, const std::string& name) {
    if (name.empty()) {
        return Error{"a token needs a name"};
    }
    std::string token = "nst_" + random_hex(24);
    if (auto st = store.put_token(name, sha256_hex(token)); !st) {
        return st;
    }
    return token;
}

Result<std::string> Auth::ensure_admin(const std::string& data_dir,
                                       const std::string& env_password) {
    auto n = store_.count_users();
    if (!n) {
        return n.status();
    }
    if (*n > 0) {
        return std::string();
    }
    const bool generated = env_password.empty();
    const std::string password = generated ? random_hex(12) : env_password;
    if (generated) {
        const auto path = (std::filesystem::path(data_dir) / "initial_admin_password").string();
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);
        if (fd < 0) {
            return Error{"cannot write " + path};
        }
        ::fchmod(fd, 0600);
        const std::string line = password + "\n";
        const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
        ::close(fd);
        if (!ok) {
            return Error{"cannot write " + path};
        }
    }
    if (auto st = store_.put_user(hash_password("admin", "admin", password)); !st) {
        return st;
    }
    return generated ? password : std::string();
}

bool Auth::throttled(const std::string& peer_ip) {
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mu_);
    auto it = attempts_.find(peer_ip);
    if (it == attempts_.end()) {
        return false;
    }
    if (now - it->second.window_start > kFailureWindow) {
        attempts_.erase(it);
        return false;
    }
    return it->second.failures >= kMaxFailures;
}

void Auth::note_failure(const std::string& peer_ip) {
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mu_);
    if (attempts_.size() >= kMaxTrackedAddresses) {
        std::erase_if(attempts_, [&](const auto& kv) {
            return now - kv.second.window_start > kFailureWindow;
        });
        if (attempts_.size() >= kMaxTrackedAddresses) {
            attempts_.clear();
        }
    }
    auto& a = attempts_[peer_ip];
    if (a.failures == 0) {
        a.window_start = now;
    }
    ++a.failures;
}

Auth::LoginResult Auth::login(const std::string& user, const std::string& password,
                              const std::string& peer_ip) {
    const auto now = std::chrono::steady_clock::now();
    if (throttled(peer_ip)) {
        return {LoginOutcome::kThrottled, {}, {}};
    }
    auto rec = store_.find_user(user);
    const bool ok = rec.is_ok() && rec->has_value() && verify_password(**rec, password);
    if (!ok && !(rec.is_ok() && rec->has_value())) {
        // Spend the same time for unknown users so names cannot be probed by timing.
        static const store::UserRecord kDummy = hash_password("", "", "unused", kIterations);
        (void)verify_password(kDummy, password);
    }
    if (!ok) {
        note_failure(peer_ip);
        return {LoginOutcome::kInvalid, {}, {}};
    }
    std::lock_guard lock(mu_);
    attempts_.erase(peer_ip);
    if (sessions_.size() >= kMaxSessions) {
        std::erase_if(sessions_, [&](const auto& kv) { return kv.second.expires < now; });
        if (sessions_.size() >= kMaxSessions) {
            auto oldest = sessions_.begin();
            for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
                if (it->second.expires < oldest->second.expires)
                    oldest = it;
            }
            sessions_.erase(oldest);
        }
    }
    LoginResult r;
    r.outcome = LoginOutcome::kOk;
    r.session_id = random_hex(32);
    r.identity = Identity{(*rec)->name, (*rec)->role};
    sessions_[sha256_hex(r.session_id)] = Session{r.identity, now + ttl_, now};
    return r;
}

void Auth::logout(const std::string& session_id) {
    std::lock_guard lock(mu_);
    sessions_.erase(sha256_hex(session_id));
}

void Auth::drop_user(const std::string& user) {
    std::lock_guard lock(mu_);
    std::erase_if(sessions_, [&](const auto& kv) { return kv.second.identity.user == user; });
}

Result<std::pair<std::string, store::TokenRecord>> Auth::create_user_token(
    const std::string& user, const std::string& name) {
    std::string token = "nst_" + random_hex(24);
    store::TokenRecord rec;
    rec.name = name;
    rec.user = user;
    rec.hash_hex = sha256_hex(token);
    auto made = store_.create_user_token(rec);
    if (!made) {
        return made.status();
    }
    return std::pair<std::string, store::TokenRecord>{std::move(token), std::move(made).value()};
}

std::optional<Identity> Auth::session(const std::string& session_id) {
    if (session_id.empty()) {
        return std::nullopt;
    }
    const auto key = sha256_hex(session_id);
    std::unique_lock lock(mu_);
    auto it = sessions_.find(key);
    if (it == sessions_.end()) {
        return std::nullopt;
    }
    const auto now = std::chrono::steady_clock::now();
    if (it->second.expires < now) {
        sessions_.erase(it);
        return std::nullopt;
    }
    if (now - it->second.checked < kRecheck) {
        return it->second.identity;
    }
    // The store read happens without the lock; the session is looked up again afterwards.
    const auto user = it->second.identity.user;
    lock.unlock();
    auto rec = store_.find_user(user);
    lock.lock();
    it = sessions_.find(key);
    if (it == sessions_.end()) {
        return std::nullopt;
    }
    if (rec && !rec->has_value()) {
        sessions_.erase(it);  // the user was deleted (by another server)
        return std::nullopt;
    }
    it->second.checked = now;
    if (rec) {
        it->second.identity.role = (*rec)->role;
    }
    return it->second.identity;
}

std::optional<Identity> Auth::bearer(const std::string& token) {
    if (token.empty()) {
        return std::nullopt;
    }
    const auto hash = sha256_hex(token);
    // A per-user token acts with its user's current role and dies with the user.
    if (auto t = store_.find_user_token(hash); t && t->has_value()) {
        const auto& rec = **t;
        const auto now = std::chrono::steady_clock::now();
        bool touch = false;
        {
            std::lock_guard lock(mu_);
            auto [it, fresh] = token_touched_.emplace(rec.id, now);
            if (fresh || now - it->second > std::chrono::seconds(60)) {
                it->second = now;
                touch = true;
            }
            if (token_touched_.size() > kMaxSessions) {
                token_touched_.clear();
            }
        }
        if (touch) {
            (void)store_.touch_user_token(
                rec.id, Timestamp{std::chrono::duration_cast<std::chrono::nanoseconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count()});
        }
        return Identity{rec.user, rec.role == kRoleAdmin ? kRoleAdmin : kRoleViewer};
    }
    auto name = store_.find_token(hash);
    if (!name || !name->has_value()) {
        return std::nullopt;
    }
    return Identity{"token:" + **name, kRoleViewer};
}

}  // namespace sentinel::server
