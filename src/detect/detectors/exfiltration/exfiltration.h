#pragma once

#include <memory>

#include "detect/detector.h"

namespace sentinel::detect {

// See docs/detectors/exfiltration.md.
std::unique_ptr<Detector> create_exfiltration();

}  // namespace sentinel::detect
