#include "outputs/eve_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "outputs/eve.h"

namespace sentinel::outputs {
namespace {

class EveFileSink final : public Sink {
  public:
    explicit EveFileSink(std::string path) : path_(std::move(path)) {}
    ~EveFileSink() override { close(); }

    std::string name() const override { return "eve"; }
    std::string target() const override { return path_; }
    std::string format(const schema::Alert& alert) const override { return eve_json(alert) + "\n"; }

    std::optional<DeliveryError> deliver(const std::vector<std::string>& records) override {
        if (fd_ >= 0 && rotated()) {
            close();
        }
        if (fd_ < 0) {
            fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
            if (fd_ < 0) {
                return DeliveryError{Failure::kTransient,
                                     fmt::format("cannot open: {}", std::strerror(errno))};
            }
        }
        std::string data;
        for (const auto& r : records) {
            data += r;
        }
        size_t off = 0;
        while (off < data.size()) {
            const ssize_t n = ::write(fd_, data.data() + off, data.size() - off);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                const int err = errno;
                // Complete the torn line so the retried batch starts on a line of its own.
                if (off > 0 && data[off - 1] != '\n') {
                    [[maybe_unused]] const ssize_t ignored = ::write(fd_, "\n", 1);
                }
                close();
                return DeliveryError{Failure::kTransient,
                                     fmt::format("write failed: {}", std::strerror(err))};
            }
            off += static_cast<size_t>(n);
        }
        if (::fdatasync(fd_) != 0) {
            const int err = errno;
            close();
            return DeliveryError{Failure::kTransient,
                                 fmt::format("sync failed: {}", std::strerror(err))};
        }
        return std::nullopt;
    }

    void close() override {
        if (fd_ >= 0) {
            ::close(fd_);
            fd_ = -1;
        }
    }

  private:
    // The path no longer names the open file: it was moved away or deleted.
    bool rotated() const {
        struct stat by_path {};
        struct stat open_file {};
        if (::stat(path_.c_str(), &by_path) != 0 || ::fstat(fd_, &open_file) != 0) {
            return true;
        }
        return by_path.st_ino != open_file.st_ino || by_path.st_dev != open_file.st_dev;
    }

    std::string path_;
    int fd_ = -1;
};

}  // namespace

std::unique_ptr<Sink> make_eve_file_sink(std::string path) {
    return std::make_unique<EveFileSink>(std::move(path));
}

}  // namespace sentinel::outputs
