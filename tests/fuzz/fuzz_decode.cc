// libFuzzer entry point for the packet path (decode, then detectors once they exist).
#include <cstddef>
#include <cstdint>

#include "fuzz_pipeline.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    sentinel::fuzz::run_one_input(data, size);
    return 0;
}
