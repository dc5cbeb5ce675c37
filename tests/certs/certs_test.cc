// Runs the built sentinel-certs in temporary folders and checks what it wrote with the OpenSSL
// API, the openssl command-line tool and the config loader.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "config/config.h"

namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

const char* const kFiles[] = {"certs/ca.crt", "certs/ca.key", "certs/server.crt",
                              "certs/server.key", "sentinel_config.json"};

std::string quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) {
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return out + "'";
}

struct RunResult {
    int code = -1;
    std::string output;  // stdout and stderr
};

RunResult run_shell(const std::string& command) {
    RunResult r;
    FILE* pipe = popen((command + " 2>&1").c_str(), "r");
    if (pipe == nullptr) {
        return r;
    }
    char buf[4096];
    size_t n = 0;
    while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) {
        r.output.append(buf, n);
    }
    const int status = pclose(pipe);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

unsigned mode_of(const fs::path& p) {
    struct stat st {};
    if (stat(p.c_str(), &st) != 0) {
        return 0;
    }
    return st.st_mode & 07777;
}

struct X509Free {
    void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

X509Ptr load_cert(const fs::path& p) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(p.c_str(), "r"), BIO_free);
    return X509Ptr(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
}

std::string name_entry(X509_NAME* name, int nid) {
    char buf[256] = {};
    return X509_NAME_get_text_by_NID(name, nid, buf, sizeof buf) > 0 ? buf : "";
}

bool ext_critical(X509* cert, int nid) {
    const int at = X509_get_ext_by_NID(cert, nid, -1);
    return at >= 0 && X509_EXTENSION_get_critical(X509_get_ext(cert, at)) == 1;
}

// Seconds from not-before to not-after.
long validity_seconds(X509* cert) {
    int days = 0;
    int secs = 0;
    ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(cert), X509_get0_notAfter(cert));
    return days * 86400L + secs;
}

// Seconds from not-before to now.
long age_seconds(X509* cert) {
    int days = 0;
    int secs = 0;
    ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(cert), nullptr);
    return days * 86400L + secs;
}

int serial_bits(X509* cert) {
    std::unique_ptr<BIGNUM, decltype(&BN_free)> bn(
        ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr), BN_free);
    return bn ? BN_num_bits(bn.get()) : 0;
}

struct Sans {
    std::set<std::string> dns;
    std::set<std::string> ips;
};

Sans sans_of(X509* cert) {
    Sans out;
    auto* names =
        static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
    for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names); ++i) {
        const GENERAL_NAME* g = sk_GENERAL_NAME_value(names, i);
        if (g->type == GEN_DNS) {
            out.dns.insert(reinterpret_cast<const char*>(ASN1_STRING_get0_data(g->d.dNSName)));
        } else if (g->type == GEN_IPADD) {
            const int len = ASN1_STRING_length(g->d.iPAddress);
            char text[INET6_ADDRSTRLEN] = {};
            inet_ntop(len == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(g->d.iPAddress), text,
                      sizeof text);
            out.ips.insert(text);
        }
    }
    GENERAL_NAMES_free(names);
    return out;
}

class CertsTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string tmpl = (fs::temp_directory_path() / "certs_test.XXXXXX").string();
        ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
        dir_ = tmpl;
        unsetenv("VIRUSTOTAL_API_KEY");
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }

    // Runs sentinel-certs with the temporary folder as its current directory.
    RunResult certs(const std::string& args, const std::string& umask = "022") {
        return run_shell("cd " + quote(dir_.string()) + " && umask " + umask + " && " +
                         quote(SENTINEL_CERTS_BIN) + " " + args);
    }
    RunResult openssl(const std::string& args) {
        return run_shell("cd " + quote(dir_.string()) + " && openssl " + args);
    }
    nlohmann::ordered_json config_json() const {
        return nlohmann::ordered_json::parse(read_file(dir_ / "sentinel_config.json"));
    }
    std::string api_key() const { return config_json()["api_key"].get<std::string>(); }

    fs::path dir_;
};

