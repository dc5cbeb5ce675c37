// Unit tests of the Windows-only pieces, run under Wine by the cross build (ctest --preset
// windows): the platform layer, capture loading (Npcap or its absence, the built-in file reader
// behind the libpcap calls) and config paths.
#include <gtest/gtest.h>

#include <io.h>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "agent/live.h"
#include "capture/live_support.h"
#include "capture/pcap_source.h"
#include "capture/pump.h"
#include "config/config.h"
#include "platform/platform.h"
#include "transport/win_cert.h"

// clang-format off
#include <winsock2.h>
#include <windows.h>
// clang-format on

namespace sentinel {
namespace {

namespace fs = std::filesystem;

fs::path temp_dir(const std::string& name) {
    const fs::path dir = fs::temp_directory_path() / ("ns_win_" + name);
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

fs::path trace(const std::string& name) {
    return fs::path(SENTINEL_SOURCE_DIR) / "tests" / "traces" / name;
}

// A certificate from tests/windows/certs (see its README), freed at scope exit.
struct TestCertificate {
    PCCERT_CONTEXT context = nullptr;
    explicit TestCertificate(const std::string& name) {
        const fs::path path = fs::path(SENTINEL_SOURCE_DIR) / "tests" / "windows" / "certs" / name;
        auto loaded = transport::wincert::load_certificate(path.string());
        EXPECT_TRUE(loaded.is_ok()) << loaded.error();
        context = loaded.is_ok() ? *loaded : nullptr;
    }
    ~TestCertificate() {
        if (context != nullptr) {
            ::CertFreeCertificateContext(context);
        }
    }
    TestCertificate(const TestCertificate&) = delete;
    TestCertificate& operator=(const TestCertificate&) = delete;
};

TEST(WindowsPlatform, HostnameAndOsDescription) {
    EXPECT_FALSE(platform::hostname().empty());
    EXPECT_NE(platform::hostname(), "unknown");
    const std::string os = platform::os_description();
    EXPECT_EQ(os.rfind("Windows ", 0), 0u) << os;
    EXPECT_NE(os.find('.'), std::string::npos) << os;  // "Windows <major>.<minor>.<build>"
}

TEST(WindowsPlatform, DirectoriesAndAtomicFiles) {
    const fs::path dir = temp_dir("files");
    const std::string nested = (dir / "a" / "b").string();
    ASSERT_TRUE(platform::create_directories(nested).is_ok());
    EXPECT_TRUE(platform::create_directories(nested).is_ok());
    EXPECT_TRUE(fs::is_directory(nested));
    const std::string file = (dir / "a" / "state.json").string();
    ASSERT_TRUE(platform::write_file_atomic(file, "first").is_ok());
    ASSERT_TRUE(platform::write_file_atomic(file, "second, longer").is_ok());
    auto text = platform::read_file(file);
    ASSERT_TRUE(text.is_ok()) << text.error();
    EXPECT_EQ(*text, "second, longer");
    EXPECT_FALSE(fs::exists(file + ".tmp"));
    EXPECT_FALSE(platform::read_file((dir / "missing").string()).is_ok());
    const Status not_dir = platform::create_directories(file);
    EXPECT_FALSE(not_dir.is_ok());
    fs::remove_all(dir);
}

TEST(WindowsPlatform, AppendAndSync) {
    const fs::path dir = temp_dir("append");
    const std::string file = (dir / "spool.log").string();
    auto f = platform::open_for_append(file);
    ASSERT_TRUE(f.is_ok()) << f.error();
    std::fputs("one\n", *f);
    EXPECT_TRUE(platform::sync_file(*f).is_ok());
    std::fclose(*f);
    auto g = platform::open_for_append(file);
    ASSERT_TRUE(g.is_ok());
    std::fputs("two\n", *g);
    std::fclose(*g);
    EXPECT_EQ(*platform::read_file(file), "one\ntwo\n");
    EXPECT_TRUE(platform::sync_directory(dir.string()).is_ok());
    fs::remove_all(dir);
}

TEST(WindowsPlatform, LockFileIsExclusive) {
    const fs::path dir = temp_dir("lock");
    const std::string path = (dir / "agent.lock").string();
    {
        auto first = platform::lock_file(path);
        ASSERT_TRUE(first.is_ok()) << first.error();
        EXPECT_TRUE(first->held());
        auto second = platform::lock_file(path);
        ASSERT_FALSE(second.is_ok());
        EXPECT_NE(second.error().find("locked by another"), std::string::npos) << second.error();
    }
    auto again = platform::lock_file(path);
    EXPECT_TRUE(again.is_ok()) << "the lock is released when its holder goes away";
    again = Error{"released"};
    fs::remove_all(dir);
}

// The child half of RedirectOutputWithoutStandardHandles: runs with no standard handles, as a
// service does, writes through each of the ways the agent writes, then caps the log.
TEST(WindowsPlatform, RedirectOutputChild) {
    const char* path = std::getenv("NS_REDIRECT_TO");
    if (path == nullptr) {
        GTEST_SKIP() << "run as a child by RedirectOutputWithoutStandardHandles";
    }
    if (::_fileno(stderr) >= 0) {
        std::_Exit(5);  // not started the way a service is: the test would show nothing
    }
    if (!platform::redirect_output(path).is_ok()) {
        std::_Exit(3);
    }
    std::printf("stdout line\n");
    std::fprintf(stderr, "stderr line\n");
    DWORD written = 0;
    const char handle_line[] = "handle line\n";
    ::WriteFile(::GetStdHandle(STD_ERROR_HANDLE), handle_line, sizeof(handle_line) - 1, &written,
                nullptr);
    if (written != sizeof(handle_line) - 1) {
        std::_Exit(4);
    }
    // The cap: under it nothing happens; over it the lines so far move to <log>.1.
    auto kept = platform::cap_redirected_output(path, 1 << 20);
    auto capped = platform::cap_redirected_output(path, 16);
    if (!kept.is_ok() || *kept || !capped.is_ok() || !*capped) {
        std::_Exit(6);
    }
    std::printf("after the cap\n");
    std::_Exit(0);
}

// A service starts without standard handles, so the C runtime gives stdout and stderr no
// descriptor; the service's log must still get everything (Wine's service manager showed this).
TEST(WindowsPlatform, RedirectOutputWithoutStandardHandles) {
    const fs::path dir = temp_dir("redirect");
    const std::string log = (dir / "service.log").string();
    std::wstring exe(MAX_PATH, L'\0');
    exe.resize(::GetModuleFileNameW(nullptr, exe.data(), MAX_PATH));
    std::wstring command = L"\"" + exe + L"\" --gtest_filter=WindowsPlatform.RedirectOutputChild";
    ASSERT_TRUE(::SetEnvironmentVariableA("NS_REDIRECT_TO", log.c_str()));
    STARTUPINFOW startup{};
    startup.cb = sizeof(startup);
    startup.dwFlags = STARTF_USESTDHANDLES;  // all three handles null
    PROCESS_INFORMATION child{};
    const BOOL started = ::CreateProcessW(nullptr, command.data(), nullptr, nullptr, FALSE,
                                          DETACHED_PROCESS, nullptr, nullptr, &startup, &child);
    ::SetEnvironmentVariableA("NS_REDIRECT_TO", nullptr);
    ASSERT_TRUE(started) << ::GetLastError();
    ASSERT_EQ(::WaitForSingleObject(child.hProcess, 120'000), WAIT_OBJECT_0);
    DWORD code = 99;
    ::GetExitCodeProcess(child.hProcess, &code);
    ::CloseHandle(child.hThread);
    ::CloseHandle(child.hProcess);
    EXPECT_EQ(code, 0u);
    auto text = platform::read_file(log);
    ASSERT_TRUE(text.is_ok()) << text.error();
    EXPECT_EQ(*text, "after the cap\n");
    auto older = platform::read_file(log + ".1");
    ASSERT_TRUE(older.is_ok()) << older.error();
    EXPECT_NE(older->find("stdout line\n"), std::string::npos) << *older;
    EXPECT_NE(older->find("stderr line\n"), std::string::npos) << *older;
    EXPECT_NE(older->find("handle line\n"), std::string::npos) << *older;
    fs::remove_all(dir);
}

TEST(WindowsTray, MenuHasTheOriginalItems) {
    const std::vector<std::string> want = {"NetSentinel Agent (disabled)",
                                           "-",
                                           "Open Dashboard (default)",
                                           "Show Status",
                                           "-",
                                           "Stop Agent"};
    EXPECT_EQ(platform::tray_menu_items(), want);
}

TEST(WindowsTray, StatusTextIsTheOriginals) {
    agent::LiveProgress progress;
    progress.packets = 1234;
    progress.alerts_sent = 7;
    EXPECT_EQ(agent::format_status(progress, "https://10.0.0.5:8444"),
              "Packets:1234  Alerts sent:7  Server:https://10.0.0.5:8444");
}

TEST(WindowsTray, DashboardIsTheGuiPortNotTheAgentPort) {
    config::Config config;
    config.server_host = "10.0.0.5";
    config.gui_port = 8443;
    config.agent_port = 8444;
    EXPECT_EQ(agent::dashboard_url(config), "https://10.0.0.5:8443");
}

std::atomic<int> g_status_calls{0};
std::string count_status(void*) {
    ++g_status_calls;
    return "Packets:1  Alerts sent:0  Server:https://127.0.0.1:8444";
}

// The menu's commands without a click: Show Status asks for the status text, Stop Agent stops
// the agent (as Ctrl-C does) and closes the icon. Needs a desktop (windows.tray runs it under
// Xvfb); without one there is no icon to command.
TEST(WindowsTray, CommandsWorkWithoutClicks) {
    EXPECT_FALSE(platform::tray_command(platform::TrayCommand::kShowStatus).is_ok());
    platform::reset_stop_request();
    ASSERT_TRUE(platform::install_stop_handlers().is_ok());
    platform::TrayOptions options;
    options.dashboard_url = "https://127.0.0.1:8443";
    options.status = count_status;
    const Status shown = platform::start_tray(options);
    if (!shown.is_ok()) {
        GTEST_SKIP() << "no notification area here: " << shown.message();
    }
    ASSERT_TRUE(platform::tray_command(platform::TrayCommand::kShowStatus).is_ok());
    for (int i = 0; i < 600 && g_status_calls.load() == 0; ++i) {
        ::Sleep(100);
    }
    EXPECT_EQ(g_status_calls.load(), 1);
    EXPECT_FALSE(platform::stop_requested());
    ASSERT_TRUE(platform::tray_command(platform::TrayCommand::kStopAgent).is_ok());
    EXPECT_TRUE(platform::wait_for_stop(60));
    EXPECT_EQ(platform::stop_signal(), SIGINT);
    platform::stop_tray();
    EXPECT_FALSE(platform::tray_command(platform::TrayCommand::kShowStatus).is_ok());
    platform::reset_stop_request();
}

// Open Dashboard hands the dashboard URL to the system's browser. Run only by windows.tray, which
// points Wine's browser at a script that records the URL (elsewhere a real browser would open).
TEST(WindowsTray, OpenDashboardOpensTheUrl) {
    if (std::getenv("NS_TRAY_OPEN_DASHBOARD") == nullptr) {
        GTEST_SKIP() << "run by windows.tray with a recording browser";
    }
    platform::reset_stop_request();
    platform::TrayOptions options;
    options.dashboard_url = std::getenv("NS_TRAY_OPEN_DASHBOARD");
    options.status = count_status;
    ASSERT_TRUE(platform::start_tray(options).is_ok());
    EXPECT_TRUE(platform::tray_command(platform::TrayCommand::kOpenDashboard).is_ok());
    // The command runs on the icon's thread; Stop Agent, posted after it, runs after it.
    ASSERT_TRUE(platform::tray_command(platform::TrayCommand::kStopAgent).is_ok());
    EXPECT_TRUE(platform::wait_for_stop(60));
    platform::stop_tray();
    platform::reset_stop_request();
}

TEST(WindowsPlatform, StopRequestWaitsAndResets) {
    ASSERT_TRUE(platform::install_stop_handlers().is_ok());
    platform::reset_stop_request();
    EXPECT_FALSE(platform::wait_for_stop(0.01));
    EXPECT_FALSE(platform::stop_requested());
    std::raise(SIGINT);
    EXPECT_TRUE(platform::stop_requested());
    EXPECT_EQ(platform::stop_signal(), SIGINT);
    EXPECT_TRUE(platform::wait_for_stop(5));
    platform::reset_stop_request();
    EXPECT_FALSE(platform::stop_requested());
}

TEST(WindowsPlatform, ServicesExistAndPathsAreKnown) {
    EXPECT_TRUE(platform::has_windows_services());
    EXPECT_FALSE(platform::executable_dir().empty());
    EXPECT_TRUE(fs::exists(fs::path(platform::executable_dir()) / "windows_test.exe"));
    EXPECT_FALSE(platform::program_data_dir().empty());
    // Wine's ReportEventW stores nothing; the call must still be harmless.
    platform::write_event_log("NetSentinelAgent", platform::EventType::kError,
                              "[HIGH] PORT SCAN: test entry");
    auto run = platform::run_as_service(
        "NetSentinelAgent", [](void*) { return 5; }, nullptr);
    ASSERT_FALSE(run.is_ok()) << "not started by the service control manager";
    EXPECT_NE(run.error().find("--start"), std::string::npos) << run.error();
}

// Wine ships a wpcap.dll over the host's libpcap, so Npcap "is installed" unless the test runs
// with WINEDLLOVERRIDES=wpcap=d (the ctest windows.npcap_missing does): then the message must be
// exactly the one that tells the user what to install.
TEST(WindowsCapture, NpcapLoadsOrSaysWhatToInstall) {
    const Status s = capture::live_capture_available();
    const char* overrides = std::getenv("WINEDLLOVERRIDES");
    const bool disabled =
        overrides != nullptr && std::string(overrides).find("wpcap=d") != std::string::npos;
    if (disabled) {
        ASSERT_FALSE(s.is_ok());
        EXPECT_EQ(s.message(),
                  "Npcap is required for live capture: install it from https://npcap.com with "
                  "\"WinPcap API-compatible mode\"");
        auto list = capture::list_interfaces();
        ASSERT_FALSE(list.is_ok());
        EXPECT_NE(list.error().find("Npcap is required"), std::string::npos);
    } else {
        EXPECT_TRUE(s.is_ok()) << s.message();
    }
}

TEST(WindowsCapture, FilesAreReadWithoutNpcap) {
    capture::SourceOptions options;
    options.read_file = trace("hydra_ssh_48tasks.pcap").string();
    auto source = capture::open_source(options);
    ASSERT_TRUE(source.is_ok()) << source.error();
    EXPECT_EQ((*source)->datalink(), 1);  // Ethernet
    capture::PacketPump pump(**source);
    uint64_t tcp = 0;
    int64_t first_ts = 0;
    ASSERT_TRUE(pump.run([&](const decode::Packet& p) {
                        tcp += p.has(decode::kLayerTcp) ? 1 : 0;
                        if (first_ts == 0) {
                            first_ts = p.ts.ns;
                        }
                    })
                    .is_ok());
    EXPECT_EQ(pump.stats().frames, 1333u);
    EXPECT_EQ(pump.stats().decoded, 1333u);
    EXPECT_GT(tcp, 1000u);
    EXPECT_GT(first_ts, 1'600'000'000LL * 1'000'000'000LL);
    EXPECT_TRUE((*source)->finished());
}

TEST(WindowsCapture, MissingAndBogusFilesAreErrors) {
    capture::PcapFileSource missing("no-such-file.pcap");
    const Status s = missing.open();
    ASSERT_FALSE(s.is_ok());
    EXPECT_EQ(s.message().rfind("cannot open capture file no-such-file.pcap: ", 0), 0u)
        << s.message();
    const fs::path dir = temp_dir("bogus");
    std::ofstream(dir / "x.pcap") << "not a capture";
    capture::PcapFileSource bogus((dir / "x.pcap").string());
    EXPECT_FALSE(bogus.open().is_ok());
    fs::remove_all(dir);
}

TEST(WindowsConfig, PathsResolveAgainstTheConfigFolder) {
    const fs::path dir = temp_dir("config");
    {
        std::ofstream out(dir / "sentinel_config.json");
        out << R"({"server_host": "127.0.0.1", "api_key": "k", "ca_cert": "ca.crt"})";
    }
    auto config = config::load_config((dir / "sentinel_config.json").string());
    ASSERT_TRUE(config.is_ok()) << config.error();
    const fs::path ca = config::resolve_path(*config, config->ca_cert);
    EXPECT_EQ(fs::weakly_canonical(ca), fs::weakly_canonical(dir / "ca.crt"));
    fs::remove_all(dir);
}

// One ECDSA signature in 128 has an r or s shorter than the curve size; Wine's crypt32 rejected
// those, and with them one CI run's freshly made server certificate.
TEST(WindowsServerCertificate, SignaturesWithShortIntegersVerify) {
    TestCertificate ca("ca.pem");
    ASSERT_NE(ca.context, nullptr);
    for (const char* name : {"leaf_full.pem", "leaf_short_r.pem", "leaf_short_s.pem"}) {
        TestCertificate leaf(name);
        ASSERT_NE(leaf.context, nullptr);
        EXPECT_TRUE(transport::wincert::signed_by(leaf.context, ca.context)) << name;
    }
    EXPECT_TRUE(transport::wincert::signed_by(ca.context, ca.context));
}

TEST(WindowsServerCertificate, OtherSignersAndAlteredCertificatesDoNot) {
    TestCertificate ca("ca.pem");
    ASSERT_NE(ca.context, nullptr);
    for (const char* name : {"leaf_short_r_other_ca.pem", "leaf_short_r_tampered.pem"}) {
        TestCertificate leaf(name);
        ASSERT_NE(leaf.context, nullptr);
        EXPECT_FALSE(transport::wincert::signed_by(leaf.context, ca.context)) << name;
    }
    TestCertificate leaf("leaf_full.pem");
    EXPECT_FALSE(transport::wincert::signed_by(ca.context, leaf.context));
}

TEST(WindowsServerCertificate, HostIsMatchedAgainstSubjectAltNames) {
    TestCertificate leaf("leaf_short_r.pem");
    ASSERT_NE(leaf.context, nullptr);
    EXPECT_TRUE(transport::wincert::names_host(leaf.context, L"127.0.0.1"));
    EXPECT_FALSE(transport::wincert::names_host(leaf.context, L"127.0.0.2"));
    EXPECT_FALSE(transport::wincert::names_host(leaf.context, L"localhost"));
    TestCertificate ca("ca.pem");
    EXPECT_FALSE(transport::wincert::names_host(ca.context, L"sentinel-test-ca"));
}

TEST(WindowsServerCertificate, UnreadableFilesSayWhy) {
    const fs::path dir = temp_dir("certs");
    std::ofstream(dir / "junk.crt")
        << "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n";
    auto junk = transport::wincert::load_certificate((dir / "junk.crt").string());
    ASSERT_FALSE(junk.is_ok());
    EXPECT_NE(junk.error().find("junk.crt"), std::string::npos) << junk.error();
    EXPECT_FALSE(transport::wincert::load_certificate((dir / "missing.crt").string()).is_ok());
    fs::remove_all(dir);
}

}  // namespace
}  // namespace sentinel
