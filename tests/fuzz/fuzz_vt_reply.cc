// libFuzzer entry point for VirusTotal replies: a Worker (no cache) asks a stand-in transport,
// which answers with the fuzz input. Byte 0 picks the HTTP status, Retry-After and the lookup
// kind (see README.md); the rest is the body the Worker parses (data.attributes of a v3 object).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "intel/reputation.h"
#include "virustotal/worker.h"

namespace {

using namespace sentinel::virustotal;

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_vt_reply: invariant failed: %s\n", what);
        std::abort();
    }
}

class FixedClock final : public Clock {
  public:
    int64_t now_ms() const override { return now; }
    int64_t now = 1'800'000'000'000;
};

class CannedTransport final : public Transport {
  public:
    HttpResponse get(const std::string& path) override {
        check(!path.empty(), "empty request path");
        ++requests;
        return response;
    }
    HttpResponse response;
    int requests = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const bool quiet = [] {
        spdlog::set_level(spdlog::level::off);
        return true;
    }();
    (void)quiet;
    if (size == 0) {
        return 0;
    }
    static const long kStatus[] = {200, 200, 200, 200, 404, 429, 401, 500, 0, 403, 200, 302};
    const uint8_t mode = data[0];
    CannedTransport transport;
    transport.response.status = kStatus[(mode & 0x0f) % 12];
    if (mode & 0x10) {
        transport.response.retry_after_seconds = (mode & 0x20) ? -5 : 3600;
    }
    transport.response.body.assign(reinterpret_cast<const char*>(data + 1), size - 1);
    if (transport.response.status == 0) {
        transport.response.error = "connection refused";
    }

    FixedClock clock;
    WorkerOptions options;
    options.requests_per_minute = 1000;
    Worker worker(options, clock, transport, nullptr);
    std::vector<Outcome> out;
    const Lookup lookup = (mode & 0x40)
                              ? Lookup{sentinel::intel::LookupKind::kDomain, "example.com"}
                              : Lookup{sentinel::intel::LookupKind::kIp, "8.8.8.8"};
    worker.submit(lookup, sentinel::intel::Priority::kDetector, out);
    for (int i = 0; i < 8 && out.empty(); ++i) {
        const int64_t due = worker.next_due_ms();
        if (due == INT64_MAX) {
            break;
        }
        clock.now = std::max(clock.now, due);
        worker.step(out);
    }
    check(transport.requests <= 8, "more requests than steps");
    for (const auto& o : out) {
        check(o.lookup.indicator == lookup.indicator, "outcome for another lookup");
        if (o.found) {
            (void)sentinel::intel::tier_for(o.report.malicious, o.report.suspicious,
                                            o.report.reputation);
        }
    }
    return 0;
}
