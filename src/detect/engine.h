#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "detect/detector.h"
#include "detect/lru_table.h"
#include "detect/registry.h"

namespace sentinel::detect {

// Alerts emitted and suppressed (cooldown) for one category.
struct CategoryStats {
    std::string_view category;
    uint64_t emitted = 0;
    uint64_t suppressed = 0;
};

// Runs the configured detectors over decoded packets: dispatch by wanted layers, the per
// (category, source) cooldown in packet time, passive reputation warming, and alert emission.
// Single-threaded: call everything from the packet thread.
class Engine {
  public:
    Engine(intel::ReputationView& reputation, AlertSink& sink);
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    // Creates and configures detectors from `registry`; all of them when `only` is empty,
    // otherwise the named ones (an unknown name is an error).
    Status configure(const config::DetectorConfig& config,
                     const Registry& registry = builtin_registry(),
                     const std::vector<std::string>& only = {});

    // Looks at one decoded packet.
    void on_packet(const decode::Packet& packet);
    // Call between batches of packets: lets the reputation view absorb finished lookups.
    void between_batches() { reputation_.poll(); }

    uint64_t packets() const { return packets_; }
    const std::vector<CategoryStats>& category_stats() const { return stats_; }
    // Every detector's counters plus the engine's own (cooldown table, warm caches).
    CounterList counters() const;
    // Sum of every "*.evictions" counter.
    uint64_t total_evictions() const;
    // Bytes of state allocated so far across the engine and its detectors: tables grow with
    // the keys they hold.
    uint64_t state_bytes() const;
    // Bytes the same state takes once every table is at its cap: the budget configure()
    // claimed, and the bound on state_bytes().
    uint64_t cap_bytes() const;
    const std::vector<std::unique_ptr<Detector>>& detectors() const { return detectors_; }

  private:
    class DetectorContext;
    struct CooldownKey {
        uint32_t detector = 0;
        uint16_t port = 0;
        IpAddress ip;
    };
    struct CooldownKeyHash {
        size_t operator()(const CooldownKey& k) const noexcept {
            return IpHash{}(k.ip) ^ (static_cast<size_t>(k.detector) << 48) ^
                   (static_cast<size_t>(k.port) * 0x9e3779b97f4a7c15ull);
        }
    };
    struct CooldownKeyEqual {
        bool operator()(const CooldownKey& a, const CooldownKey& b) const noexcept {
            return a.detector == b.detector && a.port == b.port && same_address(a.ip, b.ip);
        }
    };
    static constexpr size_t kWarmCacheSize = 4096;

    // Sum of the counters whose names end with `suffix`.
    uint64_t sum_counters(std::string_view suffix) const;
    bool claim(uint32_t detector, const IpAddress& ip, uint16_t port, Timestamp now);
    void emit(uint32_t detector, schema::Alert&& alert);
    void warm(const IpAddress& address);
    void warm_domain(std::string_view name);

    intel::ReputationView& reputation_;
    AlertSink& sink_;
    std::unique_ptr<DetectorContext> context_;
    std::vector<std::unique_ptr<Detector>> detectors_;
    std::vector<decode::LayerMask> wanted_;
    std::vector<CategoryStats> stats_;
    int64_t cooldown_ns_ = 0;
    LruTable<CooldownKey, CooldownKeyHash, CooldownKeyEqual> cooldown_;
    std::vector<int64_t> last_emitted_;
    std::array<uint64_t, kWarmCacheSize> warmed_ips_{};
    std::array<uint64_t, kWarmCacheSize> warmed_domains_{};
    uint64_t warm_requests_ = 0;
    uint64_t packets_ = 0;
    const decode::Packet* current_packet_ = nullptr;  // during on_packet only
};

}  // namespace sentinel::detect
