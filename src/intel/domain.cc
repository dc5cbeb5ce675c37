#include "intel/domain.h"

#include <algorithm>
#include <iterator>

namespace sentinel::intel {

namespace {

// Second-level public suffixes common enough to matter; the full Public Suffix List is not
// shipped (see docs/reputation.md).
constexpr std::string_view kSecondLevelSuffixes[] = {
    "ac.uk",  "co.uk",  "gov.uk", "ltd.uk", "me.uk",  "net.uk", "org.uk", "plc.uk", "sch.uk",
    "com.au", "net.au", "org.au", "edu.au", "gov.au", "id.au",  "co.nz",  "net.nz", "org.nz",
    "co.jp",  "ne.jp",  "or.jp",  "ac.jp",  "go.jp",  "co.kr",  "or.kr",  "com.br", "net.br",
    "org.br", "com.cn", "net.cn", "org.cn", "gov.cn", "edu.cn", "com.tw", "com.hk", "com.sg",
    "com.my", "co.in",  "net.in", "org.in", "co.za",  "org.za", "com.mx", "com.ar", "com.tr",
    "com.ua", "co.il",  "co.id",  "com.pl", "co.th",  "com.vn", "com.ph", "com.pk", "com.eg",
    "com.sa", "com.ng", "com.co", "com.pe", "com.ru", "com.es", "co.ke",  "gov.in",
};

constexpr std::array<std::string_view, 4> kPrivateSuffixes = {".local", ".arpa", ".internal",
                                                              ".lan"};

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

uint64_t hash_domain(std::string_view name) {
    uint64_t h = 1469598103934665603ull;
    for (const char c : name) {
        h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ull;
    }
    return h ^ (h >> 29);
}

size_t DomainNameHash::operator()(const DomainName& d) const noexcept {
    return static_cast<size_t>(hash_domain(d.view()));
}

bool normalize_domain(std::string_view in, DomainName& out) {
    if (!in.empty() && in.back() == '.') {
        in.remove_suffix(1);
    }
    if (in.empty() || in.size() > kMaxDomainLength) {
        return false;
    }
    char previous = '.';
    for (size_t i = 0; i < in.size(); ++i) {
        char c = in[i];
        if (c == '.' && previous == '.') {
            return false;
        }
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
        out.text[i] = c;
        previous = c;
    }
    out.text[in.size()] = '\0';
    out.size = static_cast<uint8_t>(in.size());
    return true;
}

bool is_lookup_candidate(std::string_view name) {
    if (name.find('.') == std::string_view::npos) {
        return false;
    }
    for (const std::string_view suffix : kPrivateSuffixes) {
        if (ends_with(name, suffix)) {
            return false;
        }
    }
    bool only_digits_and_dots = true;
    for (const char c : name) {
        const bool digit = c >= '0' && c <= '9';
        const bool ok = digit || (c >= 'a' && c <= 'z') || c == '-' || c == '_' || c == '.';
        if (!ok) {
            return false;
        }
        only_digits_and_dots = only_digits_and_dots && (digit || c == '.');
    }
    return !only_digits_and_dots;
}

std::string_view registered_domain(std::string_view name) {
    // Positions of the last three dots, scanning from the right.
    size_t dots[3] = {std::string_view::npos, std::string_view::npos, std::string_view::npos};
    size_t found = 0;
    for (size_t i = name.size(); i > 0 && found < 3; --i) {
        if (name[i - 1] == '.') {
            dots[found++] = i - 1;
        }
    }
    if (found < 2) {
        return name;  // one or two labels
    }
    const std::string_view last_two = name.substr(dots[1] + 1);
    const bool second_level =
        std::find(std::begin(kSecondLevelSuffixes), std::end(kSecondLevelSuffixes), last_two) !=
        std::end(kSecondLevelSuffixes);
    if (!second_level) {
        return last_two;
    }
    return found < 3 ? name : name.substr(dots[2] + 1);
}

}  // namespace sentinel::intel
