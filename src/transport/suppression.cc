#include "transport/suppression.h"
#include "common/json_input.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "platform/platform.h"

namespace sentinel::transport {

SuppressionFilter::SuppressionFilter(std::string file)
    : file_(std::move(file)), rules_(std::make_shared<const suppress::RuleSet>()) {}

Status SuppressionFilter::load() {
    if (file_.empty()) {
        return Status::ok();
    }
    std::error_code ec;
    if (!std::filesystem::exists(file_, ec)) {
        return Status::ok();
    }
    auto text = platform::read_file(file_);
    if (!text) {
        return Status::error("cannot read the kept suppression rules: " + text.error());
    }
    const auto j = json_input::parse(*text);
    auto set = j ? suppress::rule_set_from_json(*j) : Result<suppress::RuleSet>(Error{j.error()});
    if (!set) {
        std::filesystem::rename(file_, file_ + ".bad", ec);
        return Status::error("kept suppression rules in " + file_ + " are damaged (" + set.error() +
                             "); moved aside, waiting for the server's rules");
    }
    auto shared = std::make_shared<const suppress::RuleSet>(std::move(set).value());
    std::lock_guard lock(mu_);
    rules_ = std::move(shared);
    has_version_ = true;
    return Status::ok();
}

Status SuppressionFilter::replace(suppress::RuleSet set) {
    const std::string text = file_.empty() ? std::string() : suppress::to_agent_json(set).dump();
    auto shared = std::make_shared<const suppress::RuleSet>(std::move(set));
    {
        std::lock_guard lock(mu_);
        rules_ = std::move(shared);
        has_version_ = true;
    }
    if (file_.empty()) {
        return Status::ok();
    }
    // Not durable: losing the newest rules in a power cut only means fetching them again.
    return platform::write_file_atomic(file_, text, 0600, false);
}

std::shared_ptr<const suppress::RuleSet> SuppressionFilter::rules() const {
    std::lock_guard lock(mu_);
    return rules_;
}

std::optional<int64_t> SuppressionFilter::version() const {
    std::lock_guard lock(mu_);
    return has_version_ ? std::optional<int64_t>(rules_->version) : std::nullopt;
}

std::optional<int64_t> SuppressionFilter::apply(const schema::Alert& alert, Timestamp now) {
    const auto set = rules();
    const suppress::Rule* rule = set->first_match(alert, now);
    if (rule == nullptr) {
        return std::nullopt;
    }
    {
        std::lock_guard lock(mu_);
        ++counts_[rule->id];
    }
    total_.fetch_add(1, std::memory_order_relaxed);
    return rule->id;
}

std::map<int64_t, uint64_t> SuppressionFilter::counts() const {
    std::lock_guard lock(mu_);
    return counts_;
}

}  // namespace sentinel::transport