TEST_F(CertsTest, ServerCertificateVerifiesAgainstTheCa) {
    ASSERT_EQ(certs("--host sentinel.example.org --host 192.0.2.10").code, 0);
    RunResult v = openssl("verify -CAfile certs/ca.crt certs/server.crt");
    EXPECT_EQ(v.code, 0) << v.output;
    EXPECT_EQ(v.output, "certs/server.crt: OK\n");
    // Strict RFC 5280 checks, TLS server purpose, and each kind of name a client may check.
    for (const char* check : {"-verify_hostname localhost", "-verify_hostname sentinel.example.org",
                              "-verify_ip 127.0.0.1", "-verify_ip ::1", "-verify_ip 192.0.2.10"}) {
        v = openssl(std::string("verify -x509_strict -purpose sslserver ") + check +
                    " -CAfile certs/ca.crt certs/server.crt");
        EXPECT_EQ(v.code, 0) << check << ": " << v.output;
    }
    v = openssl(
        "verify -x509_strict -verify_hostname other.example.org -CAfile certs/ca.crt "
        "certs/server.crt");
    EXPECT_NE(v.code, 0) << "a name outside the certificate must not verify";
}

TEST_F(CertsTest, ServerCertificateNamesLocalhostTheMachineAndEveryHost) {
    ASSERT_EQ(certs("--host Sentinel.Example.org --host 192.0.2.10 --host [2001:db8::5] "
                    "--host 192.0.2.10")
                  .code,
              0);
    X509Ptr server = load_cert(dir_ / "certs/server.crt");
    ASSERT_TRUE(server);
    Sans sans = sans_of(server.get());
    char host[256] = {};
    ASSERT_EQ(gethostname(host, sizeof host - 1), 0);
    std::string machine = host;
    std::transform(machine.begin(), machine.end(), machine.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    EXPECT_EQ(sans.dns, (std::set<std::string>{"localhost", machine, "sentinel.example.org"}));
    EXPECT_EQ(sans.ips, (std::set<std::string>{"127.0.0.1", "::1", "192.0.2.10", "2001:db8::5"}));
    RunResult text = openssl("x509 -noout -ext subjectAltName -in certs/server.crt");
    EXPECT_THAT(text.output, HasSubstr("DNS:localhost"));
    EXPECT_THAT(text.output, HasSubstr("IP Address:127.0.0.1"));
}

struct SslCtxFree {
    void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct SslFree {
    void operator()(SSL* s) const { SSL_free(s); }
};

struct Handshake {
    bool ok = false;
    long verify_result = -1;
    std::string cipher;
    std::string version;
};

// A TLS handshake in memory (no sockets): a server using the generated certificate and key with
// the original's TLS 1.2 suites, and a client that verifies against ca.crt and checks host.
Handshake handshake(const fs::path& dir, const char* host, int client_max_version) {
    Handshake result;
    std::unique_ptr<SSL_CTX, SslCtxFree> server_ctx(SSL_CTX_new(TLS_server_method()));
    std::unique_ptr<SSL_CTX, SslCtxFree> client_ctx(SSL_CTX_new(TLS_client_method()));
    if (!server_ctx || !client_ctx ||
        SSL_CTX_use_certificate_chain_file(server_ctx.get(), (dir / "certs/server.crt").c_str()) !=
            1 ||
        SSL_CTX_use_PrivateKey_file(server_ctx.get(), (dir / "certs/server.key").c_str(),
                                    SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_load_verify_locations(client_ctx.get(), (dir / "certs/ca.crt").c_str(), nullptr) !=
            1) {
        return result;
    }
    SSL_CTX_set_min_proto_version(server_ctx.get(), TLS1_2_VERSION);
    SSL_CTX_set_cipher_list(server_ctx.get(),
                            "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                            "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256");
    SSL_CTX_set_verify(client_ctx.get(), SSL_VERIFY_PEER, nullptr);
    SSL_CTX_set_max_proto_version(client_ctx.get(), client_max_version);
    std::unique_ptr<SSL, SslFree> server(SSL_new(server_ctx.get()));
    std::unique_ptr<SSL, SslFree> client(SSL_new(client_ctx.get()));
    BIO* server_bio = nullptr;
    BIO* client_bio = nullptr;
    if (!server || !client || BIO_new_bio_pair(&server_bio, 0, &client_bio, 0) != 1) {
        return result;
    }
    SSL_set_bio(server.get(), server_bio, server_bio);
    SSL_set_bio(client.get(), client_bio, client_bio);
    SSL_set_accept_state(server.get());
    SSL_set_connect_state(client.get());
    SSL_set1_host(client.get(), host);
    SSL_set_tlsext_host_name(client.get(), host);
    bool client_done = false;
    bool server_done = false;
    for (int round = 0; round < 20 && !(client_done && server_done); ++round) {
        for (auto [ssl, done] :
             {std::pair{client.get(), &client_done}, std::pair{server.get(), &server_done}}) {
            if (*done) {
                continue;
            }
            const int rc = SSL_do_handshake(ssl);
            if (rc == 1) {
                *done = true;
            } else {
                const int e = SSL_get_error(ssl, rc);
                if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
                    result.verify_result = SSL_get_verify_result(client.get());
                    return result;
                }
            }
        }
    }
    result.ok = client_done && server_done;
    result.verify_result = SSL_get_verify_result(client.get());
    result.cipher = SSL_get_cipher_name(client.get());
    result.version = SSL_get_version(client.get());
    return result;
}

TEST_F(CertsTest, TlsHandshakeVerifiesTheServerByName) {
    ASSERT_EQ(certs("--host sentinel.example.org").code, 0);
    Handshake tls12 = handshake(dir_, "sentinel.example.org", TLS1_2_VERSION);
    EXPECT_TRUE(tls12.ok);
    EXPECT_EQ(tls12.verify_result, X509_V_OK);
    EXPECT_EQ(tls12.version, "TLSv1.2");
    EXPECT_EQ(tls12.cipher, "ECDHE-ECDSA-AES256-GCM-SHA384");
    Handshake tls13 = handshake(dir_, "localhost", TLS1_3_VERSION);
    EXPECT_TRUE(tls13.ok);
    EXPECT_EQ(tls13.verify_result, X509_V_OK);
    EXPECT_EQ(tls13.version, "TLSv1.3");
    Handshake wrong = handshake(dir_, "elsewhere.example.org", TLS1_3_VERSION);
    EXPECT_FALSE(wrong.ok);
    EXPECT_EQ(wrong.verify_result, X509_V_ERR_HOSTNAME_MISMATCH);
}

TEST_F(CertsTest, CaCertificateProfile) {
    ASSERT_EQ(certs("").code, 0);
    X509Ptr ca = load_cert(dir_ / "certs/ca.crt");
    ASSERT_TRUE(ca);
    X509_NAME* subject = X509_get_subject_name(ca.get());
    EXPECT_EQ(name_entry(subject, NID_commonName), "NetSentinel CA");
    EXPECT_EQ(name_entry(subject, NID_organizationName), "NetSentinel");
    EXPECT_EQ(name_entry(subject, NID_organizationalUnitName), "Security");
    EXPECT_EQ(X509_NAME_cmp(subject, X509_get_issuer_name(ca.get())), 0);

    auto* bc = static_cast<BASIC_CONSTRAINTS*>(
        X509_get_ext_d2i(ca.get(), NID_basic_constraints, nullptr, nullptr));
    ASSERT_NE(bc, nullptr);
    EXPECT_TRUE(bc->ca);
    ASSERT_NE(bc->pathlen, nullptr);
    EXPECT_EQ(ASN1_INTEGER_get(bc->pathlen), 0);
    BASIC_CONSTRAINTS_free(bc);
    EXPECT_TRUE(ext_critical(ca.get(), NID_basic_constraints));
    EXPECT_EQ(X509_get_key_usage(ca.get()), KU_KEY_CERT_SIGN | KU_CRL_SIGN | KU_DIGITAL_SIGNATURE);
    EXPECT_TRUE(ext_critical(ca.get(), NID_key_usage));
    ASSERT_NE(X509_get0_subject_key_id(ca.get()), nullptr);
    ASSERT_NE(X509_get0_authority_key_id(ca.get()), nullptr);
    EXPECT_EQ(ASN1_OCTET_STRING_cmp(X509_get0_subject_key_id(ca.get()),
                                    X509_get0_authority_key_id(ca.get())),
              0);

    // Back-dated one hour for clock skew; 3650 days from generation.
    EXPECT_NEAR(validity_seconds(ca.get()), 3650L * 86400 + 3600, 5);
    EXPECT_GE(age_seconds(ca.get()), 3600 - 5);
    EXPECT_LE(age_seconds(ca.get()), 3600 + 600);
    EXPECT_EQ(serial_bits(ca.get()), 159);

    EVP_PKEY* key = X509_get0_pubkey(ca.get());
    ASSERT_NE(key, nullptr);
    EXPECT_EQ(EVP_PKEY_get_base_id(key), EVP_PKEY_EC);
    char group[64] = {};
    ASSERT_EQ(EVP_PKEY_get_group_name(key, group, sizeof group, nullptr), 1);
    EXPECT_STREQ(group, "prime256v1");
}

TEST_F(CertsTest, ServerCertificateProfile) {
    ASSERT_EQ(certs("").code, 0);
    X509Ptr ca = load_cert(dir_ / "certs/ca.crt");
    X509Ptr server = load_cert(dir_ / "certs/server.crt");
    ASSERT_TRUE(ca && server);
    EXPECT_EQ(name_entry(X509_get_subject_name(server.get()), NID_commonName),
              "NetSentinel Server");
    EXPECT_EQ(X509_NAME_cmp(X509_get_issuer_name(server.get()), X509_get_subject_name(ca.get())),
              0);
    auto* bc = static_cast<BASIC_CONSTRAINTS*>(
        X509_get_ext_d2i(server.get(), NID_basic_constraints, nullptr, nullptr));
    ASSERT_NE(bc, nullptr);
    EXPECT_FALSE(bc->ca);
    BASIC_CONSTRAINTS_free(bc);
    EXPECT_TRUE(X509_get_key_usage(server.get()) & KU_DIGITAL_SIGNATURE);
    EXPECT_FALSE(X509_get_key_usage(server.get()) & KU_KEY_CERT_SIGN);
    EXPECT_TRUE(ext_critical(server.get(), NID_key_usage));
    EXPECT_EQ(X509_get_extended_key_usage(server.get()), static_cast<uint32_t>(XKU_SSL_SERVER));
    EXPECT_EQ(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(server.get()),
                                    X509_get0_subject_key_id(ca.get())),
              0);
    EXPECT_NEAR(validity_seconds(server.get()), 825L * 86400 + 3600, 5);
    EXPECT_GE(age_seconds(server.get()), 3600 - 5);
    EXPECT_EQ(serial_bits(server.get()), 159);
    EXPECT_NE(
        ASN1_INTEGER_cmp(X509_get0_serialNumber(server.get()), X509_get0_serialNumber(ca.get())),
        0);

    // The key file holds the private half of the certificate's key.
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(
        BIO_new_file((dir_ / "certs/server.key").c_str(), "r"), BIO_free);
    ASSERT_TRUE(bio);
    EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
    ASSERT_NE(key, nullptr);
    EXPECT_EQ(X509_check_private_key(server.get(), key), 1);
    EVP_PKEY_free(key);
}

TEST_F(CertsTest, KeysAndConfigAreOwnerOnlyWhateverTheUmask) {
    ASSERT_EQ(certs("", "000").code, 0);
    EXPECT_EQ(mode_of(dir_ / "certs/ca.key"), 0600u);
    EXPECT_EQ(mode_of(dir_ / "certs/server.key"), 0600u);
    EXPECT_EQ(mode_of(dir_ / "sentinel_config.json"), 0600u);
    EXPECT_EQ(mode_of(dir_ / "certs/ca.crt"), 0644u);
    EXPECT_EQ(mode_of(dir_ / "certs/server.crt"), 0644u);
    ASSERT_EQ(certs("--force", "000").code, 0);
    EXPECT_EQ(mode_of(dir_ / "certs/ca.key"), 0600u);
    EXPECT_EQ(mode_of(dir_ / "sentinel_config.json"), 0600u);
    ASSERT_EQ(certs("--rotate-key", "000").code, 0);
    EXPECT_EQ(mode_of(dir_ / "sentinel_config.json"), 0600u);
}

TEST_F(CertsTest, ApiKeyIs43Base64UrlCharactersAndIsNotPrinted) {
    RunResult r = certs("");
    ASSERT_EQ(r.code, 0) << r.output;
    const std::string key = api_key();
    EXPECT_TRUE(std::regex_match(key, std::regex("[A-Za-z0-9_-]{43}"))) << key;
    EXPECT_THAT(r.output, Not(HasSubstr(key)));
    EXPECT_THAT(r.output, HasSubstr("--show-key"));
    r = certs("--rotate-key --show-key");
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_NE(api_key(), key);
    EXPECT_THAT(r.output, HasSubstr("API key: " + api_key()));
}

TEST_F(CertsTest, OutputNamesFilesAndNextSteps) {
    RunResult r = certs("--out-dir site");
    ASSERT_EQ(r.code, 0) << r.output;
    for (const char* f : kFiles) {
        EXPECT_THAT(r.output, HasSubstr(f));
        EXPECT_TRUE(fs::exists(dir_ / "site" / f)) << f;
    }
    EXPECT_THAT(r.output, HasSubstr("sentinel-server --config " +
                                    (dir_ / "site/sentinel_config.json").string()));
    EXPECT_THAT(r.output, HasSubstr("Never copy certs/ca.key"));
}

TEST_F(CertsTest, RefusesToOverwriteWithoutForce) {
    ASSERT_EQ(certs("").code, 0);
    const std::string ca = read_file(dir_ / "certs/ca.crt");
    const std::string config = read_file(dir_ / "sentinel_config.json");
    RunResult r = certs("");
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.output, HasSubstr("refusing to overwrite existing files in " + dir_.string() +
                                    ": certs/ca.crt, certs/ca.key, certs/server.crt, "
                                    "certs/server.key, sentinel_config.json"));
    EXPECT_THAT(r.output, HasSubstr("--force"));
    EXPECT_EQ(read_file(dir_ / "certs/ca.crt"), ca);
    EXPECT_EQ(read_file(dir_ / "sentinel_config.json"), config);

    // One existing file is enough, and it is the one named.
    fs::remove_all(dir_ / "certs");
    r = certs("");
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.output, HasSubstr(": sentinel_config.json\n"));
    EXPECT_FALSE(fs::exists(dir_ / "certs/ca.key"));
}

