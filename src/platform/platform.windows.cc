#include "platform/platform.h"

// clang-format off
#include <winsock2.h>
#include <windows.h>
// psapi.h after windows.h; with PSAPI_VERSION 2 the call is kernel32's K32GetProcessMemoryInfo.
#include <psapi.h>
// clang-format on
#include <fcntl.h>
#include <io.h>
#include <share.h>
#include <sys/stat.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace sentinel::platform {

namespace {

std::string last_error_text() {
    const DWORD code = ::GetLastError();
    char* text = nullptr;
    const DWORD n = ::FormatMessageA(
        FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
        nullptr, code, 0, reinterpret_cast<LPSTR>(&text), 0, nullptr);
    std::string out =
        n > 0 && text != nullptr ? std::string(text, n) : "error " + std::to_string(code);
    if (text != nullptr) {
        ::LocalFree(text);
    }
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == '.')) {
        out.pop_back();
    }
    return out;
}

std::atomic<int> g_stop_signal{0};
HANDLE g_stop_event = nullptr;

void record_stop(int sig) {
    int expected = 0;
    g_stop_signal.compare_exchange_strong(expected, sig);
    if (g_stop_event != nullptr) {
        ::SetEvent(g_stop_event);
    }
}

BOOL WINAPI on_console_event(DWORD type) {
    switch (type) {
        case CTRL_C_EVENT:
        case CTRL_BREAK_EVENT:
            record_stop(SIGINT);
            return TRUE;
        case CTRL_CLOSE_EVENT:
        case CTRL_LOGOFF_EVENT:
        case CTRL_SHUTDOWN_EVENT:
            record_stop(SIGTERM);
            return TRUE;
        default:
            return FALSE;
    }
}

extern "C" void on_signal(int sig) { record_stop(sig); }

using RtlGetVersionFn = LONG(WINAPI*)(OSVERSIONINFOW*);

}  // namespace

std::string hostname() {
    char buf[256] = {};
    DWORD size = sizeof(buf);
    if (!::GetComputerNameExA(ComputerNameDnsHostname, buf, &size) || buf[0] == '\0') {
        return "unknown";
    }
    return buf;
}

uint64_t peak_resident_bytes() {
    PROCESS_MEMORY_COUNTERS counters{};
    if (!::K32GetProcessMemoryInfo(::GetCurrentProcess(), &counters, sizeof(counters))) {
        return 0;
    }
    return static_cast<uint64_t>(counters.PeakWorkingSetSize);
}

uint64_t resident_bytes() {
    PROCESS_MEMORY_COUNTERS counters{};
    if (!::K32GetProcessMemoryInfo(::GetCurrentProcess(), &counters, sizeof(counters))) {
        return 0;
    }
    return static_cast<uint64_t>(counters.WorkingSetSize);
}

void return_large_blocks_to_os() {
    // Nothing to do: the Windows heap gives very large blocks their own virtual allocations and
    // releases them when freed.
}

std::string os_description() {
    // GetVersionEx lies to unmanifested programs; ntdll's RtlGetVersion does not.
    OSVERSIONINFOW info{};
    info.dwOSVersionInfoSize = sizeof(info);
    if (HMODULE ntdll = ::GetModuleHandleW(L"ntdll.dll")) {
        auto fn = reinterpret_cast<RtlGetVersionFn>(
            reinterpret_cast<void*>(::GetProcAddress(ntdll, "RtlGetVersion")));
        if (fn != nullptr && fn(&info) == 0) {
            return "Windows " + std::to_string(info.dwMajorVersion) + "." +
                   std::to_string(info.dwMinorVersion) + "." + std::to_string(info.dwBuildNumber);
        }
    }
    return "Windows";
}

Status create_directories(const std::string& path, unsigned /*mode: ACLs are inherited*/) {
    if (path.empty()) {
        return Status::error("empty directory path");
    }
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    if (ec) {
        return Status::error("cannot create directory " + path + ": " + ec.message());
    }
    if (!std::filesystem::is_directory(path, ec)) {
        return Status::error(path + " exists and is not a directory");
    }
    return Status::ok();
}

