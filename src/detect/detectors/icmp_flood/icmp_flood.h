#pragma once

#include <memory>

#include "detect/detector.h"

namespace sentinel::detect {

// See docs/detectors/icmp_flood.md.
std::unique_ptr<Detector> create_icmp_flood();

}  // namespace sentinel::detect
