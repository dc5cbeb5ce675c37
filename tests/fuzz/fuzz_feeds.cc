// libFuzzer entry point for the offline feed formats (plain lists, hosts files, URLs, CSV exports
// with any of the recognised headers): byte 0 picks the tiers, the rest is the text of one feed
// file, loaded as two feeds. Every address and name found in the text is then looked up.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "common/ip_address.h"
#include "intel/domain.h"
#include "intel/feeds.h"

namespace {

using namespace sentinel::intel;

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_feeds: invariant failed: %s\n", what);
        std::abort();
    }
}

void look_up(const FeedIndex& index, std::string_view token) {
    if (token.empty()) {
        return;
    }
    if (auto ip = sentinel::IpAddress::parse(token)) {
        (void)index.ip(*ip);
    }
    DomainName name;
    if (normalize_domain(token, name)) {
        (void)index.domain(name.view());
        (void)is_lookup_candidate(name.view());
        (void)index.domain(registered_domain(name.view()));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) {
        return 0;
    }
    const Tier kTiers[] = {Tier::kLow, Tier::kMedium, Tier::kHigh, Tier::kCritical};
    const Tier first = kTiers[data[0] & 3];
    const Tier second = kTiers[(data[0] >> 2) & 3];
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);

    FeedIndexBuilder builder({"feed-a.csv", "feed-b.txt"}, {first, second});
    const FeedReport a = builder.add_text(0, text);
    const FeedReport b = builder.add_text(1, text);
    const size_t lines = static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
    // A hosts line may list several names, so only bad lines are bounded by the line count.
    check(a.bad_lines <= lines, "more bad lines than lines");
    check(a.entries + a.skipped <= text.size(), "more entries than bytes");
    check(a.first_bad_lines.size() <= 3 && a.first_bad_lines.size() <= a.bad_lines,
          "first_bad_lines");
    check(a.entries == b.entries && a.bad_lines == b.bad_lines, "same text, different report");
    const auto index = builder.build();
    check(index != nullptr, "build");

    // Tokens of the text: whatever lies between separators common to the formats.
    constexpr std::string_view kSeparators = " \t\r\n,;\"'/#|";
    size_t start = 0, tokens = 0;
    while (start < text.size() && tokens < 512) {
        const size_t end = std::min(text.find_first_of(kSeparators, start), text.size());
        look_up(*index, text.substr(start, end - start));
        start = end + 1;
        ++tokens;
    }
    look_up(*index, "203.0.113.7");
    look_up(*index, "2001:db8::1");
    look_up(*index, "a.b.example.com");
    return 0;
}
