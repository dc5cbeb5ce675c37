#pragma once

#include <cstdint>
#include <string_view>

namespace sentinel::transport {

// CRC-32 (IEEE 802.3, the zlib/PNG polynomial). Pass a previous result as `crc` to continue it.
uint32_t crc32(std::string_view data, uint32_t crc = 0);

}  // namespace sentinel::transport
