#include "platform/platform.h"

#include <fcntl.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <poll.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#if defined(__APPLE__)
#include <mach/mach.h>
#include <sys/sysctl.h>
#endif

namespace sentinel::platform {

namespace {

std::string errno_text(int err) { return std::strerror(err); }

Status write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return Status::error(errno_text(errno));
        }
        data.remove_prefix(static_cast<size_t>(n));
    }
    return Status::ok();
}

std::string parent_of(const std::string& path) {
    const auto parent = std::filesystem::path(path).parent_path();
    return parent.empty() ? std::string(".") : parent.string();
}

std::atomic<int> g_stop_signal{0};
int g_wake_pipe[2] = {-1, -1};

extern "C" void on_stop_signal(int sig) {
    int expected = 0;
    g_stop_signal.compare_exchange_strong(expected, sig);
    if (g_wake_pipe[1] >= 0) {
        const int saved = errno;
        const char byte = 1;
        [[maybe_unused]] const ssize_t ignored = ::write(g_wake_pipe[1], &byte, 1);
        errno = saved;
    }
}

}  // namespace

std::string hostname() {
    char buf[256] = {};
    if (::gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0') {
        return "unknown";
    }
    return buf;
}

uint64_t peak_resident_bytes() {
    struct rusage usage {};
    if (::getrusage(RUSAGE_SELF, &usage) != 0) {
        return 0;
    }
#if defined(__APPLE__)
    return static_cast<uint64_t>(usage.ru_maxrss);  // bytes on macOS
#else
    return static_cast<uint64_t>(usage.ru_maxrss) * 1024;  // kilobytes on Linux and the BSDs
#endif
}

uint64_t resident_bytes() {
#if defined(__APPLE__)
    mach_task_basic_info_data_t info{};
    mach_msg_type_number_t count = MACH_TASK_BASIC_INFO_COUNT;
    if (::task_info(mach_task_self(), MACH_TASK_BASIC_INFO, reinterpret_cast<task_info_t>(&info),
                    &count) != KERN_SUCCESS) {
        return 0;
    }
    return static_cast<uint64_t>(info.resident_size);
#else
    // Linux: the second field of /proc/self/statm is the resident set in pages.
    std::ifstream statm("/proc/self/statm");
    uint64_t size_pages = 0;
    uint64_t resident_pages = 0;
    if (!(statm >> size_pages >> resident_pages)) {
        return 0;
    }
    const long page = ::sysconf(_SC_PAGESIZE);
    return resident_pages * static_cast<uint64_t>(page > 0 ? page : 4096);
#endif
}

void return_large_blocks_to_os() {
#if defined(__GLIBC__)
    // Setting the threshold explicitly also turns off glibc's dynamic adjustment of it.
    ::mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
}

std::string os_description() {
    struct utsname u {};
    if (::uname(&u) != 0) {
        return "unknown";
    }
#if defined(__APPLE__)
    // uname reports the Darwin kernel release; the product version is what people recognise.
    char version[64] = {};
    size_t size = sizeof(version) - 1;
    if (::sysctlbyname("kern.osproductversion", version, &size, nullptr, 0) == 0 &&
        version[0] != '\0') {
        return std::string("macOS ") + version;
    }
    return std::string("macOS (Darwin ") + u.release + ")";
#else
    return std::string(u.sysname) + " " + u.release;
#endif
}

Status create_directories(const std::string& path, unsigned mode) {
    if (path.empty()) {
        return Status::error("empty directory path");
    }
    // Each prefix that ends just before a '/' (and the whole path) is one level to create.
    for (size_t end = path.find('/', 1);; end = path.find('/', end + 1)) {
        const std::string current = path.substr(0, end);
        if (current.empty() || current.back() == '/') {
            if (end == std::string::npos) {
                break;
            }
            continue;
        }
        if (::mkdir(current.c_str(), static_cast<mode_t>(mode)) != 0 && errno != EEXIST) {
            return Status::error("cannot create directory " + current + ": " + errno_text(errno));
        }
        if (end == std::string::npos) {
            break;
        }
    }
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        return Status::error("cannot create directory " + path + ": " + errno_text(errno));
    }
    if (!S_ISDIR(st.st_mode)) {
        return Status::error(path + " exists and is not a directory");
    }
    return Status::ok();
}

