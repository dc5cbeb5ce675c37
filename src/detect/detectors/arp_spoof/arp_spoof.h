#pragma once

#include <memory>

#include "detect/detector.h"

namespace sentinel::detect {

// See docs/detectors/arp_spoof.md.
std::unique_ptr<Detector> create_arp_spoof();

}  // namespace sentinel::detect
