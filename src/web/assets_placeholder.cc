#include "web/assets.h"

// Placeholder until the dashboard build lands: one page that says so.
namespace sentinel::web {

namespace {
constexpr Asset kIndex{"/index.html", "text/html; charset=utf-8",
                       "<!doctype html><title>NetSentinel</title><p>NetSentinel dashboard</p>",
                       false};
}

const Asset* find_asset(std::string_view path) {
    if (path == "/" || path == kIndex.path) {
        return &kIndex;
    }
    return nullptr;
}

}  // namespace sentinel::web
