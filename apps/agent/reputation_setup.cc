#include "agent/reputation_setup.h"

#include <filesystem>
#include <utility>

#include <fmt/format.h>

#include "transport/identity.h"

#ifndef SENTINEL_VERSION
#define SENTINEL_VERSION "0.0.0"
#endif

namespace sentinel::agent {

namespace {

std::string feeds_text(const virustotal::ReputationStats& stats) {
    return stats.feed_reloads == 0 ? "no feeds"
                                   : fmt::format("feeds with {} {}", stats.feed_entries,
                                                 stats.feed_entries == 1 ? "entry" : "entries");
}

}  // namespace

Result<std::unique_ptr<virustotal::ReputationService>> make_agent_reputation(
    const config::Config& config, const std::string& state_dir) {
    virustotal::ServiceOptions service_options;
    if (!config.virustotal_ca_file.empty()) {
        service_options.ca_file = config::resolve_path(config, config.virustotal_ca_file);
    }
    return virustotal::make_reputation(config, state_dir, service_options);
}

Result<std::string> prepare_reputation(virustotal::ReputationService& service,
                                       const OfflineOptions* file_pass, double wait_seconds,
                                       std::FILE* diagnostics) {
    if (Status s = service.prepare(); !s.is_ok()) {
        return s;
    }
    const virustotal::ReputationStats before = service.stats();
    std::string text = feeds_text(before);
    if (!before.lookups_enabled) {
        return text + "; VirusTotal off (no API key)";
    }
    text += fmt::format("; VirusTotal: {} cached answers loaded", before.cache_size);
    if (file_pass == nullptr) {
        return text;
    }
    auto wanted = collect_lookups(*file_pass);
    if (!wanted) {
        return wanted.status();
    }
    if (diagnostics != nullptr && !wanted->empty()) {
        std::fprintf(diagnostics,
                     "reputation: resolving %zu endpoints of the capture before judging it (up to "
                     "%.0f s; --lookup-wait to change, --no-reputation to skip)\n",
                     wanted->size(), wait_seconds);
    }
    const virustotal::ResolveReport r = service.resolve(*wanted, wait_seconds);
    text += fmt::format("; the capture's {} endpoints: {} from the cache, {} looked up", r.wanted,
                        r.cached, r.looked_up);
    if (r.unresolved > 0) {
        text += fmt::format(", {} unresolved ({}) and judged CLEAN", r.unresolved,
                            r.why_unresolved.empty() ? "no answer" : r.why_unresolved);
    }
    return text;
}

Result<OfflineKnowledge> load_offline_knowledge(const config::Config& config,
                                                const std::string& state_dir,
                                                const OfflineOptions& options, bool with_reputation,
                                                bool with_suppression, double wait_seconds,
                                                std::FILE* diagnostics) {
    OfflineKnowledge k;
    std::error_code ec;
    const bool has_state = !state_dir.empty() && std::filesystem::is_directory(state_dir, ec);
    if (has_state && std::filesystem::exists(std::filesystem::path(state_dir) / "agent.json", ec)) {
        if (auto identity = transport::load_or_create_identity(state_dir, SENTINEL_VERSION)) {
            k.agent_id = identity->agent_id;
        }
    }
    if (with_suppression && has_state) {
        k.suppression = std::make_unique<transport::SuppressionFilter>(
            (std::filesystem::path(state_dir) / "spool" / "suppressions.json").string());
        if (Status s = k.suppression->load(); !s.is_ok() && diagnostics != nullptr) {
            std::fprintf(diagnostics, "suppression rules: %s\n", s.message().c_str());
        }
    }
    if (!with_reputation) {
        k.reputation_text = "off (--no-reputation)";
        return k;
    }
    auto service = make_agent_reputation(config, state_dir);
    if (!service) {
        return Error{service.error() + " (--state-dir to choose another, --no-reputation to skip)"};
    }
    auto text = prepare_reputation(**service, &options, wait_seconds, diagnostics);
    if (!text) {
        return text.status();
    }
    // Every endpoint the detection pass can ask about was resolved above.
    (*service)->freeze();
    k.reputation = std::move(service.value());
    k.reputation_text = std::move(text.value());
    return k;
}

OfflineContext offline_context(OfflineKnowledge& knowledge) {
    OfflineContext context;
    context.reputation = knowledge.reputation.get();
    context.reputation_text = knowledge.reputation_text;
    if (knowledge.suppression != nullptr) {
        transport::SuppressionFilter* filter = knowledge.suppression.get();
        context.suppress = [filter](const schema::Alert& alert) {
            return filter->apply(alert, wall_now());
        };
    }
    return context;
}

}  // namespace sentinel::agent
