#include "fixture.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <future>

namespace sentinel::server::testing {

CmdResult run_command(const std::string& command) {
    CmdResult r;
    FILE* p = popen((command + " 2>&1").c_str(), "r");
    if (!p)
        return r;
    std::array<char, 4096> buf;
    size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), p)) > 0)
        r.output.append(buf.data(), n);
    const int st = pclose(p);
    r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return r;
}

std::string Response::header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
}

namespace {
size_t on_body(char* p, size_t size, size_t n, void* ud) {
    static_cast<std::string*>(ud)->append(p, size * n);
    return size * n;
}
size_t on_header(char* p, size_t size, size_t n, void* ud) {
    std::string line(p, size * n);
    const auto colon = line.find(':');
    if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (auto& c : name)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::string value = line.substr(colon + 1);
        while (!value.empty() && (value.front() == ' '))
            value.erase(0, 1);
        while (!value.empty() && (value.back() == '\r' || value.back() == '\n'))
            value.pop_back();
        static_cast<std::multimap<std::string, std::string>*>(ud)->emplace(name, value);
    }
    return size * n;
}
}  // namespace

Response http(const std::string& method, const std::string& url, const std::string& body,
              const std::vector<std::string>& headers, const std::string& ca_file,
              const std::string& local_ip) {
    Response r;
    CURL* c = curl_easy_init();
    const std::string interface = "host!" + local_ip;
    if (!local_ip.empty())
        curl_easy_setopt(c, CURLOPT_INTERFACE, interface.c_str());
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
    if (method == "POST" || !body.empty()) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    }
    curl_slist* hl = nullptr;
    for (const auto& h : headers)
        hl = curl_slist_append(hl, h.c_str());
    if (!body.empty())
        hl = curl_slist_append(hl, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    if (!ca_file.empty())
        curl_easy_setopt(c, CURLOPT_CAINFO, ca_file.c_str());
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r.headers);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    if (curl_easy_perform(c) == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    }
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    return r;
}

uint16_t free_port() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    close(fd);
    return ntohs(a.sin_port);
}

void ServerFixture::SetUp() {
    char tmpl[] = "/tmp/server_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    cert_ = dir_ + "/server.crt";
    key_ = dir_ + "/server.key";
    const auto r = run_command(
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " + key_ +
        " -out " + cert_ +
        " -days 2 -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    config_ = config::Config{};
    config_.api_key = kApiKey;
    config_.server_host = "127.0.0.1";
    config_.gui_port = 0;
    config_.agent_port = 0;
    config_.redirect_port = 0;
    config_.server_cert = cert_;
    config_.server_key = key_;
    config_.data_dir = dir_ + "/data";
    setenv("SENTINEL_ADMIN_PASSWORD", kAdminPassword, 1);
}

void ServerFixture::TearDown() {
    stop_server();
    std::filesystem::remove_all(dir_);
}

void ServerFixture::start_server() {
    app_ = std::make_unique<ServerApp>(config_);
    const auto st = app_->start();
    ASSERT_TRUE(st.is_ok()) << st.message();
    gui_port_ = app_->gui_port();
    agent_port_ = app_->agent_port();
    redirect_port_ = app_->redirect_port();
    std::promise<void> ready;
    auto ready_f = ready.get_future();
    thread_ = std::thread([this, &ready] {
        RunOptions o;
        o.handle_signals = false;
        o.print_banner = false;
        o.on_ready = [&](uint16_t, uint16_t, uint16_t) { ready.set_value(); };
        app_->run(o);
    });
    ready_f.wait();
    cookie_.clear();
}

void ServerFixture::stop_server() {
    if (!app_)
        return;
    app_->stop();
    if (thread_.joinable())
        thread_.join();
    app_.reset();
}

std::string ServerFixture::gui_url(const std::string& path) const {
    return "https://127.0.0.1:" + std::to_string(gui_port_) + path;
}
std::string ServerFixture::agent_url(const std::string& path) const {
    return "https://127.0.0.1:" + std::to_string(agent_port_) + path;
}

Response ServerFixture::post_agent(const std::string& path, const std::string& body,
                                   const std::string& key) {
    std::vector<std::string> h;
    if (!key.empty())
        h.push_back("X-API-Key: " + key);
    return http("POST", agent_url(path), body, h, cert_);
}

Response ServerFixture::gui(const std::string& method, const std::string& path,
                            const std::string& body, std::vector<std::string> headers) {
    return http(method, gui_url(path), body, headers, cert_);
}

std::string ServerFixture::login() {
    auto r = gui("POST", "/api/login",
                 std::string(R"({"username":"admin","password":")") + kAdminPassword + "\"}");
    EXPECT_EQ(r.status, 200) << r.body;
    const auto sc = r.header("set-cookie");
    const auto eq = sc.find('=');
    const auto semi = sc.find(';');
    cookie_ = sc.substr(eq + 1, semi - eq - 1);
    return cookie_;
}

std::string ServerFixture::alert_body(const std::string& agent, const std::string& level,
                                      const std::string& id) {
    std::string b =
        R"({"level":")" + level +
        R"(","category":"PORT SCAN","message":"Port scan from 10.0.0.5","src":"10.0.0.5","agent_id":")" +
        agent + R"(","hostname":"host-)" + agent + R"(","os":"Linux 6.1")";
    if (!id.empty())
        b += R"(,"id":")" + id + R"(","ts":"2026-01-02T03:04:05.123456+00:00")";
    return b + "}";
}

}  // namespace sentinel::server::testing
