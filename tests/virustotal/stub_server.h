#pragma once

// Runs vt_stub.py (a loopback HTTPS stand-in for the VirusTotal API) for one test, with a
// throwaway CA made by the openssl CLI.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace sentinel::virustotal::testing {

struct LoggedRequest {
    std::string path;
    std::string apikey;
};

class StubServer {
  public:
    StubServer() {
        static int counter = 0;
        dir_ = std::filesystem::temp_directory_path() /
               ("vt_stub_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
        make_certs();
        set_script(nlohmann::json::object());
        start();
    }
    ~StubServer() {
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            int status = 0;
            ::waitpid(pid_, &status, 0);
        }
        std::filesystem::remove_all(dir_);
    }
    StubServer(const StubServer&) = delete;
    StubServer& operator=(const StubServer&) = delete;

    // Replaces what the stand-in answers (see vt_stub.py); takes effect at the next request.
    void set_script(const nlohmann::json& script) {
        const auto tmp = dir_ / "script.json.tmp";
        std::ofstream(tmp) << script.dump();
        std::filesystem::rename(tmp, dir_ / "script.json");
    }

    std::vector<LoggedRequest> requests() const {
        std::vector<LoggedRequest> out;
        std::ifstream in(dir_ / "log.jsonl");
        std::string line;
        while (std::getline(in, line)) {
            const auto j = nlohmann::json::parse(line);
            out.push_back({j.at("path").get<std::string>(), j.at("apikey").get<std::string>()});
        }
        return out;
    }
    std::vector<std::string> paths() const {
        std::vector<std::string> out;
        for (const auto& r : requests()) {
            out.push_back(r.path);
        }
        return out;
    }

    std::string base_url() const {
        return "https://127.0.0.1:" + std::to_string(port_) + "/api/v3";
    }
    std::string ca_file() const { return (dir_ / "ca.crt").string(); }
    const std::filesystem::path& dir() const { return dir_; }

  private:
    void run(const std::string& command) {
        const std::string full = "cd '" + dir_.string() + "' && " + command + " >/dev/null 2>&1";
        if (std::system(full.c_str()) != 0) {
            throw std::runtime_error("command failed: " + command);
        }
    }

    void make_certs() {
        run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key "
            "-out ca.crt -days 2 -subj /CN=vt-test-ca");
        run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout srv.key -out "
            "srv.csr -subj /CN=127.0.0.1");
        std::ofstream(dir_ / "ext.cnf") << "subjectAltName=IP:127.0.0.1\n";
        run("openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out srv.crt "
            "-days 2 -extfile ext.cnf");
    }

    void start() {
        const std::string script =
            std::string(SENTINEL_SOURCE_DIR) + "/tests/virustotal/vt_stub.py";
        const std::string d = dir_.string();
        pid_ = ::fork();
        if (pid_ == 0) {
            ::execlp("python3", "python3", script.c_str(), "--cert", (d + "/srv.crt").c_str(),
                     "--key", (d + "/srv.key").c_str(), "--script", (d + "/script.json").c_str(),
                     "--log", (d + "/log.jsonl").c_str(), "--port-file", (d + "/port").c_str(),
                     static_cast<char*>(nullptr));
            ::_exit(127);
        }
        // Wait (bounded) for the stand-in to bind and publish its port.
        for (int i = 0; i < 1000; ++i) {
            std::ifstream in(dir_ / "port");
            if (in >> port_ && port_ > 0) {
                return;
            }
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        throw std::runtime_error("the VirusTotal stand-in did not start");
    }

    std::filesystem::path dir_;
    pid_t pid_ = -1;
    int port_ = 0;
};

}  // namespace sentinel::virustotal::testing
