#pragma once

#include <memory>

#include "detect/detector.h"

namespace sentinel::detect {

// See docs/detectors/brute_force.md.
std::unique_ptr<Detector> create_brute_force();

}  // namespace sentinel::detect
