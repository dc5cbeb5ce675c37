#pragma once

#include <curl/curl.h>

#include <string>

#include "common/status.h"

namespace sentinel::libcurl {

// libcurl's easy interface, opened with dlopen() the first time a client needs it.
//
// Why not link it: libcurl brings 38 more shared libraries (GnuTLS, Kerberos, LDAP, SSH, RTMP,
// ...). Loading and relocating them, and their constructors, cost the agent about 6 MB of
// resident memory and several milliseconds at start-up, which `--read` and every run that sends
// nothing over the network paid for nothing. Calls go through the table below, with the
// signatures of <curl/curl.h>; the header pins the ABI (libcurl's soname has been 4 since 2006).
struct Library {
    CURLcode (*global_init)(long flags);
    CURL* (*easy_init)();
    CURLcode (*easy_setopt)(CURL* handle, CURLoption option, ...);
    CURLcode (*easy_perform)(CURL* handle);
    CURLcode (*easy_getinfo)(CURL* handle, CURLINFO info, ...);
    void (*easy_reset)(CURL* handle);
    void (*easy_cleanup)(CURL* handle);
    const char* (*easy_strerror)(CURLcode code);
    curl_slist* (*slist_append)(curl_slist* list, const char* line);
    void (*slist_free_all)(curl_slist* list);
};

// The library, loaded and globally initialised once (thread-safe); later calls return the same
// table. The error names the library file and the loader's reason, e.g. "libcurl.so.4: cannot
// open shared object file" when the package is missing.
Result<const Library*> library();

// Whether libcurl is in this process already (for tests and the footprint figures).
bool loaded();

// How every HTTPS client of ours (the agent's shipper, VirusTotal lookups, the server's webhook)
// sets up a connection, written once.
struct HttpsPolicy {
    // Trusted roots: a PEM file, or "" for the system store.
    std::string ca_file;
    // Trust ca_file alone, not also the system's directory of roots: the agent's own CA must not
    // be replaceable by a public certificate for the same name.
    bool only_ca_file = false;
    // No verification at all (the agent's explicit --insecure only).
    bool insecure = false;
    // Also accept http:// URLs (a base URL the config allows to be http).
    bool allow_http = false;
};

// Applies the policy to a handle: peer and host name verified (unless insecure), TLS 1.2 or
// newer, the allowed schemes, no redirects, no signals, TCP_NODELAY (a small request must not
// wait for Nagle; libcurl's default since 7.50, said here).
void apply_https_policy(const Library& lib, CURL* handle, const HttpsPolicy& policy);

}  // namespace sentinel::libcurl