Status write_file_atomic(const std::string& path, std::string_view content, unsigned mode,
                         bool durable) {
    const std::string tmp = path + ".tmp";
    const int fd =
        ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, static_cast<mode_t>(mode));
    if (fd < 0) {
        return Status::error("cannot write " + tmp + ": " + errno_text(errno));
    }
    // open() applies the umask; the mode must be exact from the first byte on.
    Status st = ::fchmod(fd, static_cast<mode_t>(mode)) == 0 ? Status::ok()
                                                             : Status::error(errno_text(errno));
    if (st) {
        st = write_all(fd, content);
    }
    if (st && durable && ::fsync(fd) != 0) {
        st = Status::error(errno_text(errno));
    }
    if (::close(fd) != 0 && st) {
        st = Status::error(errno_text(errno));
    }
    if (!st) {
        ::unlink(tmp.c_str());
        return Status::error("cannot write " + tmp + ": " + st.message());
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        return Status::error("cannot replace " + path + ": " + errno_text(err));
    }
    return durable ? sync_directory(parent_of(path)) : Status::ok();
}

Result<std::string> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return Error{"cannot read " + path + ": " + errno_text(errno)};
    }
    std::ostringstream out;
    out << in.rdbuf();
    if (in.bad()) {
        return Error{"cannot read " + path};
    }
    return out.str();
}

Result<std::FILE*> open_for_append(const std::string& path, unsigned mode) {
    const int fd =
        ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, static_cast<mode_t>(mode));
    if (fd < 0) {
        return Error{"cannot open " + path + ": " + errno_text(errno)};
    }
    ::fchmod(fd, static_cast<mode_t>(mode));
    std::FILE* file = ::fdopen(fd, "ab");
    if (file == nullptr) {
        const int err = errno;
        ::close(fd);
        return Error{"cannot open " + path + ": " + errno_text(err)};
    }
    return file;
}

Status sync_file(std::FILE* file) {
    if (std::fflush(file) != 0) {
        return Status::error(errno_text(errno));
    }
#if defined(__APPLE__)
    const int rc = ::fsync(::fileno(file));
#else
    const int rc = ::fdatasync(::fileno(file));
#endif
    return rc == 0 ? Status::ok() : Status::error(errno_text(errno));
}

Status sync_directory(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return Status::error("cannot open directory " + path + ": " + errno_text(errno));
    }
    const int rc = ::fsync(fd);
    const int err = errno;
    ::close(fd);
    // Some file systems refuse fsync on directories; the rename is still atomic there.
    if (rc != 0 && err != EINVAL && err != EROFS) {
        return Status::error("cannot flush directory " + path + ": " + errno_text(err));
    }
    return Status::ok();
}

Result<unsigned> file_mode(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        return Error{path + ": " + errno_text(errno)};
    }
    return static_cast<unsigned>(st.st_mode & 07777);
}

FileLock::FileLock(FileLock&& other) noexcept : handle_(other.handle_) { other.handle_ = -1; }

FileLock& FileLock::operator=(FileLock&& other) noexcept {
    if (this != &other) {
        if (handle_ >= 0) {
            ::close(handle_);
        }
        handle_ = other.handle_;
        other.handle_ = -1;
    }
    return *this;
}

FileLock::~FileLock() {
    if (handle_ >= 0) {
        ::close(handle_);
    }
}

Result<FileLock> lock_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        return Error{"cannot open " + path + ": " + errno_text(errno)};
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        ::close(fd);
        if (err == EWOULDBLOCK) {
            return Error{path + " is locked by another running process"};
        }
        return Error{"cannot lock " + path + ": " + errno_text(err)};
    }
    return FileLock(fd);
}

bool is_terminal(std::FILE* stream) { return stream != nullptr && ::isatty(::fileno(stream)) == 1; }

