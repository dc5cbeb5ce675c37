#include "capture/live_support.h"

namespace sentinel::capture {

Status live_capture_available() { return Status::ok(); }

}  // namespace sentinel::capture
