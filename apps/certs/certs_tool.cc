#include "certs/certs_tool.h"
#include "common/json_input.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <tuple>

#include "certs/certgen.h"
#include "config/config.h"

namespace sentinel::certs {
namespace {

namespace fs = std::filesystem;
using ordered_json = nlohmann::ordered_json;

constexpr unsigned kPrivateMode = 0600;
constexpr unsigned kPublicMode = 0644;

std::string join(const std::vector<std::string>& items, std::string_view sep) {
    std::string out;
    for (const std::string& item : items) {
        if (!out.empty()) {
            out += sep;
        }
        out += item;
    }
    return out;
}

bool exists_no_follow(const std::string& path) {
    struct stat st {};
    return lstat(path.c_str(), &st) == 0;
}

Result<std::string> read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return Error{fmt::format("{}: cannot read: {}", path, std::strerror(errno))};
    }
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

Status make_dir(const std::string& path) {
    std::error_code ec;
    fs::create_directories(path, ec);
    if (ec) {
        return Status::error(fmt::format("{}: cannot create the folder: {}", path, ec.message()));
    }
    return Status::ok();
}

// The config for a fresh PKI. Settings of an existing config (kept with --force) survive, except
// the API key and the certificate paths, which now name the new files.
ordered_json new_config(const ordered_json& old, const std::string& api_key) {
    ordered_json c = ordered_json::object();
    auto keep = [&](const char* key, ordered_json fallback) {
        c[key] = old.contains(key) ? old[key] : std::move(fallback);
    };
    keep("server_host", "0.0.0.0");
    if (!old.contains("gui_port") && old.contains("server_port")) {
        c["gui_port"] = old["server_port"];  // the original's name for the dashboard port
    } else {
        keep("gui_port", 8443);
    }
    keep("agent_port", 8444);
    // Absent before meant gui_port - 1; writing that value keeps the behaviour.
    const ordered_json& gui = c["gui_port"];
    keep("redirect_port",
         gui.is_number_unsigned() && gui.get<uint64_t>() > 1 ? gui.get<uint64_t>() - 1 : 8442);
    c["api_key"] = api_key;
    c["ca_cert"] = kCaCert;
    c["server_cert"] = kServerCert;
    c["server_key"] = kServerKey;
    keep("data_dir", "data");
    for (const auto& [key, value] : old.items()) {
        if (!c.contains(key) && key != "server_port") {
            c[key] = value;
        }
    }
    return c;
}

std::string config_text(const ordered_json& c) {
    return c.dump(2, ' ', false, ordered_json::error_handler_t::strict) + "\n";
}

void print_key_line(std::ostream& out, const std::string& config_path, const std::string& key,
                    bool show_key) {
    if (show_key) {
        out << "API key: " << key << "\n";
    } else {
        out << "API key: stored as \"api_key\" in " << config_path
            << " (not shown; add --show-key to print it)\n";
    }
}

int rotate_key(const Options& o, const std::string& config_path, std::ostream& out,
               std::ostream& err) {
    if (!exists_no_follow(config_path)) {
        err << "sentinel-certs: " << config_path
            << " does not exist; run without --rotate-key to create the PKI and config\n";
        return 1;
    }
    // The loader gives precise messages for a broken config; the rewrite then works on the raw
    // document so that every other key, unknown ones included, keeps its value and order.
    auto loaded = config::load_config(config_path);
    if (!loaded) {
        err << "sentinel-certs: " << loaded.error() << "\nFix the config, then retry.\n";
        return 1;
    }
    auto text = read_text(config_path);
    if (!text) {
        err << "sentinel-certs: " << text.error() << "\n";
        return 1;
    }
    auto parsed = sentinel::json_input::parse<ordered_json>(text.value());
    ordered_json doc = parsed ? std::move(parsed).value() : ordered_json();
    if (!doc.is_object()) {
        err << "sentinel-certs: " << config_path << ": not a JSON object\n";
        return 1;
    }
    auto key = generate_api_key();
    if (!key) {
        err << "sentinel-certs: " << key.error() << "\n";
        return 1;
    }
    doc["api_key"] = key.value();
    if (Status s = write_file(config_path, config_text(doc), kPrivateMode, /*replace=*/true); !s) {
        err << "sentinel-certs: " << s.message() << "\n";
        return 1;
    }
    out << "Rotated the API key in " << config_path << " (certificates unchanged).\n";
    print_key_line(out, config_path, key.value(), o.show_key);
    out << "\nNext steps:\n"
        << "  1. Restart the server so it uses the new key; the old key stops working.\n"
        << "  2. Copy " << config_path << " to every agent and restart them.\n";
    return 0;
}

std::string names_text(const SubjectAltNames& sans) {
    std::vector<std::string> names = sans.dns;
    names.insert(names.end(), sans.ips.begin(), sans.ips.end());
    return join(names, ", ");
}

int reissue_server(const Options& o, const std::function<std::string(const char*)>& at,
                   std::ostream& out, std::ostream& err) {
    PemPair ca;
    for (auto [rel, dest] : {std::pair{kCaCert, &ca.cert}, std::pair{kCaKey, &ca.key}}) {
        if (!exists_no_follow(at(rel))) {
            err << "sentinel-certs: " << at(rel)
                << " does not exist; --reissue-server needs the CA certificate and key\n";
            return 1;
        }
        auto text = read_text(at(rel));
        if (!text) {
            err << "sentinel-certs: " << text.error() << "\n";
            return 1;
        }
        *dest = std::move(text.value());
    }
    auto sans = build_sans(o.hosts, machine_host_name());
    if (!sans) {
        err << "sentinel-certs: " << sans.error() << "\n";
        return 1;
    }
    auto server = issue_server_cert(ca, sans.value());
    if (!server) {
        err << "sentinel-certs: " << at(kCaKey) << ": " << server.error() << "\n";
        return 1;
    }
    for (auto [rel, contents, mode] : {std::tuple{kServerKey, &server->key, kPrivateMode},
                                       std::tuple{kServerCert, &server->cert, kPublicMode}}) {
        if (Status s = write_file(at(rel), *contents, mode, /*replace=*/true); !s) {
            err << "sentinel-certs: " << s.message() << "\n";
            return 1;
        }
    }
    out << "Issued a new server certificate from the existing CA:\n"
        << fmt::format("  {:<22}server certificate, {} days, valid for: {}\n", kServerCert,
                       kServerDays, names_text(sans.value()))
        << fmt::format("  {:<22}server private key (mode 0600)\n", kServerKey)
        << "\nRestart the server to use it. Agents keep their ca.crt and config.\n";
    return 0;
}

}  // namespace