TEST_F(CertsTest, ForceReplacesPkiAndKeyButKeepsOtherSettings) {
    ASSERT_EQ(certs("").code, 0);
    const std::string ca = read_file(dir_ / "certs/ca.crt");
    const std::string key = api_key();
    auto cfg = config_json();
    cfg["syn_flood_threshold"] = 321;
    cfg["gui_port"] = 9443;
    std::ofstream(dir_ / "sentinel_config.json") << cfg.dump(2);
    RunResult r = certs("--force");
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_NE(read_file(dir_ / "certs/ca.crt"), ca);
    EXPECT_NE(api_key(), key);
    EXPECT_EQ(config_json()["syn_flood_threshold"], 321);
    EXPECT_EQ(config_json()["gui_port"], 9443);
    EXPECT_EQ(openssl("verify -CAfile certs/ca.crt certs/server.crt").code, 0);
    // Replacement goes through a temporary file beside each target; none may be left behind.
    for (const fs::path& folder : {dir_, dir_ / "certs"}) {
        for (const auto& entry : fs::directory_iterator(folder)) {
            EXPECT_THAT(entry.path().string(), Not(HasSubstr(".tmp")));
        }
    }
}

TEST_F(CertsTest, ForceMigratesAConfigWrittenByTheOriginal) {
    // What gen_certs.py wrote: server_port, OS paths, no gui/agent/redirect ports.
    std::ofstream(dir_ / "sentinel_config.json") << R"({
  "server_host": "0.0.0.0", "server_port": 9443, "api_key": "old-key",
  "ca_cert": "certs/ca.crt", "server_cert": "certs/server.crt", "server_key": "certs/server.key",
  "syn_flood_threshold": 500})";
    RunResult r = certs("--force");
    ASSERT_EQ(r.code, 0) << r.output;
    auto cfg = config_json();
    EXPECT_FALSE(cfg.contains("server_port"));
    EXPECT_EQ(cfg["gui_port"], 9443);
    EXPECT_EQ(cfg["redirect_port"], 9442);  // what "absent" meant before
    EXPECT_EQ(cfg["agent_port"], 8444);
    EXPECT_EQ(cfg["syn_flood_threshold"], 500);
    EXPECT_NE(cfg["api_key"], "old-key");
    EXPECT_THAT(r.output, HasSubstr("other settings kept from the old config"));
}

