#pragma once

#include <cstdio>
#include <string>
#include <string_view>

#include "common/status.h"

// Operating-system services as free functions. One implementation file per platform family
// (platform.posix.cc now, platform.windows.cc later), chosen by CMake, never by #ifdef in callers.
namespace sentinel::platform {

// The host name as the OS reports it ("unknown" if it cannot be read).
std::string hostname();

// A short OS description: "Linux <kernel release>" on Linux, "macOS <product version>" on macOS,
// "<sysname> <release>" elsewhere.
std::string os_description();

// Creates `path` and any missing parents. New directories get `mode` (owner-only by default);
// an existing directory is accepted as it is. The error names the path and the reason.
Status create_directories(const std::string& path, unsigned mode = 0700);

// Replaces `path` with `content` so that a reader (or a crash) sees either the old or the new file,
// never a mix: write a temporary file with `mode`, flush it to disk when `durable`, rename it over
// `path`, then flush the directory entry when `durable`.
Status write_file_atomic(const std::string& path, std::string_view content, unsigned mode = 0600,
                         bool durable = true);

// Reads a whole file; an error when it is missing or unreadable.
Result<std::string> read_file(const std::string& path);

// Opens `path` for appending, creating it with exactly `mode` when missing.
Result<std::FILE*> open_for_append(const std::string& path, unsigned mode = 0600);

// Flushes the data written so far through `file` to the storage device (fflush + fdatasync).
Status sync_file(std::FILE* file);

// Flushes the directory entries of `path` (new, renamed or removed files) to the storage device.
Status sync_directory(const std::string& path);

// The permission bits of `path` (for example 0600), or an error when it does not exist.
Result<unsigned> file_mode(const std::string& path);

// An exclusive advisory lock on a file, held while the object lives; the OS releases it when the
// process dies, so a crash never leaves a stale lock behind.
class FileLock {
  public:
    FileLock() = default;
    FileLock(FileLock&& other) noexcept;
    FileLock& operator=(FileLock&& other) noexcept;
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;
    ~FileLock();

    bool held() const { return handle_ >= 0; }

  private:
    friend Result<FileLock> lock_file(const std::string& path);
    explicit FileLock(int handle) : handle_(handle) {}
    int handle_ = -1;
};

// Takes the exclusive lock on `path` (created with mode 0600 if missing) without waiting; an error
// when another process holds it.
Result<FileLock> lock_file(const std::string& path);

// True when the stream is an interactive terminal (colours are only used then).
bool is_terminal(std::FILE* stream);

// Installs handlers for the stop signals (SIGINT, SIGTERM; Ctrl-C / console close on Windows) that
// only record the request, and ignores SIGPIPE. Call once from the main thread before starting
// other threads.
Status install_stop_handlers();

// True once a stop signal arrived (async-signal-safe flag).
bool stop_requested();

// The number of the first stop signal received, or 0.
int stop_signal();

// Sleeps until a stop signal arrives or `seconds` elapse; returns stop_requested().
bool wait_for_stop(double seconds);

// Test hook: forget a previous stop request.
void reset_stop_request();

}  // namespace sentinel::platform
