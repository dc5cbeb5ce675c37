#include "certs/certgen.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <climits>
#include <memory>
#include <optional>

namespace sentinel::certs {
namespace {

struct PkeyFree {
    void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
    void operator()(X509* p) const { X509_free(p); }
};
struct BioFree {
    void operator()(BIO* p) const { BIO_free(p); }
};
struct BnFree {
    void operator()(BIGNUM* p) const { BN_free(p); }
};
struct ExtFree {
    void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using BioPtr = std::unique_ptr<BIO, BioFree>;
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, ExtFree>;

// The OpenSSL error queue as one line (and cleared), appended to what we were doing.
Error openssl_error(std::string_view what) {
    std::string detail;
    unsigned long code = 0;
    while ((code = ERR_get_error()) != 0) {
        char buf[256];
        ERR_error_string_n(code, buf, sizeof buf);
        if (!detail.empty()) {
            detail += "; ";
        }
        detail += buf;
    }
    return Error{detail.empty() ? std::string(what) : fmt::format("{}: {}", what, detail)};
}

Result<PkeyPtr> new_key() {
    // P-256: small keys, fast handshakes, and the ECDHE-ECDSA-AES*-GCM suites every client
    // (OpenSSL, Schannel for the Windows agent, browsers) supports.
    PkeyPtr key(EVP_EC_gen("P-256"));
    if (!key) {
        return openssl_error("cannot generate an EC P-256 key");
    }
    return key;
}

Status add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    ExtPtr ext(X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value.c_str()));
    if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
        return Status::error(
            openssl_error(fmt::format("cannot add the {} extension", OBJ_nid2sn(nid))).message);
    }
    return Status::ok();
}

Status set_name(X509_NAME* name, const std::vector<std::pair<const char*, const char*>>& parts) {
    for (const auto& [field, value] : parts) {
        if (X509_NAME_add_entry_by_txt(name, field, MBSTRING_ASC,
                                       reinterpret_cast<const unsigned char*>(value), -1, -1,
                                       0) != 1) {
            return Status::error(openssl_error("cannot build a certificate name").message);
        }
    }
    return Status::ok();
}

// 159 random bits with the top one set: positive, 20 bytes (the RFC 5280 maximum), and far
// beyond the 64 bits of entropy CA/Browser rules ask for.
Status set_random_serial(X509* cert) {
    std::array<unsigned char, 20> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
        return Status::error(openssl_error("cannot draw a random serial number").message);
    }
    bytes[0] = static_cast<unsigned char>((bytes[0] & 0x7f) | 0x40);
    BnPtr bn(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
    if (!bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) == nullptr) {
        return Status::error(openssl_error("cannot set the serial number").message);
    }
    return Status::ok();
}

Result<X509Ptr> new_cert(EVP_PKEY* subject_key, int days) {
    X509Ptr cert(X509_new());
    if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
        X509_set_pubkey(cert.get(), subject_key) != 1 ||
        X509_gmtime_adj(X509_getm_notBefore(cert.get()), -kBackdateSeconds) == nullptr ||
        X509_time_adj_ex(X509_getm_notAfter(cert.get()), days, 0, nullptr) == nullptr) {
        return openssl_error("cannot create a certificate");
    }
    if (Status s = set_random_serial(cert.get()); !s) {
        return Error{s.message()};
    }
    return cert;
}

Result<std::string> bio_text(BIO* bio) {
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    if (n <= 0 || data == nullptr) {
        return openssl_error("cannot encode PEM");
    }
    return std::string(data, static_cast<size_t>(n));
}

