// The libpcap calls pcap_source.cc makes, for Windows, where no libpcap is linked:
// - live handles go to Npcap's wpcap.dll, loaded at run time (so the agent starts, and reads
//   files, on a machine without Npcap, and says what to install when live capture is asked for);
// - file handles are served by the built-in reader (capture_file.h). A capture filter on a file
//   is compiled and applied with Npcap's pcap_compile/pcap_offline_filter when Npcap is there.
// pcap.h is used for the types and declarations only; pcap_t is this file's `struct pcap`.

// clang-format off
#include <winsock2.h>
#include <windows.h>
// clang-format on
#include <pcap/pcap.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "capture/capture_file.h"
#include "capture/live_support.h"

namespace {

// Function pointers into wpcap.dll; the optional ones may be missing from old versions.
struct NpcapApi {
    HMODULE dll = nullptr;
    decltype(&::pcap_findalldevs) findalldevs = nullptr;
    decltype(&::pcap_freealldevs) freealldevs = nullptr;
    decltype(&::pcap_create) create = nullptr;
    decltype(&::pcap_activate) activate = nullptr;
    decltype(&::pcap_set_snaplen) set_snaplen = nullptr;
    decltype(&::pcap_set_promisc) set_promisc = nullptr;
    decltype(&::pcap_set_timeout) set_timeout = nullptr;
    decltype(&::pcap_set_buffer_size) set_buffer_size = nullptr;
    decltype(&::pcap_set_immediate_mode) set_immediate_mode = nullptr;      // optional
    decltype(&::pcap_set_tstamp_precision) set_tstamp_precision = nullptr;  // optional
    decltype(&::pcap_get_tstamp_precision) get_tstamp_precision = nullptr;  // optional
    decltype(&::pcap_statustostr) statustostr = nullptr;                    // optional
    decltype(&::pcap_dispatch) dispatch = nullptr;
    decltype(&::pcap_breakloop) breakloop = nullptr;
    decltype(&::pcap_stats) stats = nullptr;
    decltype(&::pcap_datalink) datalink = nullptr;
    decltype(&::pcap_geterr) geterr = nullptr;
    decltype(&::pcap_close) close = nullptr;
    decltype(&::pcap_compile) compile = nullptr;
    decltype(&::pcap_setfilter) setfilter = nullptr;
    decltype(&::pcap_freecode) freecode = nullptr;
    decltype(&::pcap_open_dead) open_dead = nullptr;
    decltype(&::pcap_offline_filter) offline_filter = nullptr;
};

template <typename Fn>
bool resolve(HMODULE dll, const char* name, Fn& out) {
    out = reinterpret_cast<Fn>(reinterpret_cast<void*>(::GetProcAddress(dll, name)));
    return out != nullptr;
}

HMODULE load_wpcap() {
    // Npcap's own folder first (its Packet.dll sits next to wpcap.dll there), then the default
    // search, which finds Npcap's WinPcap-compatible copy in System32.
    wchar_t system_dir[MAX_PATH] = {};
    const UINT n = ::GetSystemDirectoryW(system_dir, MAX_PATH);
    if (n > 0 && n < MAX_PATH - 32) {
        const std::wstring path = std::wstring(system_dir, n) + L"\\Npcap\\wpcap.dll";
        if (HMODULE dll = ::LoadLibraryExW(path.c_str(), nullptr, LOAD_WITH_ALTERED_SEARCH_PATH)) {
            return dll;
        }
    }
    return ::LoadLibraryW(L"wpcap.dll");
}

NpcapApi load_api() {
    NpcapApi api;
    HMODULE dll = load_wpcap();
    if (dll == nullptr) {
        return api;
    }
    bool ok = true;
    ok &= resolve(dll, "pcap_findalldevs", api.findalldevs);
    ok &= resolve(dll, "pcap_freealldevs", api.freealldevs);
    ok &= resolve(dll, "pcap_create", api.create);
    ok &= resolve(dll, "pcap_activate", api.activate);
    ok &= resolve(dll, "pcap_set_snaplen", api.set_snaplen);
    ok &= resolve(dll, "pcap_set_promisc", api.set_promisc);
    ok &= resolve(dll, "pcap_set_timeout", api.set_timeout);
    ok &= resolve(dll, "pcap_set_buffer_size", api.set_buffer_size);
    ok &= resolve(dll, "pcap_dispatch", api.dispatch);
    ok &= resolve(dll, "pcap_breakloop", api.breakloop);
    ok &= resolve(dll, "pcap_stats", api.stats);
    ok &= resolve(dll, "pcap_datalink", api.datalink);
    ok &= resolve(dll, "pcap_geterr", api.geterr);
    ok &= resolve(dll, "pcap_close", api.close);
    ok &= resolve(dll, "pcap_compile", api.compile);
    ok &= resolve(dll, "pcap_setfilter", api.setfilter);
    ok &= resolve(dll, "pcap_freecode", api.freecode);
    ok &= resolve(dll, "pcap_open_dead", api.open_dead);
    ok &= resolve(dll, "pcap_offline_filter", api.offline_filter);
    resolve(dll, "pcap_set_immediate_mode", api.set_immediate_mode);
    resolve(dll, "pcap_set_tstamp_precision", api.set_tstamp_precision);
    resolve(dll, "pcap_get_tstamp_precision", api.get_tstamp_precision);
    resolve(dll, "pcap_statustostr", api.statustostr);
    if (!ok) {
        ::FreeLibrary(dll);
        return NpcapApi{};
    }
    api.dll = dll;
    return api;
}

// Npcap's functions, or null when it is not installed (loaded once, on first use).
const NpcapApi* npcap() {
    static const NpcapApi api = load_api();
    return api.dll != nullptr ? &api : nullptr;
}

void set_errbuf(char* errbuf, const std::string& text) {
    if (errbuf != nullptr) {
        std::snprintf(errbuf, PCAP_ERRBUF_SIZE, "%s", text.c_str());
    }
}

}  // namespace

