#pragma once

#include <memory>
#include <string>

#include "outputs/output.h"

namespace sentinel::outputs {

// Appends EVE JSON lines to a file: one write and one fdatasync per batch. When the file is
// moved or deleted (logrotate without copytruncate), the next batch reopens the path, so no
// signal is needed. Files are created with mode 0640.
std::unique_ptr<Sink> make_eve_file_sink(std::string path);

}  // namespace sentinel::outputs
