#include "detect/util.h"

#include <fmt/format.h>

namespace sentinel::detect {

std::string window_text(double seconds) { return fmt::format("{}", seconds); }

schema::Alert make_alert(Timestamp ts, schema::Severity level, std::string_view category,
                         std::string message, std::string src) {
    schema::Alert a;
    a.ts = ts;
    a.level = level;
    a.category = std::string(category);
    a.message = std::move(message);
    a.src = std::move(src);
    return a;
}

bool is_unicast(const IpAddress& ip) {
    if (ip.is_v4()) {
        const uint32_t v = ip.v4_host_order();
        return v != 0xffffffffu && (v >> 28) != 0xe;
    }
    if (ip.is_v6()) {
        return ip.bytes()[0] != 0xff;
    }
    return false;
}

}  // namespace sentinel::detect
