// The Windows agent's service control manager commands, service main and Event Log writer.
#include "platform/platform.h"

// clang-format off
#include <winsock2.h>
#include <windows.h>
// clang-format on
#include <shlobj.h>

#include <chrono>
#include <csignal>
#include <thread>

namespace sentinel::platform {

namespace {

std::wstring widen(const std::string& text) {
    if (text.empty()) {
        return {};
    }
    const int n =
        ::MultiByteToWideChar(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), nullptr, 0);
    std::wstring out(static_cast<size_t>(n), L'\0');
    ::MultiByteToWideChar(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), out.data(), n);
    return out;
}

std::string narrow(const std::wstring& text) {
    if (text.empty()) {
        return {};
    }
    const int n = ::WideCharToMultiByte(CP_UTF8, 0, text.data(), static_cast<int>(text.size()),
                                        nullptr, 0, nullptr, nullptr);
    std::string out(static_cast<size_t>(n), '\0');
    ::WideCharToMultiByte(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), out.data(), n,
                          nullptr, nullptr);
    return out;
}

std::string error_text(DWORD code) {
    char* text = nullptr;
    const DWORD n = ::FormatMessageA(
        FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
        nullptr, code, 0, reinterpret_cast<LPSTR>(&text), 0, nullptr);
    std::string out = n > 0 && text != nullptr ? std::string(text, n) : std::string();
    if (text != nullptr) {
        ::LocalFree(text);
    }
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == '.')) {
        out.pop_back();
    }
    if (code == ERROR_ACCESS_DENIED) {
        out += " (run it from an administrator prompt)";
    }
    return (out.empty() ? "error" : out) + " [" + std::to_string(code) + "]";
}

// Owns a service control manager handle.
struct ScHandle {
    SC_HANDLE h = nullptr;
    explicit ScHandle(SC_HANDLE handle) : h(handle) {}
    ~ScHandle() {
        if (h != nullptr) {
            ::CloseServiceHandle(h);
        }
    }
    ScHandle(const ScHandle&) = delete;
    ScHandle& operator=(const ScHandle&) = delete;
};

Result<SC_HANDLE> open_service(const ScHandle& scm, const std::string& name, DWORD access) {
    SC_HANDLE service = ::OpenServiceW(scm.h, widen(name).c_str(), access);
    if (service == nullptr) {
        const DWORD code = ::GetLastError();
        if (code == ERROR_SERVICE_DOES_NOT_EXIST) {
            return Error{"service " + name + " is not installed (use --install)"};
        }
        return Error{"cannot open service " + name + ": " + error_text(code)};
    }
    return service;
}

std::wstring event_source_key(const std::string& name) {
    return L"SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\" + widen(name);
}

std::wstring module_path() {
    std::wstring path(MAX_PATH, L'\0');
    for (;;) {
        const DWORD n = ::GetModuleFileNameW(nullptr, path.data(), static_cast<DWORD>(path.size()));
        if (n == 0) {
            return {};
        }
        if (n < path.size()) {
            path.resize(n);
            return path;
        }
        path.resize(path.size() * 2);
    }
}

// The one service this process runs (StartServiceCtrlDispatcher allows a static entry only).
struct ServiceRun {
    std::wstring name;
    int (*body)(void*) = nullptr;
    void* context = nullptr;
    int exit_code = 0;
    SERVICE_STATUS_HANDLE handle = nullptr;
    SERVICE_STATUS status{};
};
ServiceRun g_run;

void report(DWORD state, DWORD exit_code = NO_ERROR, DWORD wait_hint = 0) {
    g_run.status.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
    g_run.status.dwCurrentState = state;
    g_run.status.dwControlsAccepted =
        state == SERVICE_RUNNING ? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN : 0;
    g_run.status.dwWin32ExitCode = exit_code == 0 ? NO_ERROR : ERROR_SERVICE_SPECIFIC_ERROR;
    g_run.status.dwServiceSpecificExitCode = exit_code;
    g_run.status.dwWaitHint = wait_hint;
    ::SetServiceStatus(g_run.handle, &g_run.status);
}

