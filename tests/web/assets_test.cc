#include "web/assets.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "web/assets_table.h"

namespace sentinel::web {
namespace {

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

TEST(WebAssets, RootServesTheIndexPage) {
    const Asset* root = find_asset("/");
    const Asset* index = find_asset("/index.html");
    ASSERT_NE(root, nullptr);
    EXPECT_EQ(root, index);
    EXPECT_EQ(root->content_type, "text/html; charset=utf-8");
    EXPECT_FALSE(root->immutable);
    EXPECT_NE(root->body.find("<title>NetSentinel"), std::string_view::npos);
}

TEST(WebAssets, UnknownPathsAreNotFound) {
    EXPECT_EQ(find_asset(""), nullptr);
    EXPECT_EQ(find_asset("/nope"), nullptr);
    EXPECT_EQ(find_asset("/assets/"), nullptr);
    EXPECT_EQ(find_asset("/index.html/"), nullptr);
    EXPECT_EQ(find_asset("/../index.html"), nullptr);
}

// Every file the page references is embedded, hashed (immutable) and has the right type.
TEST(WebAssets, EveryReferenceFromTheIndexResolves) {
    const Asset* index = find_asset("/index.html");
    ASSERT_NE(index, nullptr);
    const std::string html(index->body);
    const std::regex ref(R"((?:href|src)="(/assets/[^"]+)\")");
    int count = 0;
    for (auto it = std::sregex_iterator(html.begin(), html.end(), ref);
         it != std::sregex_iterator(); ++it) {
        const std::string path = (*it)[1];
        const Asset* asset = find_asset(path);
        ASSERT_NE(asset, nullptr) << path;
        EXPECT_TRUE(asset->immutable) << path;
        EXPECT_FALSE(asset->body.empty()) << path;
        ++count;
    }
    EXPECT_GE(count, 5);
    const std::string base = html.substr(html.find("/assets/"), 21);  // "/assets/<12 hex>/"
    const Asset* js = find_asset(base + "js/main.js");
    ASSERT_NE(js, nullptr);
    EXPECT_EQ(js->content_type, "text/javascript; charset=utf-8");
    const Asset* font = find_asset(base + "fonts/vt323-400.woff2");
    ASSERT_NE(font, nullptr);
    EXPECT_EQ(font->content_type, "font/woff2");
    EXPECT_EQ(font->body.substr(0, 4), "wOF2");
}

// The embedded bytes equal the built files byte for byte (binary fonts included).
TEST(WebAssets, EmbeddedBytesMatchTheBuiltFiles) {
    namespace fs = std::filesystem;
    const fs::path dist = SENTINEL_WEB_DIST;
    int count = 0;
    for (const auto& entry : fs::recursive_directory_iterator(dist)) {
        if (!entry.is_regular_file()) {
            continue;
        }
        const std::string url = "/" + fs::relative(entry.path(), dist).generic_string();
        const Asset* asset = find_asset(url);
        ASSERT_NE(asset, nullptr) << url;
        EXPECT_EQ(asset->body, read_file(entry.path())) << url;
        ++count;
    }
    EXPECT_GE(count, 10);
}

// Nothing in the page points at another host (the original loaded fonts and scripts from CDNs).
TEST(WebAssets, NoExternalUrls) {
    const Asset* index = find_asset("/index.html");
    ASSERT_NE(index, nullptr);
    const std::string html(index->body);
    EXPECT_EQ(html.find("http://"), std::string::npos);
    EXPECT_EQ(html.find("https://"), std::string::npos);
    EXPECT_EQ(html.find("//fonts."), std::string::npos);
}

// B11: our scripts never hand data to the HTML parser (vendor files are not ours to police).
TEST(WebAssets, OurScriptsNeverParseHtml) {
    int scripts = 0;
    for (std::size_t i = 0; i < detail::kAssetCount; ++i) {
        const Asset& a = detail::kAssets[i];
        if (a.content_type.find("javascript") == std::string_view::npos ||
            a.path.find("/vendor/") != std::string_view::npos) {
            continue;
        }
        ++scripts;
        for (std::string_view bad : {"innerHTML", "outerHTML", "insertAdjacentHTML",
                                     "document.write", "eval(", "new Function"}) {
            EXPECT_EQ(a.body.find(bad), std::string_view::npos) << a.path << " uses " << bad;
        }
    }
    EXPECT_GE(scripts, 5);
}

// The table must be sorted for find_asset's binary search, and every asset findable.
TEST(WebAssets, TableIsSortedAndComplete) {
    for (std::size_t i = 0; i < detail::kAssetCount; ++i) {
        if (i > 0) {
            EXPECT_LT(detail::kAssets[i - 1].path, detail::kAssets[i].path);
        }
        EXPECT_EQ(find_asset(detail::kAssets[i].path), &detail::kAssets[i]);
    }
}

}  // namespace
}  // namespace sentinel::web
