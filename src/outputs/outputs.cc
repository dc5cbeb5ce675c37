#include "outputs/outputs.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include "libcurl/library.h"
#include "outputs/eve_file.h"
#include "outputs/syslog.h"
#include "outputs/webhook.h"

namespace sentinel::outputs {

Result<std::unique_ptr<Outputs>> Outputs::create(const config::Config& config, WorkerOptions base) {
    const config::OutputsConfig& o = config.outputs;
    base.queue_max = o.output_queue_max;
    std::vector<std::unique_ptr<Output>> list;
    std::vector<std::string> described;

    if (!o.eve_log_path.empty()) {
        const std::string path = config::resolve_path(config, o.eve_log_path);
        const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
        if (fd < 0) {
            return Error{
                fmt::format("eve_log_path: cannot open {}: {}", path, std::strerror(errno))};
        }
        ::close(fd);
        list.push_back(std::make_unique<Output>(make_eve_file_sink(path), base));
        described.push_back("eve → " + path);
    }

    if (!o.syslog_host.empty()) {
        SyslogOptions so;
        so.host = o.syslog_host;
        so.tls = o.syslog_transport == "tls";
        so.port = o.syslog_port != 0 ? o.syslog_port : (so.tls ? 6514 : 514);
        so.facility = syslog_facility(o.syslog_facility);
        if (so.facility < 0) {
            return Error{
                fmt::format("syslog_facility: unknown facility \"{}\"", o.syslog_facility)};
        }
        so.app_name = o.syslog_app_name;
        if (so.tls) {
            if (o.syslog_ca_file.empty()) {
                return Error{"syslog_ca_file: required when syslog_transport is \"tls\""};
            }
            so.ca_file = config::resolve_path(config, o.syslog_ca_file);
            if (Status s = check_ca_file(so.ca_file); !s) {
                return Error{"syslog_ca_file: " + s.message()};
            }
        }
        auto sink = make_syslog_sink(so);
        described.push_back("syslog → " + sink->target());
        list.push_back(std::make_unique<Output>(std::move(sink), base));
    }

    if (!o.webhook_url.empty()) {
        if (o.webhook_url.rfind("https://", 0) != 0) {
            return Error{"webhook_url: must start with https://"};
        }
        WebhookOptions wo;
        wo.url = o.webhook_url;
        if (!o.webhook_ca_file.empty()) {
            wo.ca_file = config::resolve_path(config, o.webhook_ca_file);
            if (Status s = check_ca_file(wo.ca_file); !s) {
                return Error{"webhook_ca_file: " + s.message()};
            }
        }
        wo.secret = o.webhook_secret;
        // libcurl is opened on first use; a host without it should hear so at start, not at
        // each batch.
        if (auto curl = libcurl::library(); !curl) {
            return Error{"webhook_url: cannot load libcurl: " + curl.error()};
        }
        WorkerOptions wb = base;
        wb.batch_max = std::min<size_t>(wb.batch_max, 50);  // keep requests small
        wb.max_rejected_retries = o.webhook_max_retries;
        auto sink = make_webhook_sink(wo);
        described.push_back(
            fmt::format("webhook → {} (signed: {})", sink->target(),
                        wo.secret.empty() ? "no" : "yes, key from the " + o.webhook_secret_source));
        list.push_back(std::make_unique<Output>(std::move(sink), wb));
    }

    auto out = std::make_unique<Outputs>(std::move(list));
    out->described_ = std::move(described);
    return out;
}

Outputs::Outputs(std::vector<std::unique_ptr<Output>> outputs) : outputs_(std::move(outputs)) {}

Outputs::~Outputs() { stop(0); }

void Outputs::start() {
    for (auto& o : outputs_) {
        o->start();
    }
}

void Outputs::submit(const std::vector<schema::Alert>& alerts) {
    for (auto& o : outputs_) {
        o->submit(alerts);
    }
}

void Outputs::stop(double drain_s) {
    // Each worker drains in parallel with the others: signal all first, then wait.
    std::vector<std::thread> stoppers;
    for (auto& o : outputs_) {
        stoppers.emplace_back([&o, drain_s] { o->stop(drain_s); });
    }
    for (auto& t : stoppers) {
        t.join();
    }
}

std::vector<OutputStats> Outputs::stats() const {
    std::vector<OutputStats> s;
    s.reserve(outputs_.size());
    for (const auto& o : outputs_) {
        s.push_back(o->stats());
    }
    return s;
}

std::vector<std::string> Outputs::describe() const { return described_; }

}  // namespace sentinel::outputs
