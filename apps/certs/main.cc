#include <CLI/CLI.hpp>
#include <iostream>

#include "certs/certs_tool.h"

int main(int argc, char** argv) {
    sentinel::certs::Options o;
    CLI::App app{
        "sentinel-certs: creates the NetSentinel CA, server certificate, API key and "
        "sentinel_config.json (certs/ca.crt, certs/ca.key, certs/server.crt, certs/server.key; "
        "keys and config with mode 0600)"};
    app.add_option("--out-dir", o.out_dir,
                   "Folder to write certs/ and sentinel_config.json into (created if missing)")
        ->capture_default_str();
    app.add_option("--host", o.hosts,
                   "Extra DNS name or IP address the server certificate is valid for, e.g. the "
                   "server's LAN address; repeatable. localhost, 127.0.0.1, ::1 and this "
                   "machine's host name are always included");
    app.add_flag("--force", o.force,
                 "Replace existing certificates, keys and API key (settings in an existing "
                 "config are kept); agents then need the new ca.crt and config");
    app.add_flag("--rotate-key", o.rotate_key,
                 "Only replace api_key in the existing config; certificates and every other "
                 "setting stay as they are");
    app.add_flag("--reissue-server", o.reissue_server,
                 "Only replace the server key and certificate, signed by the existing CA (for "
                 "example to add --host names); agents need nothing new");
    app.add_flag("--show-key", o.show_key,
                 "Print the API key (by default only where it is stored is printed)");
    app.get_option("--rotate-key")->excludes("--force")->excludes("--host");
    app.get_option("--reissue-server")->excludes("--force")->excludes("--rotate-key");
    CLI11_PARSE(app, argc, argv);
    return sentinel::certs::run(o, std::cout, std::cerr);
}