Status write_file_atomic(const std::string& path, std::string_view content, unsigned /*mode*/,
                         bool durable) {
    const std::string tmp = path + ".tmp";
    HANDLE h = ::CreateFileA(tmp.c_str(), GENERIC_WRITE, 0, nullptr, CREATE_ALWAYS,
                             FILE_ATTRIBUTE_NORMAL, nullptr);
    if (h == INVALID_HANDLE_VALUE) {
        return Status::error("cannot write " + tmp + ": " + last_error_text());
    }
    bool ok = true;
    std::string_view left = content;
    while (ok && !left.empty()) {
        DWORD written = 0;
        const DWORD chunk = static_cast<DWORD>(std::min<size_t>(left.size(), 1u << 30));
        ok = ::WriteFile(h, left.data(), chunk, &written, nullptr) != 0;
        left.remove_prefix(written);
    }
    if (ok && durable) {
        ok = ::FlushFileBuffers(h) != 0;
    }
    const std::string error = ok ? std::string() : last_error_text();
    ::CloseHandle(h);
    if (!ok) {
        ::DeleteFileA(tmp.c_str());
        return Status::error("cannot write " + tmp + ": " + error);
    }
    const DWORD flags = MOVEFILE_REPLACE_EXISTING | (durable ? MOVEFILE_WRITE_THROUGH : 0);
    if (!::MoveFileExA(tmp.c_str(), path.c_str(), flags)) {
        const std::string err = last_error_text();
        ::DeleteFileA(tmp.c_str());
        return Status::error("cannot replace " + path + ": " + err);
    }
    return Status::ok();
}

Result<std::string> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return Error{"cannot read " + path + ": " + std::strerror(errno)};
    }
    std::ostringstream out;
    out << in.rdbuf();
    if (in.bad()) {
        return Error{"cannot read " + path};
    }
    return out.str();
}

Result<std::FILE*> open_for_append(const std::string& path, unsigned /*mode*/) {
    std::FILE* file = std::fopen(path.c_str(), "ab");
    if (file == nullptr) {
        return Error{"cannot open " + path + ": " + std::strerror(errno)};
    }
    return file;
}

Status sync_file(std::FILE* file) {
    if (std::fflush(file) != 0) {
        return Status::error(std::strerror(errno));
    }
    return ::_commit(::_fileno(file)) == 0 ? Status::ok() : Status::error(std::strerror(errno));
}

Status sync_directory(const std::string& /*path*/) {
    return Status::ok();  // NTFS journals directory entries; MoveFileEx write-through covers
                          // renames
}

Result<unsigned> file_mode(const std::string& path) {
    struct _stat64 st {};
    if (::_stat64(path.c_str(), &st) != 0) {
        return Error{path + ": " + std::strerror(errno)};
    }
    return static_cast<unsigned>(st.st_mode & 0777);
}

FileLock::FileLock(FileLock&& other) noexcept : handle_(other.handle_) { other.handle_ = -1; }

FileLock& FileLock::operator=(FileLock&& other) noexcept {
    if (this != &other) {
        if (handle_ >= 0) {
            ::_close(handle_);
        }
        handle_ = other.handle_;
        other.handle_ = -1;
    }
    return *this;
}

FileLock::~FileLock() {
    if (handle_ >= 0) {
        ::_close(handle_);
    }
}

Result<FileLock> lock_file(const std::string& path) {
    // A share-deny open is the lock: Windows refuses a second open until this handle closes,
    // and closes it when the process dies.
    int fd = -1;
    if (::_sopen_s(&fd, path.c_str(), _O_RDWR | _O_CREAT | _O_BINARY, _SH_DENYRW,
                   _S_IREAD | _S_IWRITE) != 0) {
        if (errno == EACCES) {
            return Error{path + " is locked by another running process"};
        }
        return Error{"cannot lock " + path + ": " + std::strerror(errno)};
    }
    return FileLock(fd);
}

