#include "outputs/output.h"

#include <algorithm>

#include "common/log.h"

namespace sentinel::outputs {

using Clock = std::chrono::steady_clock;

Output::Output(std::unique_ptr<Sink> sink, WorkerOptions options)
    : sink_(std::move(sink)), options_(options), name_(sink_->name()) {
    options_.queue_max = std::max<size_t>(options_.queue_max, 1);
    options_.batch_max = std::max<size_t>(options_.batch_max, 1);
}

Output::~Output() { stop(0); }

void Output::start() {
    std::lock_guard lock(mu_);
    if (!thread_.joinable() && !stopping_) {
        thread_ = std::thread([this] { run(); });
    }
}

void Output::submit(const std::vector<schema::Alert>& alerts) {
    if (alerts.empty()) {
        return;
    }
    uint64_t dropped_now = 0;
    bool log_drop = false;
    {
        std::lock_guard lock(mu_);
        if (stopping_) {
            dropped_ += alerts.size();
            return;
        }
        for (const auto& a : alerts) {
            if (queue_.size() >= options_.queue_max) {
                queue_.pop_front();
                ++dropped_;
                ++dropped_now;
            }
            queue_.push_back(a);
        }
        if (dropped_now > 0 && !drop_logged_) {
            drop_logged_ = true;
            log_drop = true;
        }
    }
    cv_.notify_one();
    if (log_drop) {
        SENTINEL_LOG(warn, "outputs",
                     "{} output: queue full ({} alerts); dropping the oldest until {} is reachable",
                     name_, options_.queue_max, sink_->target());
    }
}

bool Output::wait_backoff(double seconds) {
    std::unique_lock lock(mu_);
    auto until = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(seconds));
    if (stopping_) {
        until = std::min(until, drain_deadline_);
    }
    cv_.wait_until(lock, until, [&] { return stopping_ && Clock::now() >= drain_deadline_; });
    return !(stopping_ && Clock::now() >= drain_deadline_);
}

void Output::run() {
    std::vector<schema::Alert> batch;
    std::vector<std::string> records;
    double backoff = options_.backoff_initial_s;
    uint32_t rejected_attempts = 0;
    bool up = true;  // until a delivery fails, the receiver is presumed reachable
    std::string last_error;
    uint64_t outage_dropped_base = 0;

    for (;;) {
        if (batch.empty()) {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [&] { return !queue_.empty() || stopping_; });
            if (queue_.empty() || (stopping_ && Clock::now() >= drain_deadline_)) {
                break;  // stopping with nothing left, or out of drain time
            }
            const size_t n = std::min(queue_.size(), options_.batch_max);
            batch.assign(std::make_move_iterator(queue_.begin()),
                         std::make_move_iterator(queue_.begin() + static_cast<long>(n)));
            queue_.erase(queue_.begin(), queue_.begin() + static_cast<long>(n));
            in_flight_ = n;
            records.clear();
            records.reserve(n);
            lock.unlock();
            for (const auto& a : batch) {
                records.push_back(sink_->format(a));
            }
            rejected_attempts = 0;
        }

        auto error = sink_->deliver(records);
        if (!error) {
            uint64_t dropped_total = 0;
            {
                std::lock_guard lock(mu_);
                sent_ += batch.size();
                in_flight_ = 0;
                connected_ = true;
                drop_logged_ = false;
                dropped_total = dropped_;
            }
            if (!up) {
                SENTINEL_LOG(info, "outputs",
                             "{} output: {} accepts alerts again ({} dropped meanwhile)", name_,
                             sink_->target(), dropped_total - outage_dropped_base);
                up = true;
            }
            batch.clear();
            backoff = options_.backoff_initial_s;
            continue;
        }

        bool give_up = false;
        {
            std::lock_guard lock(mu_);
            ++retries_;
            connected_ = false;
            if (error->kind == Failure::kRejected &&
                ++rejected_attempts > options_.max_rejected_retries) {
                dropped_ += batch.size();
                in_flight_ = 0;
                give_up = true;
            }
            if (up) {
                outage_dropped_base = dropped_ - (give_up ? batch.size() : 0);
            }
        }
        if (give_up) {
            SENTINEL_LOG(warn, "outputs", "{} output: {} refused {} alerts ({}); dropped them",
                         name_, sink_->target(), batch.size(), error->message);
            batch.clear();
        }
        if (up && error->kind == Failure::kRejected) {
            SENTINEL_LOG(warn, "outputs", "{} output: {} refuses alerts ({}); retrying", name_,
                         sink_->target(), error->message);
            up = false;
        } else if (up) {
            SENTINEL_LOG(warn, "outputs",
                         "{} output: {} is unreachable ({}); buffering up to {} alerts and "
                         "retrying",
                         name_, sink_->target(), error->message, options_.queue_max);
            up = false;
        } else if (error->message != last_error) {
            SENTINEL_LOG(debug, "outputs", "{} output: {}", name_, error->message);
        }
        last_error = error->message;
        if (!wait_backoff(backoff)) {
            break;
        }
        backoff = std::min(backoff * 2, options_.backoff_max_s);
    }

    sink_->close();
    std::lock_guard lock(mu_);
    dropped_ += queue_.size() + (batch.empty() ? 0 : batch.size());
    queue_.clear();
    in_flight_ = 0;
    connected_ = false;
}

void Output::stop(double drain_s) {
    {
        std::lock_guard lock(mu_);
        if (!stopping_) {
            stopping_ = true;
            drain_deadline_ = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                                 std::chrono::duration<double>(drain_s));
        }
    }
    cv_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
}

OutputStats Output::stats() const {
    std::lock_guard lock(mu_);
    OutputStats s;
    s.name = name_;
    s.sent = sent_;
    s.dropped = dropped_;
    s.retries = retries_;
    s.queue_depth = queue_.size() + in_flight_;
    s.connected = connected_;
    return s;
}

}  // namespace sentinel::outputs
