#include "support/test_support.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

namespace sentinel::testing {

TempDir::TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl =
        std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/sentinel-test-XXXXXX";
    if (::mkdtemp(tmpl.data()) != nullptr) {
        path_ = tmpl;
    }
}

TempDir::~TempDir() {
    if (!path_.empty()) {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
}

void sleep_seconds(double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); }

namespace {
Status run(const std::string& command) {
    const int rc = std::system((command + " >/dev/null 2>&1").c_str());
    if (rc != 0) {
        return Status::error("command failed (" + std::to_string(rc) + "): " + command);
    }
    return Status::ok();
}
}  // namespace

Status make_test_pki(const std::string& dir) {
    const std::string d = "'" + dir + "'";
    const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
    {
        std::ofstream ext(dir + "/server.ext");
        ext << "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
               "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n"
               "extendedKeyUsage=serverAuth\n";
    }
    for (const std::string name : {"ca", "other_ca"}) {
        if (auto st = run("openssl req -x509" + ec + " -keyout " + d + "/" + name + ".key -out " +
                          d + "/" + name + ".crt -days 2 -subj /CN=NetSentinel-Test-" + name);
            !st) {
            return st;
        }
    }
    {
        std::ofstream ext(dir + "/wrong_name.ext");
        ext << "subjectAltName=DNS:other.example\nbasicConstraints=CA:FALSE\n"
               "extendedKeyUsage=serverAuth\n";
    }
    for (const std::string name : {"server", "wrong_name"}) {
        if (auto st = run("openssl req" + ec + " -keyout " + d + "/" + name + ".key -out " + d +
                          "/" + name + ".csr -subj /CN=" + name);
            !st) {
            return st;
        }
        if (auto st = run("openssl x509 -req -in " + d + "/" + name + ".csr -CA " + d +
                          "/ca.crt -CAkey " + d + "/ca.key -CAcreateserial -out " + d + "/" + name +
                          ".crt -days 2 -extfile " + d + "/" + name + ".ext");
            !st) {
            return st;
        }
    }
    return Status::ok();
}

ChildProcess::~ChildProcess() {
    if (pid_ > 0) {
        kill(SIGKILL);
        wait();
    }
    if (in_ >= 0) {
        ::close(in_);
    }
    if (out_ >= 0) {
        ::close(out_);
    }
}

Status ChildProcess::start(const std::vector<std::string>& argv,
                           const std::vector<std::string>& env) {
    int to_child[2];
    int from_child[2];
    if (::pipe(to_child) != 0 || ::pipe(from_child) != 0) {
        return Status::error("pipe failed");
    }
    std::vector<char*> args;
    for (const auto& a : argv) {
        args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) {
        return Status::error("fork failed");
    }
    if (pid == 0) {
        ::dup2(to_child[0], 0);
        ::dup2(from_child[1], 1);
        ::close(to_child[0]);
        ::close(to_child[1]);
        ::close(from_child[0]);
        ::close(from_child[1]);
        for (const auto& e : env) {
            ::putenv(const_cast<char*>(e.c_str()));
        }
        ::execvp(args[0], args.data());
        ::_exit(127);
    }
    ::close(to_child[0]);
    ::close(from_child[1]);
    ::fcntl(to_child[1], F_SETFD, FD_CLOEXEC);
    ::fcntl(from_child[0], F_SETFD, FD_CLOEXEC);
    pid_ = pid;
    in_ = to_child[1];
    out_ = from_child[0];
    return Status::ok();
}

Status ChildProcess::write_line(const std::string& line) {
    const std::string data = line + "\n";
    if (in_ < 0 || ::write(in_, data.data(), data.size()) != static_cast<ssize_t>(data.size())) {
        return Status::error("cannot write to the child process");
    }
    return Status::ok();
}

