#pragma once

#include <cstddef>

#include "web/assets.h"

namespace sentinel::web::detail {

// Every embedded file, sorted by path; defined in the generated assets_generated.cc.
extern const Asset kAssets[];
extern const std::size_t kAssetCount;

}  // namespace sentinel::web::detail
