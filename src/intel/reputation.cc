#include "intel/reputation.h"

#include <array>

namespace sentinel::intel {

namespace {
constexpr std::array<std::string_view, 5> kTierNames = {"CLEAN", "LOW", "MEDIUM", "HIGH",
                                                        "CRITICAL"};
// Multipliers in tenths-of-percent so that rounding up is exact integer arithmetic.
constexpr std::array<uint64_t, 5> kPerMille = {1000, 750, 500, 250, 100};
}  // namespace

std::string_view to_string(Tier t) { return kTierNames[static_cast<size_t>(t)]; }

std::optional<Tier> parse_tier(std::string_view text) {
    for (size_t i = 0; i < kTierNames.size(); ++i) {
        const std::string_view name = kTierNames[i];
        if (name.size() != text.size()) {
            continue;
        }
        bool same = true;
        for (size_t k = 0; k < name.size() && same; ++k) {
            const char c = text[k];
            same = (c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c) == name[k];
        }
        if (same) {
            return static_cast<Tier>(i);
        }
    }
    return std::nullopt;
}

Tier tier_for(uint32_t malicious, uint32_t suspicious, int32_t reputation) {
    if (malicious >= 9) {
        return Tier::kCritical;
    }
    if (malicious >= 3) {
        return Tier::kHigh;
    }
    if (malicious >= 1 || suspicious >= 5) {
        return Tier::kMedium;
    }
    if (reputation < -10) {
        return Tier::kLow;
    }
    return Tier::kClean;
}

uint64_t scale_threshold(uint64_t base, Tier tier) {
    const uint64_t per_mille = kPerMille[static_cast<size_t>(tier)];
    const uint64_t scaled = (base * per_mille + 999) / 1000;
    return scaled < 1 ? 1 : scaled;
}

schema::Severity adjust_severity(schema::Severity base, Tier tier) {
    switch (tier) {
        case Tier::kCritical:
            return schema::Severity::kCritical;
        case Tier::kHigh:
        case Tier::kMedium:
            return schema::raise(base);
        case Tier::kLow:
        case Tier::kClean:
            return base;
    }
    return base;
}

void append_suffix(std::string& message, const Verdict& v) {
    if (v.tier == Tier::kClean) {
        return;
    }
    message += "  [";
    message += v.source;
    message += ':';
    message += to_string(v.tier);
    message += " \u2014 ";
    if (!v.detail.empty()) {
        message += v.detail;
    } else if (v.malicious == 0 && v.suspicious == 0) {
        message += "rep=" + std::to_string(v.reputation);
    } else {
        if (v.malicious > 0) {
            message += std::to_string(v.malicious) + " malicious";
        }
        if (v.suspicious > 0) {
            if (v.malicious > 0) {
                message += ", ";
            }
            message += std::to_string(v.suspicious) + " suspicious";
        }
    }
    message += ']';
}

}  // namespace sentinel::intel