TEST_F(CertsTest, RotateKeyChangesOnlyTheApiKey) {
    ASSERT_EQ(certs("").code, 0);
    auto cfg = config_json();
    cfg["custom_note"] = "kept";  // unknown keys survive too
    cfg["alert_cooldown"] = 2.5;
    std::ofstream(dir_ / "sentinel_config.json") << cfg.dump(2);
    std::map<std::string, std::string> before;
    for (const char* f : kFiles) {
        before[f] = read_file(dir_ / f);
    }
    RunResult r = certs("--rotate-key");
    ASSERT_EQ(r.code, 0) << r.output;
    auto after = config_json();
    EXPECT_NE(after["api_key"], cfg["api_key"]);
    EXPECT_TRUE(
        std::regex_match(after["api_key"].get<std::string>(), std::regex("[A-Za-z0-9_-]{43}")));
    after["api_key"] = cfg["api_key"];
    EXPECT_EQ(after, cfg);  // same keys, same values, same order
    for (const char* f : kFiles) {
        if (std::string(f) != "sentinel_config.json") {
            EXPECT_EQ(read_file(dir_ / f), before[f]) << f << " changed";
        }
    }
    EXPECT_THAT(r.output, Not(HasSubstr(api_key())));
}

TEST_F(CertsTest, ReissueServerKeepsTheCaAndConfig) {
    ASSERT_EQ(certs("").code, 0);
    const std::string ca = read_file(dir_ / "certs/ca.crt");
    const std::string ca_key = read_file(dir_ / "certs/ca.key");
    const std::string config = read_file(dir_ / "sentinel_config.json");
    const std::string server = read_file(dir_ / "certs/server.crt");
    RunResult r = certs("--reissue-server --host 198.51.100.7", "000");
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_EQ(read_file(dir_ / "certs/ca.crt"), ca);
    EXPECT_EQ(read_file(dir_ / "certs/ca.key"), ca_key);
    EXPECT_EQ(read_file(dir_ / "sentinel_config.json"), config);
    EXPECT_NE(read_file(dir_ / "certs/server.crt"), server);
    EXPECT_EQ(mode_of(dir_ / "certs/server.key"), 0600u);
    RunResult v = openssl(
        "verify -x509_strict -purpose sslserver -verify_ip 198.51.100.7 -CAfile certs/ca.crt "
        "certs/server.crt");
    EXPECT_EQ(v.code, 0) << v.output;
}

