#pragma once

#include <chrono>
#include <cmath>
#include <cstdint>
#include <optional>

namespace sentinel {

// A point in time as nanoseconds since the Unix epoch. The packet path measures every window in
// capture time (the packet's own timestamp), so a replay gives the same alerts at any speed.
struct Timestamp {
    int64_t ns = 0;

    static constexpr Timestamp from_seconds(double s) { return {static_cast<int64_t>(s * 1e9)}; }
    // For times from outside: nullopt unless `s` is finite and inside the representable range
    // (years 1678 to 2262), where from_seconds would overflow.
    static std::optional<Timestamp> from_seconds_checked(double s) {
        if (!std::isfinite(s) || s <= -9.2e9 || s >= 9.2e9)
            return std::nullopt;
        return from_seconds(s);
    }
    static constexpr Timestamp from_micros(int64_t sec, int64_t usec) {
        return {sec * 1'000'000'000 + usec * 1'000};
    }
    constexpr double seconds() const { return static_cast<double>(ns) / 1e9; }
    constexpr int64_t whole_seconds() const { return ns / 1'000'000'000; }

    friend constexpr auto operator<=>(Timestamp, Timestamp) = default;
};

// A span of time in nanoseconds.
struct Duration {
    int64_t ns = 0;
    static constexpr Duration seconds(double s) { return {static_cast<int64_t>(s * 1e9)}; }
    friend constexpr auto operator<=>(Duration, Duration) = default;
};

constexpr Timestamp operator+(Timestamp t, Duration d) { return {t.ns + d.ns}; }
constexpr Timestamp operator-(Timestamp t, Duration d) { return {t.ns - d.ns}; }
constexpr Duration operator-(Timestamp a, Timestamp b) { return {a.ns - b.ns}; }

// The wall clock now: for times that are not a packet's (arrival, rule expiry, heartbeats). The
// packet path never calls it.
inline Timestamp wall_now() {
    return Timestamp{std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count()};
}

}  // namespace sentinel
