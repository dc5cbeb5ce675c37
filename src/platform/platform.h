#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

// Operating-system services as free functions. One implementation file per platform family
// (platform.posix.cc now, platform.windows.cc later), chosen by CMake, never by #ifdef in callers.
namespace sentinel::platform {

// The host name as the OS reports it ("unknown" if it cannot be read).
std::string hostname();

// A short OS description: "Linux <kernel release>" on Linux, "macOS <product version>" on macOS,
// "<sysname> <release>" elsewhere.
std::string os_description();

// The most memory this process has had resident so far, in bytes (0 if the OS cannot tell).
uint64_t peak_resident_bytes();

// The memory this process has resident now, in bytes (0 if the OS cannot tell). A system call or
// a small /proc read: for once-a-heartbeat reports, not for the packet path.
uint64_t resident_bytes();

// Asks the C allocator to map every block of 128 KiB or more on its own and to unmap it when
// freed, instead of raising that limit as big blocks come and go (glibc's default). Tables that
// grow then give the memory they grew out of back at once, rather than leaving holes in the heap
// that stay resident. Call once, first thing in main(); a no-op where it does not apply.
void return_large_blocks_to_os();

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

// Appends everything this process writes to stdout and stderr (C streams and the OS standard
// handles) to `path`, unbuffered, creating it with mode 0600 when missing: a service has no
// console. An error names the path and the reason; the old streams are then left as they were.
Status redirect_output(const std::string& path);

// Keeps the file redirect_output() writes to under `max_bytes`: once it is larger, its content
// moves to `path`.1 (replacing an older one) and it starts again empty (copy and truncate, so
// writers need not reopen it). Returns whether it rotated; an error names the path.
Result<bool> cap_redirected_output(const std::string& path, uint64_t max_bytes);

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

// Records a stop request from inside the program (tray menu, service stop), as if the stop signal
// `sig` had arrived.
void request_stop(int sig);

// ---- Windows agent services (service control manager, Event Log, tray). Elsewhere they do
// nothing (or answer "not supported"), so callers need no #ifdef. ----

// True where the service commands and the tray exist (Windows).
bool has_windows_services();

// The service as registered with the service control manager.
struct ServiceSpec {
    std::string name;          // "NetSentinelAgent"; also the Event Log source
    std::string display_name;  // "NetSentinel Network Monitor Agent"
    std::string description;
    std::string arguments;  // appended to "<this program>" on the service command line
};

// Registers the service (automatic start) and its Event Log source; an error names the reason
// (for example that an administrator must run it).
Status install_service(const ServiceSpec& spec);
// Starts, stops (waiting up to `wait_seconds` for it to stop) or deletes the service.
Status start_service(const std::string& name);
Status stop_service(const std::string& name, double wait_seconds = 30);
Status remove_service(const std::string& name);

// Runs `body` as the service's main function when the service control manager started this
// process; a stop request from it becomes request_stop(SIGTERM). Returns body's exit code, or an
// error when the process was not started as a service.
Result<int> run_as_service(const std::string& name, int (*body)(void*), void* context);

// The folder holding this program ("" when unknown), and the machine-wide application data
// folder (%ProgramData% on Windows, "" elsewhere).
std::string executable_dir();
std::string program_data_dir();

// The notification-area icon of the Windows agent: "Open Dashboard" opens dashboard_url, "Show
// Status" shows status() in a balloon (and prints it), "Stop Agent" calls request_stop(SIGINT).
struct TrayOptions {
    std::string tooltip = "NetSentinel Agent";
    std::string dashboard_url;
    std::string (*status)(void*) = nullptr;
    void* context = nullptr;
};

// Shows the icon from a thread of its own until stop_tray() or a stop request. An error when no
// icon can be shown (no desktop session; always outside Windows): the agent then runs headless.
Status start_tray(const TrayOptions& options);
void stop_tray();

// The icon's menu as built, one line per item ("-" for a separator; " (disabled)" and
// " (default)" marked), so it can be checked without a click; empty outside Windows.
std::vector<std::string> tray_menu_items();

// Carries out a menu item of the shown icon as if it were clicked; an error when no icon is shown.
enum class TrayCommand { kOpenDashboard, kShowStatus, kStopAgent };
Status tray_command(TrayCommand command);

enum class EventType { kError, kWarning, kInformation };
// Writes one entry (event id 1, category 0, `text` as its single insertion string) to the
// Application log under `source`. Failures are ignored; nothing happens outside Windows.
void write_event_log(const std::string& source, EventType type, const std::string& text);

}  // namespace sentinel::platform
