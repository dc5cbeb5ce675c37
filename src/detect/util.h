#pragma once

#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip_address.h"
#include "common/time.h"
#include "detect/detector.h"
#include "detect/lru_table.h"
#include "detect/windows.h"
#include "schema/alert.h"

namespace sentinel::detect {

// A set of TCP/UDP ports with a constant-time test (8 KiB).
class PortSet {
  public:
    void assign(const std::vector<uint16_t>& ports) {
        bits_.reset();
        for (const uint16_t p : ports) {
            bits_.set(p);
        }
    }
    bool contains(uint16_t port) const { return bits_.test(port); }

  private:
    std::bitset<65536> bits_;
};

// Window length as the original printed it: "10", "2.5".
std::string window_text(double seconds);

// An alert with the fields a detector decides; the agent adds id and identity.
schema::Alert make_alert(Timestamp ts, schema::Severity level, std::string_view category,
                         std::string message, std::string src);

// False for broadcast and multicast destinations (255.255.255.255, 224/4, ff00::/8).
bool is_unicast(const IpAddress& ip);

// A transport conversation seen from its initiator: (client, server, client port, server port).
struct FlowKey {
    IpAddress client;
    IpAddress server;
    uint16_t client_port = 0;
    uint16_t server_port = 0;
};
struct FlowHash {
    size_t operator()(const FlowKey& k) const noexcept {
        return static_cast<size_t>(
            mix64(IpHash{}(k.client) * 0x9e3779b97f4a7c15ull ^ IpHash{}(k.server) ^
                  (static_cast<uint64_t>(k.client_port) << 16 | k.server_port)));
    }
};
struct FlowEqual {
    bool operator()(const FlowKey& a, const FlowKey& b) const noexcept {
        return a.client_port == b.client_port && a.server_port == b.server_port &&
               same_address(a.client, b.client) && same_address(a.server, b.server);
    }
};

// "original" or "improved" (config validates the value).
inline bool improved_rules(const std::string& value) { return value == "improved"; }

// Per-key event or byte counts over a sliding window, for at most `capacity` keys (LRU).
template <typename Key, typename Count, typename Hash = IpHash, typename Equal = IpEqual,
          typename Slot = Count>
class RateTracker {
  public:
    struct Result {
        uint32_t index = 0;
        bool inserted = false;  // first sight of the key (or first since it was evicted)
        Count total = 0;        // over the window, including this event
    };

    // Claims room for `capacity` keys; memory grows with the keys held (see LruTable).
    void reset(uint32_t capacity, double window_seconds) {
        table_.reset(capacity);
        table_.attach(windows_);
        slot_ns_ = slot_width_ns(window_seconds, Window::kSubIntervals);
    }

    Result add(const Key& key, Timestamp ts, Count amount) {
        const auto slot = table_.find_or_insert(key);
        Window& w = windows_[slot.index];
        if (slot.inserted) {
            w = Window{};
        }
        return {slot.index, slot.inserted, w.add(slot_of(ts, slot_ns_), amount)};
    }

    const LruTable<Key, Hash, Equal>& table() const { return table_; }
    // The tracker's table, for callers that keep more per-key columns beside the windows.
    LruTable<Key, Hash, Equal>& table() { return table_; }
    uint64_t state_bytes() const { return table_.memory_bytes(); }
    uint64_t cap_bytes() const { return table_.memory_bytes_at_cap(); }

  private:
    LruTable<Key, Hash, Equal> table_;
    using Window = RateWindow<Count, Slot>;
    std::vector<Window> windows_;
    int64_t slot_ns_ = 1;
};

// Per-address event counts for tables that a flood of spoofed sources fills (one entry per
// source): 16-bit slots keep a key at 48 bytes of window instead of 80. Exact for any threshold up
// to 65 535, since a total reaches the threshold before any slot can saturate; detectors using it
// refuse larger thresholds.
using SourceEventTracker = RateTracker<IpAddress, uint32_t, IpHash, IpEqual, uint16_t>;
inline constexpr uint64_t kSourceEventTrackerMaxThreshold = 65'535;

// The original's flood rule ("threshold events from one source within the window"), shared by
// SYN FLOOD and ICMP FLOOD: counts one event from `source`, asks for the source's reputation on
// first sight, and returns the count and verdict once the count reaches the threshold scaled by
// that reputation and the cooldown lets an alert through.
struct SourceRateHit {
    uint64_t total = 0;
    intel::Verdict verdict;
};
template <typename Tracker>
std::optional<SourceRateHit> count_source_event(Tracker& sources, const IpAddress& source,
                                                Timestamp ts, uint64_t threshold,
                                                uint64_t min_threshold, Context& ctx) {
    const auto r = sources.add(source, ts, 1);
    if (r.inserted) {
        ctx.reputation().request(source, intel::Priority::kDetector);
    }
    if (r.total < min_threshold) {
        return std::nullopt;  // below even the CRITICAL tier's threshold: skip the lookup
    }
    const intel::Verdict v = ctx.reputation().ip(source);
    if (r.total < intel::scale_threshold(threshold, v.tier) || !ctx.claim(source, 0, ts)) {
        return std::nullopt;
    }
    return SourceRateHit{r.total, v};
}

// Appends "<prefix>.size", ".allocated", ".capacity" and ".evictions" for a table.
template <typename Table>
void collect_table(std::string_view prefix, const Table& table, CounterList& out) {
    const std::string p(prefix);
    out.push_back({p + ".size", table.size()});
    out.push_back({p + ".allocated", table.allocated()});
    out.push_back({p + ".capacity", table.capacity()});
    out.push_back({p + ".evictions", table.evictions()});
}

// Appends "<detector>.state_bytes" (allocated now) and "<detector>.cap_bytes" (what the same
// state takes once every table is at its cap: the budget configure() claimed).
inline void collect_bytes(std::string_view detector, uint64_t state_bytes, uint64_t cap_bytes,
                          CounterList& out) {
    const std::string d(detector);
    out.push_back({d + ".state_bytes", state_bytes});
    out.push_back({d + ".cap_bytes", cap_bytes});
}

}  // namespace sentinel::detect
