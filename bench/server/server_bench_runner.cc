// Benchmark-only: runs the server on fixed loopback ports with a config built from arguments.
// usage: server_bench_runner DATA_DIR CERT KEY API_KEY GUI_PORT AGENT_PORT [POSTGRES_DSN]
// MAX_CONNECTIONS and MAX_CONNECTIONS_PER_IP in the environment set those config keys.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "server/app.h"

int main(int argc, char** argv) {
    if (argc != 7 && argc != 8) {
        std::fprintf(stderr,
                     "usage: server_bench_runner DATA_DIR CERT KEY API_KEY GUI_PORT AGENT_PORT "
                     "[POSTGRES_DSN]\n");
        return 2;
    }
    sentinel::config::Config c;
    c.data_dir = argv[1];
    c.server_cert = argv[2];
    c.server_key = argv[3];
    c.api_key = argv[4];
    c.server_host = "127.0.0.1";
    c.gui_port = static_cast<uint16_t>(std::atoi(argv[5]));
    c.agent_port = static_cast<uint16_t>(std::atoi(argv[6]));
    c.redirect_port = 0;
    c.agent_rate_limit = 1'000'000'000;
    if (const char* v = std::getenv("MAX_CONNECTIONS"))
        c.max_connections = static_cast<uint32_t>(std::atol(v));
    if (const char* v = std::getenv("MAX_CONNECTIONS_PER_IP"))
        c.max_connections_per_ip = static_cast<uint32_t>(std::atol(v));
    if (argc == 8) {
        c.storage.backend = "postgres";
        c.storage.dsn = argv[7];
    }
    sentinel::server::ServerApp app(c);
    if (auto st = app.start(); !st) {
        std::fprintf(stderr, "%s\n", st.message().c_str());
        return 1;
    }
    sentinel::server::RunOptions o;
    app.run(o);
    return 0;
}