bool is_terminal(std::FILE* stream) {
    return stream != nullptr && ::_isatty(::_fileno(stream)) != 0;
}

Status redirect_output(const std::string& path) {
    int fd = -1;
    if (::_sopen_s(&fd, path.c_str(), _O_WRONLY | _O_CREAT | _O_APPEND | _O_BINARY, _SH_DENYNO,
                   _S_IREAD | _S_IWRITE) != 0) {
        return Status::error("cannot open " + path + ": " + std::strerror(errno));
    }
    std::fflush(stdout);
    std::fflush(stderr);
    const bool ok = ::_dup2(fd, 1) == 0 && ::_dup2(fd, 2) == 0;
    const int err = errno;
    ::_close(fd);
    if (!ok) {
        return Status::error("cannot redirect output to " + path + ": " + std::strerror(err));
    }
#ifndef _UCRT
    // A service starts without standard handles, so msvcrt gives stdout and stderr no descriptor
    // at all (-2): writes to them fail and freopen() refuses them. Descriptors 1 and 2 now exist;
    // attach the streams to them.
    stdout->_file = 1;
    stderr->_file = 2;
#else
    // The UCRT reopens a stream that has no descriptor.
    std::freopen(path.c_str(), "ab", stdout);
    std::freopen(path.c_str(), "ab", stderr);
#endif
    // Code that writes to the OS handles directly (the log's console sink) follows as well.
    ::SetStdHandle(STD_OUTPUT_HANDLE, reinterpret_cast<HANDLE>(::_get_osfhandle(1)));
    ::SetStdHandle(STD_ERROR_HANDLE, reinterpret_cast<HANDLE>(::_get_osfhandle(2)));
    std::setvbuf(stdout, nullptr, _IONBF, 0);
    std::setvbuf(stderr, nullptr, _IONBF, 0);
    return Status::ok();
}

Result<bool> cap_redirected_output(const std::string& path, uint64_t max_bytes) {
    const __int64 size = ::_filelengthi64(1);
    if (size < 0) {
        return Error{"cannot check the size of " + path + ": " + std::strerror(errno)};
    }
    if (static_cast<uint64_t>(size) <= max_bytes) {
        return false;
    }
    // The open log cannot be renamed (it is not shared for deletion): copy, then truncate.
    if (!::CopyFileA(path.c_str(), (path + ".1").c_str(), FALSE)) {
        return Error{"cannot keep " + path + " as " + path + ".1: " + last_error_text()};
    }
    if (::_chsize_s(1, 0) != 0) {
        return Error{"cannot empty " + path + ": " + std::strerror(errno)};
    }
    return true;
}

Status install_stop_handlers() {
    if (g_stop_event == nullptr) {
        g_stop_event = ::CreateEventW(nullptr, TRUE, FALSE, nullptr);
        if (g_stop_event == nullptr) {
            return Status::error("cannot create an event: " + last_error_text());
        }
    }
    if (!::SetConsoleCtrlHandler(on_console_event, TRUE)) {
        return Status::error("cannot install a console handler: " + last_error_text());
    }
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    return Status::ok();
}

bool stop_requested() { return g_stop_signal.load() != 0; }

int stop_signal() { return g_stop_signal.load(); }

bool wait_for_stop(double seconds) {
    if (stop_requested()) {
        return true;
    }
    const DWORD ms = static_cast<DWORD>(std::ceil(std::max(0.0, seconds) * 1000));
    if (g_stop_event != nullptr) {
        ::WaitForSingleObject(g_stop_event, ms);
    } else {
        ::Sleep(std::min<DWORD>(ms, 1000));
    }
    return stop_requested();
}

void request_stop(int sig) { record_stop(sig); }

void reset_stop_request() {
    g_stop_signal.store(0);
    if (g_stop_event != nullptr) {
        ::ResetEvent(g_stop_event);
    }
}

}  // namespace sentinel::platform
