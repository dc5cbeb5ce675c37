#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/status.h"
#include "common/time.h"
#include "schema/alert.h"
#include "suppress/rule.h"

namespace sentinel::transport {

// The agent's copy of the server's suppression rules and the per-rule counts of what they
// suppressed. The sender thread replaces the rules; the spool writer thread applies them. Neither
// runs on the packet thread, which only hands alerts over (Shipper::submit).
class SuppressionFilter {
  public:
    // `file` keeps the last rule set across restarts ("" = kept in memory only).
    explicit SuppressionFilter(std::string file);

    // Reads the kept rule set. A missing file is no rules (ok). A damaged one is moved aside to
    // <file>.bad and reported; the filter then holds no rules until the server sends some.
    Status load();

    // Installs `set` for the next alert (a pointer swap) and keeps it in the file (atomic
    // replace). The rules apply even when the error says the file could not be written.
    Status replace(suppress::RuleSet set);

    // The rules in force; never null.
    std::shared_ptr<const suppress::RuleSet> rules() const;
    // The version of the rules held; nullopt before any set was loaded or received.
    std::optional<int64_t> version() const;

    // The id of the first rule in force at `now` that matches `alert` (and counts it), or
    // nullopt when the alert must be delivered.
    std::optional<int64_t> apply(const schema::Alert& alert, Timestamp now);

    // Per-rule counts since this filter was made (the process start): {rule id: alerts}.
    std::map<int64_t, uint64_t> counts() const;
    uint64_t total() const { return total_.load(std::memory_order_relaxed); }

    const std::string& file() const { return file_; }

  private:
    std::string file_;
    mutable std::mutex mu_;  // guards rules_, has_version_ and counts_
    std::shared_ptr<const suppress::RuleSet> rules_;
    bool has_version_ = false;
    std::map<int64_t, uint64_t> counts_;
    std::atomic<uint64_t> total_{0};
};

}  // namespace sentinel::transport
