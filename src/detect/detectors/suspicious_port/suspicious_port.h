#pragma once

#include <memory>

#include "detect/detector.h"

namespace sentinel::detect {

// See docs/detectors/suspicious_port.md.
std::unique_ptr<Detector> create_suspicious_port();

}  // namespace sentinel::detect
