#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip_address.h"
#include "common/status.h"
#include "common/time.h"
#include "config/config.h"
#include "decode/packet.h"
#include "intel/reputation.h"
#include "schema/alert.h"

namespace sentinel::detect {

// What a detector is, and which packets it wants: the engine only calls on_packet() for packets
// carrying at least one of the layers in `wanted`.
struct DetectorInfo {
    std::string_view name;      // folder name, e.g. "port_scan"
    std::string_view category;  // the original's category string, e.g. "PORT SCAN"
    decode::LayerMask wanted = 0;
};

// One named value reported by a detector or the engine (table sizes, evictions, memory).
struct CounterValue {
    std::string name;
    uint64_t value = 0;
};
using CounterList = std::vector<CounterValue>;

// Receives every alert that passed the cooldown. Called on the packet thread.
class AlertSink {
  public:
    virtual ~AlertSink() = default;
    virtual void emit(schema::Alert&& alert) = 0;
};

class Context;

// A behavioural detector. Configuration claims its state: every table gets its cap (the most
// keys it may ever hold) and starts small; on_packet() must not lock, log or throw, and allocates
// only when a table grows (geometrically, up to its cap: rare and amortised) or to build an
// alert that passed Context::claim(). At its cap a table evicts its least recently used key and
// counts the eviction.
class Detector {
  public:
    virtual ~Detector() = default;

    virtual const DetectorInfo& info() const = 0;
    // Reads the detector's keys and claims every table's cap (LruTable::reset, attach). Called
    // before the first packet.
    virtual Status configure(const config::DetectorConfig& config) = 0;
    // Looks at one packet carrying at least one of the wanted layers.
    virtual void on_packet(const decode::Packet& packet, Context& context) = 0;
    // Appends counters (names prefixed with the detector name): table sizes, allocated slots,
    // capacities, evictions, bytes of state allocated (state_bytes) and at the caps (cap_bytes).
    virtual void collect(CounterList& out) const = 0;
};

// What a detector may use while it looks at a packet: reputation, passive lookup warming, the
// cooldown gate and the alert sink. Owned by the engine.
class Context {
  public:
    virtual ~Context() = default;

    virtual intel::ReputationView& reputation() = 0;

    // The cooldown gate for (this detector's category, ip[, port]) at packet time `now`. Returns
    // true, and starts a new cooldown period, when no alert with that key was emitted within
    // alert_cooldown; the caller must then build and emit the alert. Suppressed attempts do not
    // extend the period.
    virtual bool claim(const IpAddress& ip, uint16_t port, Timestamp now) = 0;
    // Sends an alert (its ts, level, category, message and src set) to the sink.
    virtual void emit(schema::Alert&& alert) = 0;

    // Passive lookups at low priority, de-duplicated cheaply; internal addresses and local
    // names are ignored by the reputation view.
    virtual void warm(const IpAddress& address) = 0;
    virtual void warm_domain(std::string_view name) = 0;
};

using DetectorFactory = std::unique_ptr<Detector> (*)();

}  // namespace sentinel::detect
