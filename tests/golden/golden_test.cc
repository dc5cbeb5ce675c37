// Golden tests: every folder here names a capture (file `capture`) and holds the alerts the
// offline pipeline must produce for it (expected/alerts.jsonl, canonified: no id, agent_id,
// hostname, os). Optional files `expect` and `forbid` list categories that must / must not
// appear (from ../shared/pcaps/MANIFEST.md), so that a baseline update cannot silently accept a
// missed attack or a false positive. SENTINEL_UPDATE_BASELINES=1 rewrites the baselines.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "agent/offline.h"

namespace sentinel::golden {
namespace {

namespace fs = std::filesystem;

fs::path golden_dir() { return fs::path(SENTINEL_SOURCE_DIR) / "tests" / "golden"; }

fs::path pcap_dir() {
    const fs::path configured(SENTINEL_PCAP_DIR);
    if (!configured.empty() && fs::exists(configured / "MANIFEST.md")) {
        return configured;
    }
    return fs::path(SENTINEL_SOURCE_DIR) / ".." / "shared" / "pcaps";  // beside the checkout
}

std::vector<std::string> case_names() {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(golden_dir())) {
        if (entry.is_directory() && fs::exists(entry.path() / "capture")) {
            names.push_back(entry.path().filename().string());
        }
    }
    std::sort(names.begin(), names.end());
    return names;
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::vector<std::string> read_lines(const fs::path& path) {
    std::vector<std::string> lines;
    std::istringstream in(read_file(path));
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line[0] != '#') {
            lines.push_back(line);
        }
    }
    return lines;
}

// "pcaps:<path under the shared capture folder>" or "repo:<path under the source tree>".
fs::path resolve_capture(const std::string& spec) {
    if (spec.rfind("pcaps:", 0) == 0) {
        return pcap_dir() / spec.substr(6);
    }
    if (spec.rfind("repo:", 0) == 0) {
        return fs::path(SENTINEL_SOURCE_DIR) / spec.substr(5);
    }
    return spec;
}

class Golden : public ::testing::TestWithParam<std::string> {};

TEST_P(Golden, AlertsMatchBaseline) {
    const fs::path dir = golden_dir() / GetParam();
    const std::vector<std::string> spec = read_lines(dir / "capture");
    ASSERT_EQ(spec.size(), 1u) << "capture file must hold one line";
    const fs::path capture = resolve_capture(spec[0]);
    if (!fs::exists(capture)) {
        // A developer without the reference folder may skip; CI (CI set) must not.
        if (std::getenv("CI") != nullptr) {
            FAIL() << "capture not found: " << capture
                   << " (CI is set; set SENTINEL_PCAP_DIR to the reference capture folder)";
        }
        GTEST_SKIP() << "capture not found: " << capture
                     << " (set SENTINEL_PCAP_DIR to the reference capture folder)";
    }

    agent::OfflineOptions options;
    options.path = capture.string();
    std::FILE* out = std::tmpfile();
    ASSERT_NE(out, nullptr);
    std::FILE* diag = std::tmpfile();
    auto summary = agent::run_offline(options, out, diag);
    std::fclose(diag);
    ASSERT_TRUE(summary.is_ok()) << summary.error();

    std::rewind(out);
    std::string canon;
    std::set<std::string> categories;
    char buf[8192];
    std::string pending;
    while (std::fgets(buf, sizeof(buf), out) != nullptr) {
        pending += buf;
        if (pending.back() != '\n') {
            continue;
        }
        auto j = nlohmann::ordered_json::parse(pending);
        pending.clear();
        for (const char* key : {"id", "agent_id", "hostname", "os"}) {
            j.erase(key);
        }
        categories.insert(j["category"].get<std::string>());
        canon += j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    }
    std::fclose(out);

    const fs::path expected_path = dir / "expected" / "alerts.jsonl";
    const char* update = std::getenv("SENTINEL_UPDATE_BASELINES");
    if (update != nullptr && std::string(update) == "1") {
        fs::create_directories(expected_path.parent_path());
        std::ofstream(expected_path, std::ios::binary) << canon;
    }

    for (const auto& category : read_lines(dir / "expect")) {
        EXPECT_TRUE(categories.count(category)) << "expected a " << category << " alert";
    }
    for (const auto& category : read_lines(dir / "forbid")) {
        EXPECT_FALSE(categories.count(category)) << "no " << category << " alert allowed";
    }
    ASSERT_TRUE(fs::exists(expected_path))
        << "no baseline; run with SENTINEL_UPDATE_BASELINES=1 and review it";
    const std::string expected = read_file(expected_path);
    if (canon != expected) {
        std::istringstream a(expected), b(canon);
        std::string la, lb;
        int line = 1;
        while (true) {
            const bool ha = static_cast<bool>(std::getline(a, la));
            const bool hb = static_cast<bool>(std::getline(b, lb));
            if (!ha && !hb) {
                break;
            }
            if (!ha || !hb || la != lb) {
                ADD_FAILURE() << "first difference at line " << line
                              << "\n  expected: " << (ha ? la : "<end>")
                              << "\n  actual:   " << (hb ? lb : "<end>");
                break;
            }
            ++line;
        }
    }
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
    std::string name = info.param;
    for (char& c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c))) {
            c = '_';
        }
    }
    return name;
}

INSTANTIATE_TEST_SUITE_P(Captures, Golden, ::testing::ValuesIn(case_names()), test_name);

}  // namespace
}  // namespace sentinel::golden
