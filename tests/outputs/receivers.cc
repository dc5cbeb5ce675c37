#include "outputs/receivers.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <fstream>

namespace sentinel::outputs::testing {

using nlohmann::json;
using sentinel::testing::eventually;
using sentinel::testing::read_lines;

uint16_t free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

bool port_open(uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
}

Status Rsyslog::start(const std::string& dir, bool tls, const std::string& pki, uint16_t port) {
    dir_ = dir;
    port_ = port != 0 ? port : free_port();
    std::ofstream conf(dir + "/rsyslog.conf");
    conf << "global(workDirectory=\"" << dir << "\" net.enableDNS=\"off\"";
    if (tls) {
        conf << " defaultNetstreamDriver=\"ossl\" defaultNetstreamDriverCAFile=\"" << pki
             << "/ca.crt\" defaultNetstreamDriverCertFile=\"" << pki
             << "/server.crt\" defaultNetstreamDriverKeyFile=\"" << pki << "/server.key\"";
    }
    conf << ")\n";
    if (tls) {
        conf << "module(load=\"imtcp\" streamDriver.name=\"ossl\" streamDriver.mode=\"1\" "
                "streamDriver.authMode=\"anon\")\n";
    } else {
        conf << "module(load=\"imtcp\")\n";
    }
    conf << "input(type=\"imtcp\" address=\"127.0.0.1\" port=\"" << port_ << "\")\n"
         << "template(name=\"fields\" type=\"string\" string=\"%protocol-version%|%pri%|"
            "%hostname%|%app-name%|%procid%|%msgid%|%structured-data%|%msg%\\n\")\n"
         << "*.* action(type=\"omfile\" file=\"" << dir
         << "/rfc5424.log\" template=\"RSYSLOG_SyslogProtocol23Format\")\n"
         << "*.* action(type=\"omfile\" file=\"" << dir << "/fields.log\" template=\"fields\")\n";
    conf.close();
    if (auto st = child_.start(
            {"/usr/sbin/rsyslogd", "-n", "-f", dir + "/rsyslog.conf", "-i", dir + "/rsyslogd.pid"});
        !st) {
        return st;
    }
    if (!eventually([&] { return port_open(port_); }, 30)) {
        return Status::error("rsyslogd did not start listening");
    }
    return Status::ok();
}

void Rsyslog::stop() {
    if (child_.running()) {
        child_.kill(SIGTERM);
        child_.wait();
    }
}

Rsyslog::~Rsyslog() { stop(); }

std::vector<std::string> Rsyslog::rfc5424_lines() const {
    return read_lines(dir_ + "/rfc5424.log");
}
std::vector<std::string> Rsyslog::field_lines() const { return read_lines(dir_ + "/fields.log"); }

Status WebhookReceiver::start(const std::string& dir, uint16_t port, const std::string& secret,
                              int status) {
    if (auto st = child_.start({SENTINEL_PYTHON, WEBHOOK_RECEIVER, "--cert", dir + "/server.crt",
                                "--key", dir + "/server.key", "--port", std::to_string(port),
                                "--out", dir + "/webhook.jsonl", "--secret", secret, "--status",
                                std::to_string(status)});
        !st) {
        return st;
    }
    auto line = child_.read_line(30);
    if (!line || line->rfind("port ", 0) != 0) {
        return Status::error("webhook receiver did not start");
    }
    port_ = static_cast<uint16_t>(std::stoi(line->substr(5)));
    out_ = dir + "/webhook.jsonl";
    return Status::ok();
}

void WebhookReceiver::stop() {
    if (child_.running()) {
        child_.kill(SIGTERM);
        child_.wait();
    }
}

WebhookReceiver::~WebhookReceiver() { stop(); }

std::vector<json> WebhookReceiver::requests() const {
    std::vector<json> v;
    for (const auto& l : read_lines(out_)) {
        v.push_back(json::parse(l));
    }
    return v;
}

std::vector<std::string> WebhookReceiver::ids() const {
    std::vector<std::string> v;
    for (const auto& r : requests()) {
        for (const auto& a : r["body"]["alerts"]) {
            v.push_back(a["id"]);
        }
    }
    return v;
}

}  // namespace sentinel::outputs::testing
