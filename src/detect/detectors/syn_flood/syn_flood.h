#pragma once

#include <memory>

#include "detect/detector.h"

namespace sentinel::detect {

// See docs/detectors/syn_flood.md.
std::unique_ptr<Detector> create_syn_flood();

}  // namespace sentinel::detect
