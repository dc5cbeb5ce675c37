// Built instead of the generated dashboard when SENTINEL_WEB_DASHBOARD is OFF (the sanitizer
// builds): no npm, one page saying so. The server code serving it is the same.
#include <cstddef>

#include "web/assets_table.h"

namespace sentinel::web::detail {

const Asset kAssets[] = {
    {"/index.html", "text/html; charset=utf-8",
     "<!doctype html><title>NetSentinel</title><p>This build has no dashboard "
     "(SENTINEL_WEB_DASHBOARD=OFF).</p>\n",
     false},
};
const std::size_t kAssetCount = sizeof(kAssets) / sizeof(kAssets[0]);

}  // namespace sentinel::web::detail