Status write_file(const std::string& path, const std::string& contents, unsigned mode,
                  bool replace) {
    const std::string target = replace ? path + ".tmp" : path;
    if (replace && unlink(target.c_str()) != 0 && errno != ENOENT) {
        return Status::error(fmt::format("{}: cannot remove: {}", target, std::strerror(errno)));
    }
    // O_EXCL: never reuse a file (or follow a link) someone else created; the mode applies from
    // the first byte, so a private key is never readable by others, not even briefly.
    const int fd = open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                        static_cast<mode_t>(mode));
    if (fd < 0) {
        return Status::error(fmt::format("{}: cannot create: {}", target, std::strerror(errno)));
    }
    size_t done = 0;
    while (done < contents.size()) {
        const ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            const int e = errno;
            close(fd);
            unlink(target.c_str());
            return Status::error(fmt::format("{}: cannot write: {}", target, std::strerror(e)));
        }
        done += static_cast<size_t>(n);
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        const int e = errno;
        unlink(target.c_str());
        return Status::error(fmt::format("{}: cannot write: {}", target, std::strerror(e)));
    }
    if (replace && rename(target.c_str(), path.c_str()) != 0) {
        const int e = errno;
        unlink(target.c_str());
        return Status::error(fmt::format("{}: cannot replace: {}", path, std::strerror(e)));
    }
    return Status::ok();
}

