#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/status.h"
#include "store/store.h"

namespace sentinel::server {

inline constexpr const char* kRoleAdmin = "admin";
inline constexpr const char* kRoleViewer = "viewer";

struct Identity {
    std::string user;  // a user name, or "token:<name>" for a legacy (config-made) token
    std::string role;  // "admin" or "viewer" (legacy tokens are viewers)
    bool is_admin() const { return role == kRoleAdmin; }
};

// Dashboard users, sessions and API tokens. Passwords use PBKDF2-HMAC-SHA256 with a random salt;
// session ids and tokens are kept only as SHA-256 hashes. Thread-safe.
class Auth {
  public:
    static constexpr uint32_t kIterations = 210'000;
    static constexpr const char* kCookieName = "ns_session";

    explicit Auth(store::Store& store, std::chrono::seconds session_ttl = std::chrono::hours(12));

    // A new record for `password` with a fresh salt.
    static store::UserRecord hash_password(const std::string& name, const std::string& role,
                                           const std::string& password,
                                           uint32_t iterations = kIterations);
    static bool verify_password(const store::UserRecord& user, const std::string& password);
    // Lower-case hex of `bytes` random bytes from the OpenSSL CSPRNG.
    static std::string random_hex(size_t bytes);
    static std::string sha256_hex(std::string_view data);
    // Constant-time comparison (of SHA-256 digests, so the length does not leak either).
    static bool secrets_equal(std::string_view a, std::string_view b);
    // Stores a new read-only API token named `name`; returns the token (shown once).
    static Result<std::string> create_token(store::Store& store, const std::string& name);

    // With no users: creates "admin" with `env_password` if non-empty, otherwise a random
    // password that is returned (to print once) and written to <data_dir>/initial_admin_password
    // with mode 0600. Returns "" when nothing was generated.
    Result<std::string> ensure_admin(const std::string& data_dir, const std::string& env_password);

    enum class LoginOutcome { kOk, kInvalid, kThrottled };
    struct LoginResult {
        LoginOutcome outcome = LoginOutcome::kInvalid;
        std::string session_id;  // the cookie value when kOk
        Identity identity;
    };
    // Failed attempts are limited per client address (5 per minute).
    LoginResult login(const std::string& user, const std::string& password,
                      const std::string& peer_ip);
    // The same per-address limit for other password checks (changing one's password).
    bool throttled(const std::string& peer_ip);
    void note_failure(const std::string& peer_ip);
    void logout(const std::string& session_id);
    // Ends every session of `user` at once (after the user is deleted).
    void drop_user(const std::string& user);
    // Creates a per-user API token for `user`; returns the secret (shown once) and the record.
    Result<std::pair<std::string, store::TokenRecord>> create_user_token(const std::string& user,
                                                                         const std::string& name);
    std::optional<Identity> session(const std::string& session_id);
    std::optional<Identity> bearer(const std::string& token);

  private:
    struct Session {
        Identity identity;
        std::chrono::steady_clock::time_point expires;
        // When the user was last seen in the store: another server sharing the database may
        // have deleted the user (checked at most every kRecheck).
        std::chrono::steady_clock::time_point checked;
    };
    static constexpr auto kRecheck = std::chrono::seconds(5);
    struct Attempts {
        uint32_t failures = 0;
        std::chrono::steady_clock::time_point window_start;
    };

    store::Store& store_;
    std::chrono::seconds ttl_;
    std::mutex mu_;
    std::unordered_map<std::string, Session> sessions_;  // key: sha256 of the session id
    std::unordered_map<std::string, Attempts> attempts_;
    // Per-user token id → when last_used was last written (written at most once a minute).
    std::unordered_map<int64_t, std::chrono::steady_clock::time_point> token_touched_;
};

}  // namespace sentinel::server
