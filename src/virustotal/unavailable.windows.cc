// The Windows agent has no libcurl or SQLite (Debian ships no mingw builds of them): the cache
// refuses to open, so make_reputation() reports that lookups need the Linux agent while the
// offline feeds keep working. The transport is never constructed; it answers with an error.
#include "virustotal/cache.h"
#include "virustotal/transport.h"

namespace sentinel::virustotal {

Result<std::unique_ptr<Cache>> Cache::open(const std::string& /*path*/) {
    return Error{
        "VirusTotal lookups are not available in the Windows agent: remove virustotal_api_key "
        "from the config and unset VIRUSTOTAL_API_KEY (offline intel_feeds still apply)"};
}
Cache::~Cache() = default;
std::optional<Report> Cache::get(const std::string&, int64_t) { return std::nullopt; }
Status Cache::put(const std::string&, const Report&) { return Status::ok(); }
Status Cache::for_each_valid(int64_t,
                             const std::function<void(const std::string&, const Report&)>&) {
    return Status::ok();
}
Status Cache::prune(int64_t, uint64_t) { return Status::ok(); }
uint64_t Cache::size() { return 0; }
uint32_t Cache::used_on(int64_t) { return 0; }
Status Cache::set_used(int64_t, uint32_t) { return Status::ok(); }
Status Cache::exec(const char*) { return Status::ok(); }

CurlTransport::CurlTransport(CurlOptions options) : options_(std::move(options)) {}
CurlTransport::~CurlTransport() = default;
HttpResponse CurlTransport::get(const std::string& /*path*/) {
    HttpResponse r;
    r.error = "VirusTotal lookups are not available in the Windows agent";
    return r;
}

}  // namespace sentinel::virustotal