TEST_F(CertsTest, ReissueServerNeedsAMatchingCa) {
    RunResult r = certs("--reissue-server");
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.output, HasSubstr("certs/ca.crt does not exist; --reissue-server needs the CA"));
    ASSERT_EQ(certs("--out-dir a").code, 0);
    ASSERT_EQ(certs("--out-dir b").code, 0);
    fs::copy_file(dir_ / "a/certs/ca.key", dir_ / "b/certs/ca.key",
                  fs::copy_options::overwrite_existing);
    const std::string server = read_file(dir_ / "b/certs/server.crt");
    r = certs("--out-dir b --reissue-server");
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.output, HasSubstr("the CA key does not belong to the CA certificate"));
    EXPECT_EQ(read_file(dir_ / "b/certs/server.crt"), server);
}

TEST_F(CertsTest, RotateKeyNeedsAValidConfig) {
    RunResult r = certs("--rotate-key");
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.output, HasSubstr("sentinel_config.json does not exist; run without "
                                    "--rotate-key"));
    std::ofstream(dir_ / "sentinel_config.json") << R"({"gui_port": "x"})";
    r = certs("--rotate-key");
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.output, HasSubstr("\"gui_port\" must be a port number"));
    EXPECT_EQ(read_file(dir_ / "sentinel_config.json"), R"({"gui_port": "x"})");
}