DWORD WINAPI on_control(DWORD control, DWORD, LPVOID, LPVOID) {
    switch (control) {
        case SERVICE_CONTROL_STOP:
        case SERVICE_CONTROL_SHUTDOWN:
            report(SERVICE_STOP_PENDING, 0, 30'000);
            request_stop(SIGTERM);
            return NO_ERROR;
        case SERVICE_CONTROL_INTERROGATE:
            return NO_ERROR;
        default:
            return ERROR_CALL_NOT_IMPLEMENTED;
    }
}

void WINAPI service_main(DWORD, LPWSTR*) {
    g_run.handle = ::RegisterServiceCtrlHandlerExW(g_run.name.c_str(), on_control, nullptr);
    if (g_run.handle == nullptr) {
        return;
    }
    report(SERVICE_RUNNING);
    write_event_log(narrow(g_run.name), EventType::kInformation, "The service has started.");
    g_run.exit_code = g_run.body(g_run.context);
    report(SERVICE_STOPPED, static_cast<DWORD>(g_run.exit_code));
}

}  // namespace

bool has_windows_services() { return true; }

Status install_service(const ServiceSpec& spec) {
    ScHandle scm(::OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CREATE_SERVICE));
    if (scm.h == nullptr) {
        return Status::error("cannot open the service control manager: " +
                             error_text(::GetLastError()));
    }
    const std::wstring exe = module_path();
    std::wstring command = L"\"" + exe + L"\"";
    if (!spec.arguments.empty()) {
        command += L" " + widen(spec.arguments);
    }
    ScHandle service(::CreateServiceW(
        scm.h, widen(spec.name).c_str(), widen(spec.display_name).c_str(), SERVICE_ALL_ACCESS,
        SERVICE_WIN32_OWN_PROCESS, SERVICE_AUTO_START, SERVICE_ERROR_NORMAL, command.c_str(),
        nullptr, nullptr, nullptr, nullptr, nullptr));
    if (service.h == nullptr) {
        const DWORD code = ::GetLastError();
        if (code == ERROR_SERVICE_EXISTS) {
            return Status::error("service " + spec.name + " is already installed");
        }
        return Status::error("cannot install service " + spec.name + ": " + error_text(code));
    }
    std::wstring description = widen(spec.description);
    SERVICE_DESCRIPTIONW desc{description.data()};
    ::ChangeServiceConfig2W(service.h, SERVICE_CONFIG_DESCRIPTION, &desc);

    // The Event Log source (the original never registered one). The program has no message
    // table, so Event Viewer wraps the text in its "description cannot be found" note.
    HKEY key = nullptr;
    if (::RegCreateKeyExW(HKEY_LOCAL_MACHINE, event_source_key(spec.name).c_str(), 0, nullptr, 0,
                          KEY_SET_VALUE, nullptr, &key, nullptr) == ERROR_SUCCESS) {
        const DWORD types = EVENTLOG_ERROR_TYPE | EVENTLOG_WARNING_TYPE | EVENTLOG_INFORMATION_TYPE;
        ::RegSetValueExW(key, L"EventMessageFile", 0, REG_EXPAND_SZ,
                         reinterpret_cast<const BYTE*>(exe.c_str()),
                         static_cast<DWORD>((exe.size() + 1) * sizeof(wchar_t)));
        ::RegSetValueExW(key, L"TypesSupported", 0, REG_DWORD,
                         reinterpret_cast<const BYTE*>(&types), sizeof(types));
        ::RegCloseKey(key);
    }
    return Status::ok();
}

