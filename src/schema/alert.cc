#include "schema/alert.h"

#include <array>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <limits>
#include <random>

namespace sentinel::schema {

namespace {
constexpr std::array<std::string_view, 5> kSeverityNames = {"INFO", "LOW", "MEDIUM", "HIGH",
                                                            "CRITICAL"};
}

std::string_view to_string(Severity s) { return kSeverityNames[static_cast<size_t>(s)]; }

std::string proto_name(uint8_t proto) {
    switch (proto) {
        case 1:
            return "ICMP";
        case 6:
            return "TCP";
        case 17:
            return "UDP";
        case 58:
            return "IPv6-ICMP";
        default:
            return std::to_string(proto);
    }
}

std::optional<Severity> parse_severity(std::string_view text) {
    for (size_t i = 0; i < kSeverityNames.size(); ++i) {
        const auto name = kSeverityNames[i];
        if (name.size() != text.size()) {
            continue;
        }
        bool same = true;
        for (size_t k = 0; k < name.size() && same; ++k) {
            same = std::toupper(static_cast<unsigned char>(text[k])) == name[k];
        }
        if (same) {
            return static_cast<Severity>(i);
        }
    }
    return std::nullopt;
}

Severity raise(Severity s) {
    return s == Severity::kCritical ? s : static_cast<Severity>(static_cast<uint8_t>(s) + 1);
}

std::string format_iso8601(Timestamp t) {
    int64_t secs = t.ns / 1'000'000'000;
    int64_t rem = t.ns % 1'000'000'000;
    if (rem < 0) {
        rem += 1'000'000'000;
        --secs;
    }
    const auto tt = static_cast<std::time_t>(secs);
    std::tm tm{};
#ifdef _WIN32
    gmtime_s(&tm, &tt);
#else
    gmtime_r(&tt, &tm);
#endif
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lld+00:00", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<long long>(rem / 1000));
    return buf;
}

namespace {

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    // Howard Hinnant's algorithm: days since 1970-01-01 in the proleptic Gregorian calendar.
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool read_digits(std::string_view s, size_t& pos, size_t n, int64_t& out) {
    if (pos + n > s.size()) {
        return false;
    }
    out = 0;
    for (size_t i = 0; i < n; ++i) {
        const char c = s[pos + i];
        if (c < '0' || c > '9') {
            return false;
        }
        out = out * 10 + (c - '0');
    }
    pos += n;
    return true;
}

bool expect(std::string_view s, size_t& pos, char c) {
    if (pos < s.size() && s[pos] == c) {
        ++pos;
        return true;
    }
    return false;
}

}  // namespace

std::optional<Timestamp> parse_iso8601(std::string_view s) {
    size_t p = 0;
    int64_t y, mo, d, h, mi, se;
    if (!read_digits(s, p, 4, y) || !expect(s, p, '-') || !read_digits(s, p, 2, mo) ||
        !expect(s, p, '-') || !read_digits(s, p, 2, d) ||
        !(expect(s, p, 'T') || expect(s, p, ' ')) || !read_digits(s, p, 2, h) ||
        !expect(s, p, ':') || !read_digits(s, p, 2, mi) || !expect(s, p, ':') ||
        !read_digits(s, p, 2, se)) {
        return std::nullopt;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) {
        return std::nullopt;
    }
    int64_t frac_ns = 0;
    if (p < s.size() && s[p] == '.') {
        ++p;
        int64_t scale = 100'000'000;
        size_t digits = 0;
        while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
            if (scale > 0) {
                frac_ns += (s[p] - '0') * scale;
                scale /= 10;
            }
            ++p;
            ++digits;
        }
        if (digits == 0) {
            return std::nullopt;
        }
    }
    int64_t offset_s = 0;
    if (p < s.size()) {
        if (s[p] == 'Z' || s[p] == 'z') {
            ++p;
        } else if (s[p] == '+' || s[p] == '-') {
            const int sign = s[p] == '-' ? -1 : 1;
            ++p;
            int64_t oh, om;
            if (!read_digits(s, p, 2, oh)) {
                return std::nullopt;
            }
            expect(s, p, ':');
            if (!read_digits(s, p, 2, om)) {
                return std::nullopt;
            }
            offset_s = sign * (oh * 3600 + om * 60);
        } else {
            return std::nullopt;
        }
    }
    if (p != s.size()) {
        return std::nullopt;
    }
    const int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
    const int64_t secs = days * 86400 + h * 3600 + mi * 60 + se - offset_s;
    // Nanoseconds since the epoch in 64 bits reach from 1677 to 2262; other instants are refused.
    constexpr int64_t kMaxSecs = std::numeric_limits<int64_t>::max() / 1'000'000'000 - 1;
    if (secs > kMaxSecs || secs < -kMaxSecs) {
        return std::nullopt;
    }
    return Timestamp{secs * 1'000'000'000 + frac_ns};
}

std::string make_alert_id() {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    static constexpr char kHex[] = "0123456789abcdef";
    std::string id(32, '0');
    uint64_t a = rng(), b = rng();
    for (int i = 0; i < 16; ++i) {
        id[static_cast<size_t>(i)] = kHex[(a >> (i * 4)) & 0xf];
        id[static_cast<size_t>(16 + i)] = kHex[(b >> (i * 4)) & 0xf];
    }
    return id;
}

}  // namespace sentinel::schema
