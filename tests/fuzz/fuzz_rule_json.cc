// libFuzzer entry point for suppression-rule JSON: one rule (API / persisted form), a rule set
// (what the server hands agents), and the agent's kept rule file (SuppressionFilter::load).
// Byte 0 selects the mode (see README.md); the rest is the JSON text.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/json_input.h"
#include "platform/platform.h"
#include "schema/alert.h"
#include "suppress/rule.h"
#include "transport/suppression.h"

namespace {

using sentinel::Timestamp;
using namespace sentinel::suppress;

constexpr Timestamp kNow = Timestamp::from_seconds(1'700'000'000);

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_rule_json: invariant failed: %s\n", what);
        std::abort();
    }
}

const std::vector<sentinel::schema::Alert>& alerts() {
    static const std::vector<sentinel::schema::Alert> all = [] {
        std::vector<sentinel::schema::Alert> v(4);
        v[0].category = "PORT SCAN";
        v[0].src = "10.0.0.5";
        v[0].agent_id = "agent-1";
        v[0].flow = sentinel::schema::Flow{"10.0.0.5", "192.168.1.10", 40000, 22, 6};
        v[1].category = "SUSPICIOUS PORT";
        v[1].src = "[2001:db8::1]:4444";
        v[2].category = "ARP SPOOF";
        v[2].src = "192.168.1.1";
        v[3].category = "ICMP FLOOD";
        v[3].src = "not an address";
        v[3].flow = sentinel::schema::Flow{"::1", "fe80::1", 8, 0, 58};
        for (auto& a : v) {
            a.ts = kNow;
        }
        return v;
    }();
    return all;
}

void exercise(const Rule& rule) {
    for (const auto& a : alerts()) {
        (void)matches(rule, a, kNow);
    }
    // What the server stores and hands out reads back as the same rule.
    const auto api = to_json(rule);
    auto again = rule_from_json(nlohmann::json(api));
    check(again.is_ok(), "to_json(rule) does not parse back");
    check(to_json(*again).dump() == api.dump(), "to_json round trip differs");
    (void)to_json(rule, RuleStats{1, 2, kNow}, kNow).dump();
    (void)to_agent_json(rule).dump();
    if (rule.src) {
        (void)cidr_text(*rule.src);
    }
}

std::string temp_dir() {
    static const std::string dir = [] {
        char tmpl[] = "/tmp/fuzz_rule_json.XXXXXX";
        const char* d = ::mkdtemp(tmpl);
        check(d != nullptr, "mkdtemp");
        return std::string(d);
    }();
    return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) {
        return 0;
    }
    const uint8_t mode = data[0] % 4;
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    if (mode == 3) {
        // The agent's kept rules: a file written by an earlier run (or damaged on disk).
        const std::string file = temp_dir() + "/suppressions.json";
        std::error_code ec;
        std::filesystem::remove(file + ".bad", ec);
        check(sentinel::platform::write_file_atomic(file, text, 0600, false).is_ok(), "write file");
        sentinel::transport::SuppressionFilter filter(file);
        if (filter.load().is_ok()) {
            for (const auto& a : alerts()) {
                (void)filter.apply(a, kNow);
            }
            (void)filter.counts();
            (void)filter.version();
        }
        return 0;
    }
    auto doc = sentinel::json_input::parse(text);
    if (!doc) {
        return 0;
    }
    if (mode == 2) {
        auto set = rule_set_from_json(*doc);
        if (set) {
            for (const auto& rule : set->rules) {
                exercise(rule);
            }
            for (const auto& a : alerts()) {
                (void)set->first_match(a, kNow);
            }
            (void)to_agent_json(*set).dump();
        }
        return 0;
    }
    auto rule = mode == 0 ? rule_from_json(*doc) : rule_from_json(*doc, kNow);
    if (rule) {
        exercise(*rule);
    }
    for (const auto& a : alerts()) {
        (void)AlertKey::of(a);
        (void)split_alert_src(a.src);
    }
    (void)split_alert_src(text);
    return 0;
}
