#pragma once

// Logging facade over spdlog. Nothing on the packet path logs per packet: per-packet events are
// counters, and warnings that can repeat are rate limited by the caller.
#include <spdlog/spdlog.h>

#define SENTINEL_LOG(level, component, ...) ::spdlog::level("[" component "] " __VA_ARGS__)
