// The Windows agent's notification-area icon (docs/windows.md), on a thread of its own with
// a hidden window for the icon's messages.
#include "platform/platform.h"

// clang-format off
#include <winsock2.h>
#include <windows.h>
// clang-format on
#include <shellapi.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <future>
#include <string>
#include <thread>
#include <vector>

namespace sentinel::platform {

namespace {

constexpr UINT kIconMessage = WM_APP + 1;
constexpr UINT kOpenDashboard = 1;
constexpr UINT kShowStatus = 2;
constexpr UINT kStopAgent = 3;
constexpr UINT_PTR kStopTimer = 1;

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

std::string narrow(const wchar_t* text) {
    const int n = ::WideCharToMultiByte(CP_UTF8, 0, text, -1, nullptr, 0, nullptr, nullptr);
    if (n <= 1) {
        return {};
    }
    std::string out(static_cast<size_t>(n), '\0');
    ::WideCharToMultiByte(CP_UTF8, 0, text, -1, out.data(), n, nullptr, nullptr);
    out.resize(static_cast<size_t>(n - 1));
    return out;
}

template <size_t N>
void copy_text(wchar_t (&out)[N], const std::wstring& text) {
    const size_t n = std::min(text.size(), N - 1);
    text.copy(out, n);
    out[n] = L'\0';
}

TrayOptions g_options;
std::thread g_thread;
std::atomic<HWND> g_window{nullptr};
NOTIFYICONDATAW g_icon{};

void show_status(HWND window) {
    const std::string text =
        g_options.status != nullptr ? g_options.status(g_options.context) : std::string();
    std::printf("%s\n", text.c_str());
    std::fflush(stdout);
    NOTIFYICONDATAW balloon = g_icon;
    balloon.uFlags = NIF_INFO;
    balloon.dwInfoFlags = NIIF_INFO;
    balloon.uTimeout = 6000;
    copy_text(balloon.szInfoTitle, L"NetSentinel Agent");
    copy_text(balloon.szInfo, widen(text));
    (void)window;
    ::Shell_NotifyIconW(NIM_MODIFY, &balloon);
}

// The icon's menu, the original's items (docs/windows.md); the caller destroys it.
HMENU build_menu() {
    HMENU menu = ::CreatePopupMenu();
    if (menu == nullptr) {
        return nullptr;
    }
    ::AppendMenuW(menu, MF_STRING | MF_GRAYED, 0, L"NetSentinel Agent");
    ::AppendMenuW(menu, MF_SEPARATOR, 0, nullptr);
    ::AppendMenuW(menu, MF_STRING, kOpenDashboard, L"Open Dashboard");
    ::AppendMenuW(menu, MF_STRING, kShowStatus, L"Show Status");
    ::AppendMenuW(menu, MF_SEPARATOR, 0, nullptr);
    ::AppendMenuW(menu, MF_STRING, kStopAgent, L"Stop Agent");
    ::SetMenuDefaultItem(menu, kOpenDashboard, FALSE);
    return menu;
}

void show_menu(HWND window) {
    HMENU menu = build_menu();
    if (menu == nullptr) {
        return;
    }
    POINT at{};
    ::GetCursorPos(&at);
    ::SetForegroundWindow(window);  // so the menu closes when the user clicks elsewhere
    const UINT chosen = static_cast<UINT>(::TrackPopupMenu(
        menu, TPM_RETURNCMD | TPM_RIGHTBUTTON | TPM_NONOTIFY, at.x, at.y, 0, window, nullptr));
    ::DestroyMenu(menu);
    if (chosen != 0) {
        ::PostMessageW(window, WM_COMMAND, chosen, 0);
    }
}

LRESULT CALLBACK on_message(HWND window, UINT message, WPARAM wparam, LPARAM lparam) {
    switch (message) {
        case kIconMessage:
            if (LOWORD(lparam) == WM_RBUTTONUP || LOWORD(lparam) == WM_CONTEXTMENU) {
                show_menu(window);
            } else if (LOWORD(lparam) == WM_LBUTTONDBLCLK) {
                ::PostMessageW(window, WM_COMMAND, kOpenDashboard, 0);
            }
            return 0;
        case WM_COMMAND:
            switch (LOWORD(wparam)) {
                case kOpenDashboard:
                    ::ShellExecuteW(nullptr, L"open", widen(g_options.dashboard_url).c_str(),
                                    nullptr, nullptr, SW_SHOWNORMAL);
                    return 0;
                case kShowStatus:
                    show_status(window);
                    return 0;
                case kStopAgent:
                    request_stop(SIGINT);
                    ::DestroyWindow(window);
                    return 0;
                default:
                    break;
            }
            break;
        case WM_TIMER:
            if (stop_requested()) {
                ::DestroyWindow(window);
            }
            return 0;
        case WM_DESTROY:
            ::KillTimer(window, kStopTimer);
            ::Shell_NotifyIconW(NIM_DELETE, &g_icon);
            ::PostQuitMessage(0);
            return 0;
        default:
            break;
    }
    return ::DefWindowProcW(window, message, wparam, lparam);
}

void run(std::promise<Status> started) {
    HINSTANCE instance = ::GetModuleHandleW(nullptr);
    WNDCLASSW cls{};
    cls.lpfnWndProc = on_message;
    cls.hInstance = instance;
    cls.lpszClassName = L"NetSentinelAgentTray";
    ::RegisterClassW(&cls);
    HWND window = ::CreateWindowW(cls.lpszClassName, L"NetSentinelAgent", 0, 0, 0, 0, 0, nullptr,
                                  nullptr, instance, nullptr);
    if (window == nullptr) {
        started.set_value(Status::error("no desktop to show the notification-area icon on"));
        return;
    }
    g_icon = NOTIFYICONDATAW{};
    g_icon.cbSize = sizeof(g_icon);
    g_icon.hWnd = window;
    g_icon.uID = 1;
    g_icon.uFlags = NIF_ICON | NIF_MESSAGE | NIF_TIP;
    g_icon.uCallbackMessage = kIconMessage;
    g_icon.hIcon = ::LoadIconW(nullptr, MAKEINTRESOURCEW(32518));  // IDI_SHIELD
    copy_text(g_icon.szTip, widen(g_options.tooltip));
    if (!::Shell_NotifyIconW(NIM_ADD, &g_icon)) {
        ::DestroyWindow(window);
        started.set_value(Status::error("the notification area is not available"));
        return;
    }
    ::SetTimer(window, kStopTimer, 500, nullptr);
    g_window.store(window);
    started.set_value(Status::ok());
    MSG message;
    while (::GetMessageW(&message, nullptr, 0, 0) > 0) {
        ::TranslateMessage(&message);
        ::DispatchMessageW(&message);
    }
    g_window.store(nullptr);
}

}  // namespace

Status start_tray(const TrayOptions& options) {
    if (g_thread.joinable()) {
        return Status::error("the notification-area icon is already shown");
    }
    g_options = options;
    std::promise<Status> started;
    auto result = started.get_future();
    g_thread = std::thread(run, std::move(started));
    Status s = result.get();
    if (!s.is_ok()) {
        g_thread.join();
    }
    return s;
}

std::vector<std::string> tray_menu_items() {
    std::vector<std::string> items;
    HMENU menu = build_menu();
    if (menu == nullptr) {
        return items;
    }
    const int count = ::GetMenuItemCount(menu);
    const UINT default_id = ::GetMenuDefaultItem(menu, FALSE, 0);
    for (int i = 0; i < count; ++i) {
        const UINT state = ::GetMenuState(menu, static_cast<UINT>(i), MF_BYPOSITION);
        if ((state & MF_SEPARATOR) != 0) {
            items.emplace_back("-");
            continue;
        }
        wchar_t label[64] = {};
        ::GetMenuStringW(menu, static_cast<UINT>(i), label, 64, MF_BYPOSITION);
        std::string item = narrow(label);
        if ((state & MF_GRAYED) != 0) {
            item += " (disabled)";
        }
        if (default_id != static_cast<UINT>(-1) && ::GetMenuItemID(menu, i) == default_id) {
            item += " (default)";
        }
        items.push_back(std::move(item));
    }
    ::DestroyMenu(menu);
    return items;
}

Status tray_command(TrayCommand command) {
    HWND window = g_window.load();
    if (window == nullptr) {
        return Status::error("the notification-area icon is not shown");
    }
    const UINT id = command == TrayCommand::kOpenDashboard ? kOpenDashboard
                    : command == TrayCommand::kShowStatus  ? kShowStatus
                                                           : kStopAgent;
    return ::PostMessageW(window, WM_COMMAND, id, 0)
               ? Status::ok()
               : Status::error("the notification-area icon did not take the command");
}

void stop_tray() {
    if (HWND window = g_window.load()) {
        ::SendMessageTimeoutW(window, WM_CLOSE, 0, 0, SMTO_ABORTIFHUNG, 2000, nullptr);
    }
    if (g_thread.joinable()) {
        g_thread.join();
    }
}

}  // namespace sentinel::platform