Result<PemPair> to_pem(X509* cert, EVP_PKEY* key) {
    BioPtr cert_bio(BIO_new(BIO_s_mem()));
    BioPtr key_bio(BIO_new(BIO_s_mem()));
    if (!cert_bio || !key_bio || PEM_write_bio_X509(cert_bio.get(), cert) != 1 ||
        PEM_write_bio_PrivateKey(key_bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
        return openssl_error("cannot encode PEM");
    }
    auto cert_text = bio_text(cert_bio.get());
    auto key_text = bio_text(key_bio.get());
    if (!cert_text) {
        return Error{cert_text.error()};
    }
    if (!key_text) {
        return Error{key_text.error()};
    }
    return PemPair{std::move(cert_text.value()), std::move(key_text.value())};
}

bool valid_dns_name(const std::string& name) {
    if (name.empty() || name.size() > 253) {
        return false;
    }
    std::string_view rest = name;
    if (rest.substr(0, 2) == "*.") {
        rest.remove_prefix(2);
    }
    size_t label = 0;
    for (char ch : rest) {
        if (ch == '.') {
            if (label == 0) {
                return false;
            }
            label = 0;
            continue;
        }
        const auto c = static_cast<unsigned char>(ch);
        if (!(std::isalnum(c) || ch == '-' || ch == '_') || ++label > 63) {
            return false;
        }
    }
    return label > 0;
}

std::optional<std::string> canonical_ip(std::string text) {
    if (text.size() > 2 && text.front() == '[' && text.back() == ']') {
        text = text.substr(1, text.size() - 2);
    }
    unsigned char buf[16];
    char out[INET6_ADDRSTRLEN];
    if (inet_pton(AF_INET, text.c_str(), buf) == 1) {
        return inet_ntop(AF_INET, buf, out, sizeof out);
    }
    if (inet_pton(AF_INET6, text.c_str(), buf) == 1) {
        return inet_ntop(AF_INET6, buf, out, sizeof out);
    }
    return std::nullopt;
}

void add_unique(std::vector<std::string>& list, std::string value) {
    if (std::find(list.begin(), list.end(), value) == list.end()) {
        list.push_back(std::move(value));
    }
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

}  // namespace

Result<SubjectAltNames> build_sans(const std::vector<std::string>& extra_hosts,
                                   const std::string& machine_host) {
    SubjectAltNames sans;
    sans.dns.push_back("localhost");
    sans.ips.push_back("127.0.0.1");
    sans.ips.push_back("::1");
    if (valid_dns_name(machine_host)) {
        add_unique(sans.dns, lower(machine_host));
    }
    for (const std::string& host : extra_hosts) {
        if (auto ip = canonical_ip(host)) {
            add_unique(sans.ips, *ip);
        } else if (valid_dns_name(host)) {
            add_unique(sans.dns, lower(host));
        } else {
            return Error{fmt::format(
                "--host \"{}\" is neither an IP address nor a DNS name (letters, digits, '-', "
                "'.')",
                host)};
        }
    }
    return sans;
}

std::string machine_host_name() {
    char name[256] = {};
    if (gethostname(name, sizeof name - 1) != 0) {
        return "";
    }
    return name;
}

Result<PemPair> make_ca() {
    auto ca_key = new_key();
    if (!ca_key) {
        return Error{ca_key.error()};
    }
    auto ca = new_cert(ca_key->get(), kCaDays);
    if (!ca) {
        return Error{ca.error()};
    }
    X509* ca_cert = ca->get();
    Status s = set_name(X509_get_subject_name(ca_cert),
                        {{"CN", "NetSentinel CA"}, {"O", "NetSentinel"}, {"OU", "Security"}});
    if (s && X509_set_issuer_name(ca_cert, X509_get_subject_name(ca_cert)) != 1) {
        s = Status::error(openssl_error("cannot set the CA issuer").message);
    }
    // The subject key identifier must exist before the authority key identifier refers to it.
    const std::pair<int, const char*> ca_exts[] = {
        {NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
        {NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature"},
        {NID_subject_key_identifier, "hash"},
        {NID_authority_key_identifier, "keyid:always"},
    };
    for (const auto& [nid, value] : ca_exts) {
        if (s) {
            s = add_ext(ca_cert, ca_cert, nid, value);
        }
    }
    if (s && X509_sign(ca_cert, ca_key->get(), EVP_sha256()) <= 0) {
        s = Status::error(openssl_error("cannot sign the CA certificate").message);
    }
    if (!s) {
        return Error{s.message()};
    }
    return to_pem(ca_cert, ca_key->get());
}

Result<PemPair> issue_server_cert(const PemPair& ca_pem, const SubjectAltNames& sans) {
    BioPtr cert_bio(BIO_new_mem_buf(ca_pem.cert.data(), static_cast<int>(ca_pem.cert.size())));
    BioPtr key_bio(BIO_new_mem_buf(ca_pem.key.data(), static_cast<int>(ca_pem.key.size())));
    X509Ptr ca(cert_bio ? PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr) : nullptr);
    PkeyPtr ca_key(key_bio ? PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr)
                           : nullptr);
    if (!ca || !ca_key) {
        return openssl_error("cannot read the CA certificate and key (PEM)");
    }
    if (X509_check_private_key(ca.get(), ca_key.get()) != 1) {
        ERR_clear_error();
        return Error{"the CA key does not belong to the CA certificate"};
    }
    X509* ca_cert = ca.get();

    auto server_key = new_key();
    if (!server_key) {
        return Error{server_key.error()};
    }
    auto server = new_cert(server_key->get(), kServerDays);
    if (!server) {
        return Error{server.error()};
    }
    X509* server_cert = server->get();
    Status s = set_name(X509_get_subject_name(server_cert),
                        {{"CN", "NetSentinel Server"}, {"O", "NetSentinel"}});
    if (s && X509_set_issuer_name(server_cert, X509_get_subject_name(ca_cert)) != 1) {
        s = Status::error(openssl_error("cannot set the server certificate issuer").message);
    }
    std::string alt_names;
    for (const std::string& d : sans.dns) {
        alt_names += (alt_names.empty() ? "DNS:" : ",DNS:") + d;
    }
    for (const std::string& ip : sans.ips) {
        alt_names += (alt_names.empty() ? "IP:" : ",IP:") + ip;
    }
    // keyEncipherment is an RSA key-transport usage; RFC 5480 does not allow it for EC keys, and
    // ECDHE-ECDSA only needs digitalSignature.
    const std::pair<int, std::string> server_exts[] = {
        {NID_basic_constraints, "critical,CA:FALSE"},
        {NID_key_usage, "critical,digitalSignature"},
        {NID_ext_key_usage, "serverAuth"},
        {NID_subject_key_identifier, "hash"},
        {NID_authority_key_identifier, "keyid:always"},
        {NID_subject_alt_name, alt_names},
    };
    for (const auto& [nid, value] : server_exts) {
        if (s) {
            s = add_ext(server_cert, ca_cert, nid, value);
        }
    }
    if (s && X509_sign(server_cert, ca_key.get(), EVP_sha256()) <= 0) {
        s = Status::error(openssl_error("cannot sign the server certificate").message);
    }
    if (!s) {
        return Error{s.message()};
    }
    return to_pem(server_cert, server_key->get());
}

Result<Pki> generate_pki(const SubjectAltNames& sans) {
    auto ca = make_ca();
    if (!ca) {
        return Error{ca.error()};
    }
    auto server = issue_server_cert(ca.value(), sans);
    if (!server) {
        return Error{server.error()};
    }
    return Pki{std::move(ca.value()), std::move(server.value())};
}

Result<std::string> generate_api_key() {
    std::array<unsigned char, 32> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
        return openssl_error("cannot draw random bytes for the API key");
    }
    std::array<unsigned char, 48> b64{};
    const int n = EVP_EncodeBlock(b64.data(), bytes.data(), static_cast<int>(bytes.size()));
    std::string key(reinterpret_cast<const char*>(b64.data()), static_cast<size_t>(n));
    while (!key.empty() && key.back() == '=') {
        key.pop_back();
    }
    for (char& ch : key) {
        if (ch == '+') {
            ch = '-';
        } else if (ch == '/') {
            ch = '_';
        }
    }
    return key;
}

}  // namespace sentinel::certs