Status start_service(const std::string& name) {
    ScHandle scm(::OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT));
    if (scm.h == nullptr) {
        return Status::error("cannot open the service control manager: " +
                             error_text(::GetLastError()));
    }
    auto service = open_service(scm, name, SERVICE_START);
    if (!service) {
        return service.status();
    }
    ScHandle owned(*service);
    if (!::StartServiceW(owned.h, 0, nullptr)) {
        const DWORD code = ::GetLastError();
        if (code == ERROR_SERVICE_ALREADY_RUNNING) {
            return Status::ok();
        }
        return Status::error("cannot start service " + name + ": " + error_text(code));
    }
    return Status::ok();
}

Status stop_service(const std::string& name, double wait_seconds) {
    ScHandle scm(::OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT));
    if (scm.h == nullptr) {
        return Status::error("cannot open the service control manager: " +
                             error_text(::GetLastError()));
    }
    auto service = open_service(scm, name, SERVICE_STOP | SERVICE_QUERY_STATUS);
    if (!service) {
        return service.status();
    }
    ScHandle owned(*service);
    SERVICE_STATUS status{};
    if (!::ControlService(owned.h, SERVICE_CONTROL_STOP, &status)) {
        const DWORD code = ::GetLastError();
        if (code == ERROR_SERVICE_NOT_ACTIVE) {
            return Status::ok();
        }
        return Status::error("cannot stop service " + name + ": " + error_text(code));
    }
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::duration<double>(wait_seconds);
    while (::QueryServiceStatus(owned.h, &status) && status.dwCurrentState != SERVICE_STOPPED) {
        if (std::chrono::steady_clock::now() >= deadline) {
            return Status::error("service " + name + " did not stop within " +
                                 std::to_string(static_cast<int>(wait_seconds)) + " s");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return Status::ok();
}

Status remove_service(const std::string& name) {
    ScHandle scm(::OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT));
    if (scm.h == nullptr) {
        return Status::error("cannot open the service control manager: " +
                             error_text(::GetLastError()));
    }
    auto service = open_service(scm, name, DELETE);
    if (!service) {
        return service.status();
    }
    ScHandle owned(*service);
    if (!::DeleteService(owned.h)) {
        return Status::error("cannot remove service " + name + ": " + error_text(::GetLastError()));
    }
    ::RegDeleteKeyW(HKEY_LOCAL_MACHINE, event_source_key(name).c_str());
    return Status::ok();
}

Result<int> run_as_service(const std::string& name, int (*body)(void*), void* context) {
    g_run.name = widen(name);
    g_run.body = body;
    g_run.context = context;
    SERVICE_TABLE_ENTRYW table[] = {{g_run.name.data(), service_main}, {nullptr, nullptr}};
    if (!::StartServiceCtrlDispatcherW(table)) {
        const DWORD code = ::GetLastError();
        if (code == ERROR_FAILED_SERVICE_CONTROLLER_CONNECT) {
            return Error{"--service is for the service control manager; use --start"};
        }
        return Error{"cannot run as a service: " + error_text(code)};
    }
    return g_run.exit_code;
}

std::string executable_dir() {
    const std::wstring exe = module_path();
    const size_t slash = exe.find_last_of(L"\\/");
    return slash == std::wstring::npos ? std::string() : narrow(exe.substr(0, slash));
}

std::string program_data_dir() {
    wchar_t path[MAX_PATH] = {};
    if (SUCCEEDED(::SHGetFolderPathW(nullptr, CSIDL_COMMON_APPDATA, nullptr, 0, path))) {
        return narrow(path);
    }
    return {};
}

void write_event_log(const std::string& source, EventType type, const std::string& text) {
    static HANDLE log = ::RegisterEventSourceW(nullptr, widen(source).c_str());
    if (log == nullptr) {
        return;
    }
    const WORD kind = type == EventType::kError     ? EVENTLOG_ERROR_TYPE
                      : type == EventType::kWarning ? EVENTLOG_WARNING_TYPE
                                                    : EVENTLOG_INFORMATION_TYPE;
    const std::wstring wide = widen(text);
    LPCWSTR strings[] = {wide.c_str()};
    ::ReportEventW(log, kind, 0, 1, nullptr, 1, 0, strings, nullptr);
}

}  // namespace sentinel::platform
