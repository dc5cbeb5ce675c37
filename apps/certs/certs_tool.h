#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "common/status.h"

// What sentinel-certs does, behind its command line.
namespace sentinel::certs {

struct Options {
    std::string out_dir = ".";       // where certs/ and sentinel_config.json go
    std::vector<std::string> hosts;  // extra names/addresses for the server certificate
    bool force = false;              // replace existing PKI and config
    bool rotate_key = false;         // only replace api_key in an existing config
    bool reissue_server = false;     // only replace the server key and certificate (same CA)
    bool show_key = false;           // print the API key
};

// The files sentinel-certs writes, relative to the output folder.
constexpr const char* kCaCert = "certs/ca.crt";
constexpr const char* kCaKey = "certs/ca.key";
constexpr const char* kServerCert = "certs/server.crt";
constexpr const char* kServerKey = "certs/server.key";
constexpr const char* kConfigFile = "sentinel_config.json";

// Writes contents to path, created with mode from the start (never wider, then narrowed). Without
// replace the file must not exist; with replace it is written beside and renamed over, so readers
// see the old or the new file, never a partial one.
Status write_file(const std::string& path, const std::string& contents, unsigned mode,
                  bool replace);

// Creates the CA, server certificate, API key and config (or only a new API key with
// rotate_key, or only a new server certificate from the existing CA with reissue_server), reporting
// to out and errors to err. Returns the process exit code.
int run(const Options& options, std::ostream& out, std::ostream& err);

}  // namespace sentinel::certs
