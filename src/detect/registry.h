#pragma once

#include <string_view>
#include <vector>

#include "detect/detector.h"

namespace sentinel::detect {

// The list of known detectors, in dispatch order. Filled explicitly (no static-initialisation
// tricks) so that it survives static linking: see builtin.cc.
class Registry {
  public:
    struct Entry {
        std::string_view name;
        DetectorFactory factory;
    };

    // Adds a detector; names must be unique.
    void add(std::string_view name, DetectorFactory factory);
    const std::vector<Entry>& entries() const { return entries_; }
    // The factory registered under `name`, or nullptr.
    DetectorFactory find(std::string_view name) const;

  private:
    std::vector<Entry> entries_;
};

// Adds the eight built-in detectors (builtin.cc, one line each).
void register_builtin(Registry& registry);
// A registry holding the built-in detectors.
const Registry& builtin_registry();

}  // namespace sentinel::detect
