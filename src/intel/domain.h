#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sentinel::intel {

inline constexpr size_t kMaxDomainLength = 253;

// A domain name held by value (no heap), lower-case, without a trailing dot.
struct DomainName {
    std::array<char, kMaxDomainLength + 1> text{};
    uint8_t size = 0;

    std::string_view view() const { return {text.data(), size}; }
    friend bool operator==(const DomainName& a, const DomainName& b) {
        return a.view() == b.view();
    }
};

struct DomainNameHash {
    size_t operator()(const DomainName& d) const noexcept;
};

// FNV-1a of the bytes; shared by every domain table so lookups hash once.
uint64_t hash_domain(std::string_view name);

// Lower-cases and drops one trailing dot. False for an empty or over-long name, or one with an
// empty label ("a..b", ".a").
bool normalize_domain(std::string_view in, DomainName& out);

// Whether a normalized name may be sent to an online lookup service: it needs at least two
// labels, only letters, digits, '-' and '_', must not look like an IP address, and must not end
// in .local, .arpa, .internal or .lan (private names never leave the machine).
bool is_lookup_candidate(std::string_view normalized);

// The registrable part of a normalized name: the last two labels, or the last three when the
// last two are a common second-level public suffix (co.uk, com.au, ...). Random subdomains of a
// tunnel therefore share one lookup. A name with fewer labels is returned whole.
std::string_view registered_domain(std::string_view normalized);

}  // namespace sentinel::intel
