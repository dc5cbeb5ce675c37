// Test program for the kill -9 test: submits alerts with ids <prefix>00000.. through a real
// Shipper, prints "spooled" once every one of them is in the spool, then "drained" once the
// server acknowledged everything, and stops.
//   ship_alerts <server_url> <ca_cert> <state_dir> <count> <prefix> <batch_max>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "transport/console.h"
#include "transport/identity.h"
#include "transport/shipper.h"

using sentinel::transport::Shipper;
using sentinel::transport::ShipperOptions;

int main(int argc, char** argv) {
    if (argc != 7) {
        std::fprintf(stderr, "usage: ship_alerts url ca state_dir count prefix batch_max\n");
        return 2;
    }
    // stdout carries the protocol ("spooled", "drained"); log lines go to stderr.
    sentinel::transport::configure_logging(sentinel::transport::LogFormat::kText, false);
    auto identity = sentinel::transport::load_or_create_identity(argv[3], "test");
    if (!identity) {
        std::fprintf(stderr, "%s\n", identity.error().c_str());
        return 1;
    }
    ShipperOptions o;
    o.server_url = argv[1];
    o.ca_cert = argv[2];
    o.api_key = "test-key";
    o.state_dir = argv[3];
    o.identity = *identity;
    o.heartbeat_interval = 3600;
    o.batch_max = std::strtoul(argv[6], nullptr, 10);
    o.backoff_initial = 0.02;
    o.backoff_max = 0.2;
    auto shipper = Shipper::create(o);
    if (!shipper) {
        std::fprintf(stderr, "%s\n", shipper.error().c_str());
        return 1;
    }
    const int count = std::atoi(argv[4]);
    const std::string prefix = argv[5];
    if (!(*shipper)->start()) {
        return 1;
    }
    for (int i = 0; i < count; ++i) {
        sentinel::schema::Alert a;
        char id[32];
        std::snprintf(id, sizeof(id), "%s%05d", prefix.c_str(), i);
        a.id = id;
        a.level = sentinel::schema::Severity::kLow;
        a.category = "TEST";
        a.message = "crash test alert " + std::to_string(i);
        a.src = "127.0.0.1";
        (*shipper)->submit(a);
    }
    const auto wait_for = [&](auto done) {
        while (!done((*shipper)->counters())) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    };
    wait_for([&](const auto& c) {
        return c.spool_depth + c.delivered + c.rejected + c.dropped >= static_cast<uint64_t>(count);
    });
    std::printf("spooled\n");
    std::fflush(stdout);
    wait_for([](const auto& c) { return c.spool_depth == 0; });
    (*shipper)->stop(5);
    std::printf("drained %llu\n",
                static_cast<unsigned long long>((*shipper)->counters().delivered));
    std::fflush(stdout);
    return 0;
}
