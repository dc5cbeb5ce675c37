// Test-only: runs the server with a config built from arguments and writes the bound ports.
// usage: server_test_runner DATA_DIR CERT KEY API_KEY PORTS_FILE
#include <cstdio>
#include <fstream>
#include <string>

#include "server/app.h"

int main(int argc, char** argv) {
    if (argc != 6) {
        std::fprintf(stderr, "usage: server_test_runner DATA_DIR CERT KEY API_KEY PORTS_FILE\n");
        return 2;
    }
    sentinel::config::Config c;
    c.data_dir = argv[1];
    c.server_cert = argv[2];
    c.server_key = argv[3];
    c.api_key = argv[4];
    c.server_host = "127.0.0.1";
    c.gui_port = 0;
    c.agent_port = 0;
    c.redirect_port = 0;
    c.agent_rate_limit = 1'000'000;
    const std::string ports_file = argv[5];
    sentinel::server::ServerApp app(c);
    if (auto st = app.start(); !st) {
        std::fprintf(stderr, "%s\n", st.message().c_str());
        return 1;
    }
    sentinel::server::RunOptions o;
    o.print_banner = false;
    o.on_ready = [&](uint16_t gui, uint16_t agent, uint16_t) {
        const std::string tmp = ports_file + ".tmp";
        std::ofstream(tmp) << gui << " " << agent << "\n";
        std::rename(tmp.c_str(), ports_file.c_str());
    };
    app.run(o);
    return 0;
}
