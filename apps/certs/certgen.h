#pragma once

#include <string>
#include <vector>

#include "common/status.h"

// Certificate and key generation for sentinel-certs (OpenSSL 3, ECDSA P-256).
namespace sentinel::certs {

constexpr int kCaDays = 3650;
constexpr int kServerDays = 825;
// Certificates start this long before "now" so that a client whose clock is a little behind
// still accepts them (seed B14).
constexpr long kBackdateSeconds = 3600;

// The names the server certificate is valid for.
struct SubjectAltNames {
    std::vector<std::string> dns;  // lower case, no duplicates
    std::vector<std::string> ips;  // canonical text form, no duplicates
};

// localhost, 127.0.0.1 and ::1, the machine's host name (skipped when it is not a valid DNS
// name), plus every extra host: an IPv4/IPv6 address (brackets allowed) or a DNS name
// (letters, digits, '-', '_', '.', an optional leading "*."). Fails on anything else.
Result<SubjectAltNames> build_sans(const std::vector<std::string>& extra_hosts,
                                   const std::string& machine_host);

// This machine's host name ("" when it cannot be read).
std::string machine_host_name();

struct PemPair {
    std::string cert;
    std::string key;  // unencrypted PKCS#8 PEM
};

struct Pki {
    PemPair ca;
    PemPair server;
};

// A new self-signed CA (CN=NetSentinel CA, CA:TRUE pathlen 0, 3650 days).
Result<PemPair> make_ca();

// A new server key and certificate (825 days, serverAuth, valid for sans) signed by ca; fails
// when ca.key is not the key of ca.cert.
Result<PemPair> issue_server_cert(const PemPair& ca, const SubjectAltNames& sans);

// make_ca() plus issue_server_cert().
Result<Pki> generate_pki(const SubjectAltNames& sans);

// 32 bytes from the OpenSSL CSPRNG as base64url without padding: 43 characters.
Result<std::string> generate_api_key();

}  // namespace sentinel::certs
