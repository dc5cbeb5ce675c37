#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace sentinel::fuzz {

// Input format shared by every packet fuzz target and its corpus: the first byte selects the
// link type (low nibble, modulo the table size; see link_types()) and, with bit 0x80 set, marks
// the frame as cut by the snap length; the remaining bytes are the frame.
std::span<const int> link_types();

// Runs one input through everything that consumes packets: decode, then every detector through
// detect::Engine (low thresholds, tiny tables) and the alert JSON codec. A new packet consumer
// joins here so every fuzz run and corpus replay covers it. Aborts (a crash the fuzzer
// reports) when a decoded Packet breaks an invariant.
void run_one_input(const uint8_t* data, size_t size);

}  // namespace sentinel::fuzz
