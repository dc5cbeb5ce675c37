#include "decode/anomaly.h"

namespace sentinel::decode {
namespace {

constexpr std::array<std::string_view, kAnomalyCount> kAnomalyNames = {
#define SENTINEL_ANOMALY_NAME(id, text) text,
    SENTINEL_DECODE_ANOMALIES(SENTINEL_ANOMALY_NAME)
#undef SENTINEL_ANOMALY_NAME
};

}  // namespace

std::string_view anomaly_name(Anomaly a) {
    const auto i = static_cast<size_t>(a);
    return i < kAnomalyCount ? kAnomalyNames[i] : std::string_view("unknown_anomaly");
}

uint64_t AnomalyCounters::total() const {
    uint64_t sum = 0;
    for (uint64_t c : counts_) {
        sum += c;
    }
    return sum;
}

std::string AnomalyCounters::summary() const {
    std::string out;
    for (size_t i = 0; i < kAnomalyCount; ++i) {
        if (counts_[i] == 0) {
            continue;
        }
        if (!out.empty()) {
            out += ' ';
        }
        out += kAnomalyNames[i];
        out += '=';
        out += std::to_string(counts_[i]);
    }
    return out.empty() ? "none" : out;
}

void AnomalyCounters::merge(const AnomalyCounters& other) {
    for (size_t i = 0; i < kAnomalyCount; ++i) {
        counts_[i] += other.counts_[i];
    }
}

}  // namespace sentinel::decode
