// The Windows agent's cache store: Debian ships no mingw SQLite, so the record file (FileCache)
// holds the answers and the daily budget.
#include "virustotal/cache.h"
#include "virustotal/file_cache.h"

namespace sentinel::virustotal {

Result<std::unique_ptr<Cache>> Cache::open(const std::string& path) {
    auto cache = FileCache::open(path);
    if (!cache) {
        return Error{cache.error()};
    }
    return std::unique_ptr<Cache>(std::move(cache.value()));
}

const char* Cache::file_name() { return "reputation.cache"; }

}  // namespace sentinel::virustotal