// A capture handle: an Npcap handle for an interface, or the built-in reader for a file.
struct pcap {
    pcap_t* live = nullptr;
    std::unique_ptr<sentinel::capture::CaptureFileReader> file;
    bool nanoseconds = false;
    std::atomic<bool> break_loop{false};
    bpf_program filter{};  // owned copy of the file's filter (bf_insns from new[])
    char error[PCAP_ERRBUF_SIZE] = {};

    ~pcap() { delete[] filter.bf_insns; }
};

namespace sentinel::capture {

Status live_capture_available() {
    return npcap() != nullptr ? Status::ok() : Status::error(kNpcapRequired);
}

}  // namespace sentinel::capture

extern "C" {

int pcap_findalldevs(pcap_if_t** all, char* errbuf) {
    const NpcapApi* api = npcap();
    if (api == nullptr) {
        set_errbuf(errbuf, sentinel::capture::kNpcapRequired);
        return PCAP_ERROR;
    }
    return api->findalldevs(all, errbuf);
}

void pcap_freealldevs(pcap_if_t* all) {
    if (const NpcapApi* api = npcap(); api != nullptr && all != nullptr) {
        api->freealldevs(all);
    }
}

pcap_t* pcap_create(const char* source, char* errbuf) {
    const NpcapApi* api = npcap();
    if (api == nullptr) {
        set_errbuf(errbuf, sentinel::capture::kNpcapRequired);
        return nullptr;
    }
    pcap_t* live = api->create(source, errbuf);
    if (live == nullptr) {
        return nullptr;
    }
    auto* handle = new pcap;
    handle->live = live;
    return handle;
}

int pcap_activate(pcap_t* p) { return npcap()->activate(p->live); }
int pcap_set_snaplen(pcap_t* p, int n) { return npcap()->set_snaplen(p->live, n); }
int pcap_set_promisc(pcap_t* p, int on) { return npcap()->set_promisc(p->live, on); }
int pcap_set_timeout(pcap_t* p, int ms) { return npcap()->set_timeout(p->live, ms); }
int pcap_set_buffer_size(pcap_t* p, int bytes) { return npcap()->set_buffer_size(p->live, bytes); }

int pcap_set_immediate_mode(pcap_t* p, int on) {
    const NpcapApi* api = npcap();
    return api->set_immediate_mode != nullptr ? api->set_immediate_mode(p->live, on) : 0;
}

int pcap_set_tstamp_precision(pcap_t* p, int precision) {
    const NpcapApi* api = npcap();
    return api->set_tstamp_precision != nullptr ? api->set_tstamp_precision(p->live, precision)
                                                : PCAP_ERROR_TSTAMP_PRECISION_NOTSUP;
}

int pcap_get_tstamp_precision(pcap_t* p) {
    if (p->live == nullptr) {
        return p->nanoseconds ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO;
    }
    const NpcapApi* api = npcap();
    return api->get_tstamp_precision != nullptr ? api->get_tstamp_precision(p->live)
                                                : PCAP_TSTAMP_PRECISION_MICRO;
}

const char* pcap_statustostr(int status) {
    const NpcapApi* api = npcap();
    if (api != nullptr && api->statustostr != nullptr) {
        return api->statustostr(status);
    }
    return "capture error";
}

pcap_t* pcap_open_offline_with_tstamp_precision(const char* path, u_int precision, char* errbuf) {
    auto handle = std::make_unique<pcap>();
    handle->file = std::make_unique<sentinel::capture::CaptureFileReader>();
    handle->nanoseconds = precision == PCAP_TSTAMP_PRECISION_NANO;
    if (auto s = handle->file->open(path); !s.is_ok()) {
        // The caller names the file itself; keep only the reason.
        std::string reason = s.message();
        const std::string prefix = std::string("cannot open capture file ") + path + ": ";
        if (reason.rfind(prefix, 0) == 0) {
            reason = reason.substr(prefix.size());
        }
        set_errbuf(errbuf, reason);
        return nullptr;
    }
    return handle.release();
}

int pcap_datalink(pcap_t* p) {
    return p->live != nullptr ? npcap()->datalink(p->live) : p->file->datalink();
}

char* pcap_geterr(pcap_t* p) { return p->live != nullptr ? npcap()->geterr(p->live) : p->error; }

int pcap_compile(pcap_t* p, bpf_program* program, const char* text, int optimize,
                 bpf_u_int32 netmask) {
    const NpcapApi* api = npcap();
    if (p->live != nullptr) {
        return api->compile(p->live, program, text, optimize, netmask);
    }
    if (api == nullptr) {
        set_errbuf(p->error, "capture filters on files need Npcap on Windows (https://npcap.com)");
        return PCAP_ERROR;
    }
    pcap_t* dead = api->open_dead(p->file->datalink(), 262144);
    if (dead == nullptr) {
        set_errbuf(p->error, "cannot prepare the capture filter");
        return PCAP_ERROR;
    }
    const int rc = api->compile(dead, program, text, optimize, netmask);
    if (rc != 0) {
        set_errbuf(p->error, api->geterr(dead));
    }
    api->close(dead);
    return rc;
}

int pcap_setfilter(pcap_t* p, bpf_program* program) {
    if (p->live != nullptr) {
        return npcap()->setfilter(p->live, program);
    }
    delete[] p->filter.bf_insns;
    p->filter.bf_len = program->bf_len;
    p->filter.bf_insns = new bpf_insn[program->bf_len];
    std::memcpy(p->filter.bf_insns, program->bf_insns, sizeof(bpf_insn) * program->bf_len);
    return 0;
}

void pcap_freecode(bpf_program* program) {
    if (const NpcapApi* api = npcap(); api != nullptr) {
        api->freecode(program);
    }
}

int pcap_dispatch(pcap_t* p, int count, pcap_handler callback, u_char* user) {
    if (p->live != nullptr) {
        return npcap()->dispatch(p->live, count, callback, user);
    }
    const NpcapApi* api = p->filter.bf_insns != nullptr ? npcap() : nullptr;
    int delivered = 0;
    sentinel::capture::CaptureRecord record;
    while (count <= 0 || delivered < count) {
        if (p->break_loop.exchange(false)) {
            return delivered > 0 ? delivered : PCAP_ERROR_BREAK;
        }
        auto more = p->file->next(record);
        if (!more) {
            set_errbuf(p->error, more.error());
            return PCAP_ERROR;
        }
        if (!*more) {
            break;
        }
        pcap_pkthdr header{};
        const int64_t seconds = record.ts_ns / 1'000'000'000;
        const int64_t sub = record.ts_ns % 1'000'000'000;
        header.ts.tv_sec = static_cast<long>(seconds);
        header.ts.tv_usec = static_cast<long>(p->nanoseconds ? sub : sub / 1'000);
        header.caplen = static_cast<bpf_u_int32>(record.data.size());
        header.len = record.wire_len;
        if (api != nullptr && api->offline_filter(&p->filter, &header, record.data.data()) == 0) {
            continue;
        }
        callback(user, &header, record.data.data());
        ++delivered;
    }
    return delivered;
}

void pcap_breakloop(pcap_t* p) {
    if (p->live != nullptr) {
        npcap()->breakloop(p->live);
    } else {
        p->break_loop.store(true);
    }
}

int pcap_stats(pcap_t* p, pcap_stat* stats) {
    if (p->live != nullptr) {
        return npcap()->stats(p->live, stats);
    }
    set_errbuf(p->error, "statistics are not available for capture files");
    return PCAP_ERROR;
}

void pcap_close(pcap_t* p) {
    if (p == nullptr) {
        return;
    }
    if (p->live != nullptr) {
        npcap()->close(p->live);
    }
    delete p;
}

}  // extern "C"