Result<std::string> ChildProcess::read_line(double timeout_s) {
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    for (;;) {
        if (const auto nl = buffer_.find('\n'); nl != std::string::npos) {
            std::string line = buffer_.substr(0, nl);
            buffer_.erase(0, nl + 1);
            return line;
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0 || out_ < 0) {
            return Error{"timed out waiting for the child process"};
        }
        struct pollfd pfd {};
        pfd.fd = out_;
        pfd.events = POLLIN;
        if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) {
            continue;
        }
        char buf[4096];
        const ssize_t n = ::read(out_, buf, sizeof(buf));
        if (n <= 0) {
            return Error{"the child process closed its output"};
        }
        buffer_.append(buf, static_cast<size_t>(n));
    }
}

void ChildProcess::close_stdin() {
    if (in_ >= 0) {
        ::close(in_);
        in_ = -1;
    }
}

void ChildProcess::kill(int sig) {
    if (pid_ > 0) {
        ::kill(pid_, sig);
    }
}

int ChildProcess::wait() {
    if (pid_ <= 0) {
        return -1;
    }
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return r < 0 ? -1 : status;
}

Status StandInServer::start(const std::string& pki_dir, const std::string& out_dir,
                            const std::string& api_key, const std::string& cert) {
    out_dir_ = out_dir;
    if (auto st =
            child_.start({SENTINEL_PYTHON, SENTINEL_SUPPORT_DIR "/standin_server.py", "--cert",
                          pki_dir + "/" + cert + ".crt", "--key", pki_dir + "/" + cert + ".key",
                          "--out", out_dir, "--api-key", api_key});
        !st) {
        return st;
    }
    auto line = child_.read_line(30);
    if (!line || line->rfind("port ", 0) != 0) {
        return Status::error("the stand-in server did not start");
    }
    port_ = std::stoi(line->substr(5));
    return Status::ok();
}

Result<std::string> StandInServer::command(const std::string& line) {
    if (auto st = child_.write_line(line); !st) {
        return Error{st.message()};
    }
    auto answer = child_.read_line(30);
    if (answer && answer->rfind("ok", 0) != 0) {
        return Error{"unexpected answer: " + *answer};
    }
    return answer;
}

namespace {
std::vector<nlohmann::json> read_json_lines(const std::string& path) {
    std::vector<nlohmann::json> out;
    for (const auto& line : read_lines(path)) {
        auto j = nlohmann::json::parse(line, nullptr, false);
        if (!j.is_discarded()) {
            out.push_back(std::move(j));
        }
    }
    return out;
}
}  // namespace

std::vector<nlohmann::json> StandInServer::alerts() const {
    return read_json_lines(out_dir_ + "/alerts.jsonl");
}

std::vector<nlohmann::json> StandInServer::heartbeats() const {
    return read_json_lines(out_dir_ + "/heartbeats.jsonl");
}

nlohmann::json StandInServer::stats() {
    auto answer = command("stats");
    if (!answer || answer->size() < 3) {
        return nlohmann::json::object();
    }
    return nlohmann::json::parse(answer->substr(3), nullptr, false);
}

bool StandInServer::wait_for_alerts(size_t count, double timeout_s) const {
    return eventually([&] { return read_lines(out_dir_ + "/alerts.jsonl").size() >= count; },
                      timeout_s);
}

Status ConnectProxy::start(const std::string& log_path) {
    log_path_ = log_path;
    if (auto st = child_.start(
            {SENTINEL_PYTHON, SENTINEL_SUPPORT_DIR "/connect_proxy.py", "--log", log_path});
        !st) {
        return st;
    }
    auto line = child_.read_line(30);
    if (!line || line->rfind("port ", 0) != 0) {
        return Status::error("the proxy did not start");
    }
    port_ = std::stoi(line->substr(5));
    return Status::ok();
}

std::vector<std::string> ConnectProxy::targets() const { return read_lines(log_path_); }

std::vector<std::string> read_lines(const std::string& path) {
    std::vector<std::string> out;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty()) {
            out.push_back(line);
        }
    }
    return out;
}

}  // namespace sentinel::testing
