#pragma once

#include <memory>

#include "detect/detector.h"

namespace sentinel::detect {

// See docs/detectors/dns_tunnel.md.
std::unique_ptr<Detector> create_dns_tunnel();

}  // namespace sentinel::detect
