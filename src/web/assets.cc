#include "web/assets.h"

#include <algorithm>
#include <span>

#include "web/assets_table.h"

namespace sentinel::web {

const Asset* find_asset(std::string_view path) {
    if (path == "/") {
        path = "/index.html";
    }
    const std::span<const Asset> assets(detail::kAssets, detail::kAssetCount);
    const auto it = std::lower_bound(
        assets.begin(), assets.end(), path,
        [](const Asset& asset, std::string_view wanted) { return asset.path < wanted; });
    if (it == assets.end() || it->path != path) {
        return nullptr;
    }
    return &*it;
}

}  // namespace sentinel::web
