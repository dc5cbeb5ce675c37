#pragma once

#include "common/status.h"

namespace sentinel::capture {

// The text shown when the Windows agent cannot load Npcap.
inline constexpr const char* kNpcapRequired =
    "Npcap is required for live capture: install it from https://npcap.com with \"WinPcap "
    "API-compatible mode\"";

// Whether live capture can work here: always on Linux (libpcap is linked); on Windows only when
// Npcap's wpcap.dll loads (from %SystemRoot%\System32\Npcap, then the default DLL search). The
// error is kNpcapRequired. Capture files never need it.
Status live_capture_available();

}  // namespace sentinel::capture
