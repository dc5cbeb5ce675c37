#include "libcurl/library.h"

#include <dlfcn.h>

#include <mutex>
#include <string>

namespace sentinel::libcurl {

namespace {

#if defined(__APPLE__)
constexpr const char* kFile = "libcurl.4.dylib";
#else
constexpr const char* kFile = "libcurl.so.4";
#endif

struct Loaded {
    Library library{};
    std::string error;
    bool ok = false;
};

template <typename Fn>
bool bind(void* handle, const char* name, Fn*& out, std::string& error) {
    void* symbol = ::dlsym(handle, name);
    if (symbol == nullptr) {
        error = std::string(kFile) + ": no symbol " + name;
        return false;
    }
    out = reinterpret_cast<Fn*>(symbol);
    return true;
}

Loaded load() {
    Loaded l;
    // RTLD_LOCAL: its symbols stay out of the global scope; RTLD_NOW: a broken install fails here,
    // not in the middle of a request. The handle is never closed (libcurl is not unload-safe).
    void* handle = ::dlopen(kFile, RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
        const char* why = ::dlerror();
        l.error = why != nullptr ? why : std::string(kFile) + ": cannot be loaded";
        return l;
    }
    Library& c = l.library;
    if (!(bind(handle, "curl_global_init", c.global_init, l.error) &&
          bind(handle, "curl_easy_init", c.easy_init, l.error) &&
          bind(handle, "curl_easy_setopt", c.easy_setopt, l.error) &&
          bind(handle, "curl_easy_perform", c.easy_perform, l.error) &&
          bind(handle, "curl_easy_getinfo", c.easy_getinfo, l.error) &&
          bind(handle, "curl_easy_reset", c.easy_reset, l.error) &&
          bind(handle, "curl_easy_cleanup", c.easy_cleanup, l.error) &&
          bind(handle, "curl_easy_strerror", c.easy_strerror, l.error) &&
          bind(handle, "curl_slist_append", c.slist_append, l.error) &&
          bind(handle, "curl_slist_free_all", c.slist_free_all, l.error))) {
        return l;
    }
    if (const CURLcode rc = c.global_init(CURL_GLOBAL_DEFAULT); rc != CURLE_OK) {
        l.error = std::string(kFile) + ": curl_global_init failed: " + c.easy_strerror(rc);
        return l;
    }
    l.ok = true;
    return l;
}

std::once_flag g_once;
Loaded* g_loaded = nullptr;  // set once under g_once, never freed

}  // namespace

Result<const Library*> library() {
    std::call_once(g_once, [] { g_loaded = new Loaded(load()); });
    if (!g_loaded->ok) {
        return Error{g_loaded->error};
    }
    return &g_loaded->library;
}

void apply_https_policy(const Library& lib, CURL* h, const HttpsPolicy& p) {
    lib.easy_setopt(h, CURLOPT_PROTOCOLS_STR, p.allow_http || p.insecure ? "https,http" : "https");
    lib.easy_setopt(h, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
    lib.easy_setopt(h, CURLOPT_SSL_VERIFYPEER, p.insecure ? 0L : 1L);
    lib.easy_setopt(h, CURLOPT_SSL_VERIFYHOST, p.insecure ? 0L : 2L);
    if (!p.ca_file.empty()) {
        lib.easy_setopt(h, CURLOPT_CAINFO, p.ca_file.c_str());
        if (p.only_ca_file) {
            lib.easy_setopt(h, CURLOPT_CAPATH, static_cast<const char*>(nullptr));
        }
    }
    lib.easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    lib.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    lib.easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
}

bool loaded() {
    void* handle = ::dlopen(kFile, RTLD_NOW | RTLD_NOLOAD);
    if (handle == nullptr) {
        return false;
    }
    ::dlclose(handle);  // drops only the reference RTLD_NOLOAD took
    return true;
}

}  // namespace sentinel::libcurl