int run(const Options& o, std::ostream& out, std::ostream& err) {
    if (Status s = make_dir(o.out_dir); !s) {
        err << "sentinel-certs: " << s.message() << "\n";
        return 1;
    }
    std::error_code ec;
    fs::path dir = fs::absolute(o.out_dir, ec).lexically_normal();
    if (dir.filename().empty()) {  // "out/" normalizes with a trailing separator
        dir = dir.parent_path();
    }
    auto at = [&](const char* rel) { return (dir / rel).string(); };
    const std::string config_path = at(kConfigFile);

    if (o.rotate_key) {
        return rotate_key(o, config_path, out, err);
    }
    if (o.reissue_server) {
        return reissue_server(o, at, out, err);
    }

    std::vector<std::string> existing;
    for (const char* rel : {kCaCert, kCaKey, kServerCert, kServerKey, kConfigFile}) {
        if (exists_no_follow(at(rel))) {
            existing.push_back(rel);
        }
    }
    if (!existing.empty() && !o.force) {
        err << "sentinel-certs: refusing to overwrite existing files in " << dir.string() << ": "
            << join(existing, ", ") << "\n"
            << "Use --rotate-key to change only the API key, or --force to replace the CA, server "
               "certificate, keys and API key (every agent then needs the new ca.crt and "
               "config).\n";
        return 1;
    }

    ordered_json old = ordered_json::object();
    if (o.force && exists_no_follow(config_path)) {
        if (auto text = read_text(config_path)) {
            auto parsed = sentinel::json_input::parse<ordered_json>(text.value());
            if (parsed && parsed->is_object()) {
                old = std::move(parsed).value();
            }
        }
    }

    auto sans = build_sans(o.hosts, machine_host_name());
    if (!sans) {
        err << "sentinel-certs: " << sans.error() << "\n";
        return 1;
    }
    auto pki = generate_pki(sans.value());
    auto key = generate_api_key();
    if (!pki || !key) {
        err << "sentinel-certs: " << (pki ? key.error() : pki.error()) << "\n";
        return 1;
    }
    if (Status s = make_dir(at("certs")); !s) {
        err << "sentinel-certs: " << s.message() << "\n";
        return 1;
    }

    const struct {
        const char* rel;
        const std::string& contents;
        unsigned mode;
    } files[] = {
        {kCaKey, pki->ca.key, kPrivateMode},
        {kCaCert, pki->ca.cert, kPublicMode},
        {kServerKey, pki->server.key, kPrivateMode},
        {kServerCert, pki->server.cert, kPublicMode},
    };
    const std::string config = config_text(new_config(old, key.value()));
    for (const auto& f : files) {
        if (Status s = write_file(at(f.rel), f.contents, f.mode, o.force); !s) {
            err << "sentinel-certs: " << s.message() << "\n";
            return 1;
        }
    }
    if (Status s = write_file(config_path, config, kPrivateMode, o.force); !s) {
        err << "sentinel-certs: " << s.message() << "\n";
        return 1;
    }

    out << "Wrote the NetSentinel PKI and config in " << dir.string() << ":\n"
        << fmt::format("  {:<22}CA certificate (agents need it)\n", kCaCert)
        << fmt::format("  {:<22}CA private key (mode 0600; needed only to issue certificates)\n",
                       kCaKey)
        << fmt::format("  {:<22}server certificate, {} days, valid for: {}\n", kServerCert,
                       kServerDays, names_text(sans.value()))
        << fmt::format("  {:<22}server private key (mode 0600)\n", kServerKey)
        << fmt::format("  {:<22}config with a new API key (mode 0600){}\n", kConfigFile,
                       old.empty() ? "" : "; other settings kept from the old config");
    print_key_line(out, config_path, key.value(), o.show_key);

    auto check = config::load_config(config_path);
    if (!check) {
        err << "sentinel-certs: the config was written but does not load: " << check.error()
            << "\n";
        return 1;
    }
    out << "\nNext steps:\n"
        << "  1. Start the server:\n"
        << "       sentinel-server --config " << config_path << "\n"
        << "  2. On each agent machine, copy " << kCaCert << " and " << kConfigFile
        << " (same layout), set\n"
        << "     \"server_host\" in the copy to one of the names above, and start the agent "
           "with\n"
        << "     --config pointing at it. For another name or address, rerun with "
           "--reissue-server\n"
        << "     --host NAME (keeps the CA, so agents need nothing new).\n"
        << "  3. Never copy " << kCaKey << " or " << kServerKey << " to agents. " << kCaKey
        << " is needed only to issue\n"
        << "     certificates; keep it offline if you can.\n";
    return 0;
}

}  // namespace sentinel::certs
