#pragma once

#include <cstddef>
#include <string_view>

namespace sentinel::web {

// One file of the dashboard, embedded into the binary at build time so the server needs no
// files on disk and nothing from the internet.
struct Asset {
    std::string_view path;          // URL path, e.g. "/index.html", "/assets/app.js"
    std::string_view content_type;  // e.g. "text/html; charset=utf-8"
    std::string_view body;
    bool immutable;  // may be cached for a long time (hashed or versioned name)
};

// The asset served at `path`, or nullptr. "/" maps to "/index.html".
const Asset* find_asset(std::string_view path);

}  // namespace sentinel::web
