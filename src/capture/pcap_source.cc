#include "capture/pcap_source.h"

#include <pcap/pcap.h>

#include <cstring>
#include <utility>

#ifdef __linux__
#include <linux/if_packet.h>
#include <sys/socket.h>
#endif

#include "common/ip_address.h"

namespace sentinel::capture {
namespace {

struct DispatchContext {
    FrameCallback* on_frame;
    size_t count = 0;
    bool nanoseconds = true;
};

void on_pcap_frame(u_char* user, const pcap_pkthdr* header, const u_char* bytes) {
    auto* ctx = reinterpret_cast<DispatchContext*>(user);
    RawFrame frame;
    const int64_t sub = header->ts.tv_usec;
    frame.ts.ns = static_cast<int64_t>(header->ts.tv_sec) * 1'000'000'000 +
                  (ctx->nanoseconds ? sub : sub * 1'000);
    frame.wire_len = header->len;
    frame.data = std::span<const uint8_t>(bytes, header->caplen);
    (*ctx->on_frame)(frame);
    ++ctx->count;
}

// Compiles and installs a filter; the message quotes the filter and libpcap's reason.
Status apply_filter(pcap_t* handle, const std::string& bpf) {
    if (bpf.empty()) {
        return Status::ok();
    }
    bpf_program program{};
    if (pcap_compile(handle, &program, bpf.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
        return Status::error("invalid capture filter '" + bpf + "': " + pcap_geterr(handle));
    }
    const int rc = pcap_setfilter(handle, &program);
    pcap_freecode(&program);
    if (rc != 0) {
        return Status::error("cannot install capture filter '" + bpf + "': " + pcap_geterr(handle));
    }
    return Status::ok();
}

// Runs one pcap_dispatch round and maps its return codes.
Result<size_t> dispatch(pcap_t* handle, size_t max_frames, FrameCallback& on_frame,
                        std::atomic<bool>& finished, const std::string& what, bool is_file,
                        bool nanoseconds) {
    if (handle == nullptr) {
        return Error{"capture source " + what + " is not open"};
    }
    if (finished.load(std::memory_order_relaxed)) {
        return size_t{0};
    }
    DispatchContext ctx{&on_frame, 0, nanoseconds};
    const int limit = max_frames > 0x7fffffff ? 0x7fffffff : static_cast<int>(max_frames);
    const int rc = pcap_dispatch(handle, limit > 0 ? limit : 1, on_pcap_frame,
                                 reinterpret_cast<u_char*>(&ctx));
    if (rc == PCAP_ERROR_BREAK) {
        finished.store(true, std::memory_order_relaxed);
        return ctx.count;
    }
    if (rc < 0) {
        finished.store(true, std::memory_order_relaxed);
        return Error{(is_file ? "cannot read capture file " : "capture failed on ") + what + ": " +
                     pcap_geterr(handle)};
    }
    if (is_file && rc == 0) {
        finished.store(true, std::memory_order_relaxed);
    }
    return ctx.count;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
PcapFileSource::PcapFileSource(std::string path, std::string bpf)
    : path_(std::move(path)), bpf_(std::move(bpf)) {}

PcapFileSource::~PcapFileSource() { close(); }

Status PcapFileSource::open() {
    if (handle_ != nullptr) {
        return Status::error("capture file " + path_ + " is already open");
    }
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    handle_ =
        pcap_open_offline_with_tstamp_precision(path_.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (handle_ == nullptr) {
        return Status::error("cannot open capture file " + path_ + ": " + errbuf);
    }
    if (Status s = apply_filter(handle_, bpf_); !s) {
        close();
        return s;
    }
    datalink_ = pcap_datalink(handle_);
    finished_.store(false);
    return Status::ok();
}

Result<size_t> PcapFileSource::next_batch(size_t max_frames, FrameCallback on_frame) {
    Result<size_t> n = dispatch(handle_, max_frames, on_frame, finished_, path_, true, true);
    if (n) {
        delivered_ += *n;
    }
    return n;
}

CaptureStats PcapFileSource::stats() const {
    CaptureStats s;
    s.delivered = delivered_;
    return s;
}

void PcapFileSource::stop() {
    finished_.store(true);
    if (handle_ != nullptr) {
        pcap_breakloop(handle_);
    }
}

void PcapFileSource::close() {
    if (handle_ != nullptr) {
        pcap_close(handle_);
        handle_ = nullptr;
    }
}

// ---------------------------------------------------------------------------------------------
PcapLiveSource::PcapLiveSource(LiveOptions options) : options_(std::move(options)) {}

PcapLiveSource::~PcapLiveSource() { close(); }

Status PcapLiveSource::open() {
    if (handle_ != nullptr) {
        return Status::error("capture on " + options_.interface + " is already open");
    }
    if (options_.interface.empty()) {
        Result<std::string> chosen = choose_interface();
        if (!chosen) {
            return chosen.status();
        }
        options_.interface = std::move(chosen.value());
    }
    const std::string& iface = options_.interface;
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    handle_ = pcap_create(iface.c_str(), errbuf);
    if (handle_ == nullptr) {
        return Status::error("cannot capture on " + iface + ": " + errbuf);
    }
    // Settings only fail on an already-activated handle, which cannot happen here.
    (void)pcap_set_snaplen(handle_, options_.snap_length);
    (void)pcap_set_promisc(handle_, options_.promiscuous ? 1 : 0);
    (void)pcap_set_buffer_size(handle_, options_.buffer_bytes);
    (void)pcap_set_timeout(handle_, options_.timeout_ms);
    (void)pcap_set_immediate_mode(handle_, options_.immediate ? 1 : 0);
    (void)pcap_set_tstamp_precision(handle_, PCAP_TSTAMP_PRECISION_NANO);

    const int rc = pcap_activate(handle_);
    if (rc < 0) {
        std::string reason;
        switch (rc) {
            case PCAP_ERROR_PERM_DENIED:
            case PCAP_ERROR_PROMISC_PERM_DENIED:
                reason =
                    "permission denied; run as root or grant the CAP_NET_RAW capability "
                    "(setcap cap_net_raw,cap_net_admin=eip <agent binary>)";
                break;
            case PCAP_ERROR_NO_SUCH_DEVICE:
                reason = "no such interface";
                break;
            case PCAP_ERROR_IFACE_NOT_UP:
                reason = "the interface is down";
                break;
            default:
                reason = pcap_geterr(handle_);
                if (reason.empty()) {
                    reason = pcap_statustostr(rc);
                }
                break;
        }
        close();
        return Status::error("cannot capture on " + iface + ": " + reason);
    }
    if (Status s = apply_filter(handle_, options_.bpf); !s) {
        close();
        return s;
    }
    // Not every interface grants nanosecond stamps; read what was granted.
    nanoseconds_ = pcap_get_tstamp_precision(handle_) == PCAP_TSTAMP_PRECISION_NANO;
    datalink_ = pcap_datalink(handle_);
    finished_.store(false);
    return Status::ok();
}

Result<size_t> PcapLiveSource::next_batch(size_t max_frames, FrameCallback on_frame) {
    Result<size_t> n =
        dispatch(handle_, max_frames, on_frame, finished_, options_.interface, false, nanoseconds_);
    if (n) {
        delivered_ += *n;
    }
    return n;
}

CaptureStats PcapLiveSource::stats() const {
    CaptureStats s;
    s.delivered = delivered_;
    pcap_stat ps{};
    if (handle_ != nullptr && pcap_stats(handle_, &ps) == 0) {
        s.kernel_stats = true;
        s.received = ps.ps_recv;
        s.dropped = ps.ps_drop;
        s.interface_dropped = ps.ps_ifdrop;
    }
    return s;
}

std::string PcapLiveSource::ring_kind() const {
#ifdef __linux__
    if (handle_ != nullptr) {
        int version = -1;
        socklen_t size = sizeof(version);
        if (::getsockopt(pcap_fileno(handle_), SOL_PACKET, PACKET_VERSION, &version, &size) == 0) {
            switch (version) {
                case TPACKET_V1:
                    return "TPACKET_V1";
                case TPACKET_V2:
                    return "TPACKET_V2";
                case TPACKET_V3:
                    return "TPACKET_V3";
                default:
                    break;
            }
        }
    }
#endif
    return {};
}

void PcapLiveSource::stop() {
    finished_.store(true);
    if (handle_ != nullptr) {
        pcap_breakloop(handle_);
    }
}

void PcapLiveSource::close() {
    if (handle_ != nullptr) {
        pcap_close(handle_);
        handle_ = nullptr;
    }
}

// ---------------------------------------------------------------------------------------------
Result<std::unique_ptr<PacketSource>> open_source(const SourceOptions& options) {
    std::unique_ptr<PacketSource> source;
    if (!options.read_file.empty()) {
        source = std::make_unique<PcapFileSource>(options.read_file, options.live.bpf);
    } else {
        source = std::make_unique<PcapLiveSource>(options.live);
    }
    if (Status s = source->open(); !s) {
        return s;
    }
    return source;
}

// ---------------------------------------------------------------------------------------------
Result<std::vector<InterfaceInfo>> list_interfaces() {
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    pcap_if_t* all = nullptr;
    if (pcap_findalldevs(&all, errbuf) != 0) {
        return Error{std::string("cannot list capture interfaces: ") + errbuf};
    }
    std::vector<InterfaceInfo> out;
    for (pcap_if_t* d = all; d != nullptr; d = d->next) {
        InterfaceInfo info;
        info.name = d->name;
        info.description = d->description != nullptr ? d->description : "";
        info.up = (d->flags & PCAP_IF_UP) != 0;
        info.running = (d->flags & PCAP_IF_RUNNING) != 0;
        info.loopback = (d->flags & PCAP_IF_LOOPBACK) != 0;
        for (pcap_addr_t* a = d->addresses; a != nullptr; a = a->next) {
            if (a->addr == nullptr) {
                continue;
            }
            // sockaddr_in keeps the address at byte 4, sockaddr_in6 at byte 8, on every OS
            // (pcap.h brings the socket headers of the platform for AF_INET/AF_INET6).
            const auto* raw = reinterpret_cast<const uint8_t*>(a->addr);
            if (a->addr->sa_family == AF_INET) {
                info.addresses.push_back(IpAddress::v4(raw + 4).to_string());
            } else if (a->addr->sa_family == AF_INET6) {
                info.addresses.push_back(IpAddress::v6(raw + 8).to_string());
            }
        }
        out.push_back(std::move(info));
    }
    pcap_freealldevs(all);
    return out;
}

Result<std::string> choose_interface() {
    Result<std::vector<InterfaceInfo>> all = list_interfaces();
    if (!all) {
        return all.status();
    }
    for (const InterfaceInfo& info : *all) {
        if (info.up && !info.loopback && !info.addresses.empty()) {
            return info.name;
        }
    }
    return Error{"no capture interface is up with an address; name one with --iface"};
}

}  // namespace sentinel::capture