Status redirect_output(const std::string& path) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        return Status::error("cannot open " + path + ": " + errno_text(errno));
    }
    std::fflush(stdout);
    std::fflush(stderr);
    const bool ok = ::dup2(fd, STDOUT_FILENO) >= 0 && ::dup2(fd, STDERR_FILENO) >= 0;
    const int err = errno;
    ::close(fd);
    if (!ok) {
        return Status::error("cannot redirect output to " + path + ": " + errno_text(err));
    }
    std::setvbuf(stdout, nullptr, _IONBF, 0);
    std::setvbuf(stderr, nullptr, _IONBF, 0);
    return Status::ok();
}

Result<bool> cap_redirected_output(const std::string& path, uint64_t max_bytes) {
    struct stat st {};
    if (::fstat(STDOUT_FILENO, &st) != 0) {
        return Error{"cannot check the size of " + path + ": " + errno_text(errno)};
    }
    if (static_cast<uint64_t>(st.st_size) <= max_bytes) {
        return false;
    }
    std::error_code ec;
    std::filesystem::copy_file(path, path + ".1", std::filesystem::copy_options::overwrite_existing,
                               ec);
    if (ec) {
        return Error{"cannot keep " + path + " as " + path + ".1: " + ec.message()};
    }
    if (::ftruncate(STDOUT_FILENO, 0) != 0) {
        return Error{"cannot empty " + path + ": " + errno_text(errno)};
    }
    return true;
}

Status install_stop_handlers() {
    if (g_wake_pipe[0] < 0) {
        if (::pipe(g_wake_pipe) != 0) {
            return Status::error("cannot create a pipe: " + errno_text(errno));
        }
        for (const int fd : g_wake_pipe) {
            ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
            ::fcntl(fd, F_SETFD, FD_CLOEXEC);
        }
    }
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    for (const int sig : {SIGINT, SIGTERM, SIGHUP}) {
        if (::sigaction(sig, &sa, nullptr) != 0) {
            return Status::error("cannot install a signal handler: " + errno_text(errno));
        }
    }
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    ::sigaction(SIGPIPE, &ignore, nullptr);
    return Status::ok();
}

bool stop_requested() { return g_stop_signal.load() != 0; }

int stop_signal() { return g_stop_signal.load(); }

bool wait_for_stop(double seconds) {
    if (stop_requested() || g_wake_pipe[0] < 0) {
        if (!stop_requested() && seconds > 0) {
            ::usleep(static_cast<useconds_t>(std::min(seconds, 1.0) * 1e6));
        }
        return stop_requested();
    }
    struct pollfd pfd {};
    pfd.fd = g_wake_pipe[0];
    pfd.events = POLLIN;
    const int timeout_ms = static_cast<int>(std::ceil(std::max(0.0, seconds) * 1000));
    if (::poll(&pfd, 1, timeout_ms) > 0) {
        char buf[16];
        while (::read(g_wake_pipe[0], buf, sizeof(buf)) > 0) {
        }
    }
    return stop_requested();
}

void reset_stop_request() { g_stop_signal.store(0); }

void request_stop(int sig) { on_stop_signal(sig); }

bool has_windows_services() { return false; }

namespace {
Status windows_only() {
    return Status::error("service commands exist only in the Windows agent; on Linux use systemd");
}
}  // namespace

Status install_service(const ServiceSpec&) { return windows_only(); }
Status start_service(const std::string&) { return windows_only(); }
Status stop_service(const std::string&, double) { return windows_only(); }
Status remove_service(const std::string&) { return windows_only(); }
Result<int> run_as_service(const std::string&, int (*)(void*), void*) {
    return Error{windows_only().message()};
}

std::string executable_dir() {
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    return ec ? std::string() : exe.parent_path().string();
}

std::string program_data_dir() { return {}; }

void write_event_log(const std::string&, EventType, const std::string&) {}

Status start_tray(const TrayOptions&) {
    return Status::error("the notification-area icon exists only in the Windows agent");
}
void stop_tray() {}

std::vector<std::string> tray_menu_items() { return {}; }

Status tray_command(TrayCommand) {
    return Status::error("the notification-area icon exists only in the Windows agent");
}

}  // namespace sentinel::platform
