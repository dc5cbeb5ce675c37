#pragma once

#include <memory>

#include "detect/detector.h"

namespace sentinel::detect {

// See docs/detectors/port_scan.md.
std::unique_ptr<Detector> create_port_scan();

}  // namespace sentinel::detect