TEST_F(CertsTest, WrittenConfigLoadsWithTheLoader) {
    ASSERT_EQ(certs("--out-dir out").code, 0);
    sentinel::config::LoadWarnings warnings;
    auto loaded =
        sentinel::config::load_config((dir_ / "out/sentinel_config.json").string(), &warnings);
    ASSERT_TRUE(loaded.is_ok()) << loaded.error();
    EXPECT_THAT(warnings.messages, IsEmpty());
    const auto& c = loaded.value();
    EXPECT_EQ(c.server_host, "0.0.0.0");
    EXPECT_EQ(sentinel::config::agent_connect_host(c), "127.0.0.1");
    EXPECT_EQ(c.gui_port, 8443);
    EXPECT_EQ(c.agent_port, 8444);
    EXPECT_EQ(c.effective_redirect_port(), 8442);
    EXPECT_EQ(c.api_key.size(), 43u);
    EXPECT_EQ(c.data_dir, "data");
    // Relative paths resolve against the config's folder, not the current directory.
    for (const std::string* p : {&c.ca_cert, &c.server_cert, &c.server_key}) {
        const std::string abs = sentinel::config::resolve_path(c, *p);
        EXPECT_EQ(abs.rfind((dir_ / "out/certs/").string(), 0), 0u) << abs;
        EXPECT_TRUE(fs::exists(abs)) << abs;
    }
    const auto j = nlohmann::ordered_json::parse(read_file(dir_ / "out/sentinel_config.json"));
    std::vector<std::string> keys;
    for (const auto& [k, v] : j.items()) {
        keys.push_back(k);
    }
    EXPECT_EQ(keys, (std::vector<std::string>{"server_host", "gui_port", "agent_port",
                                              "redirect_port", "api_key", "ca_cert", "server_cert",
                                              "server_key", "data_dir"}));
}

TEST_F(CertsTest, RejectsAHostThatIsNeitherNameNorAddress) {
    RunResult r = certs("--host 'bad name!'");
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.output,
                HasSubstr("--host \"bad name!\" is neither an IP address nor a DNS name"));
    EXPECT_FALSE(fs::exists(dir_ / "sentinel_config.json"));
    EXPECT_FALSE(fs::exists(dir_ / "certs/ca.key"));
}

TEST_F(CertsTest, HelpDescribesEveryFlag) {
    RunResult r = certs("--help");
    EXPECT_EQ(r.code, 0);
    for (const char* flag :
         {"--out-dir", "--host", "--force", "--rotate-key", "--reissue-server", "--show-key"}) {
        EXPECT_THAT(r.output, HasSubstr(flag));
    }
    EXPECT_THAT(r.output, HasSubstr("repeatable"));
    EXPECT_THAT(certs("--rotate-key --force").code, Not(0));
}

}  // namespace
