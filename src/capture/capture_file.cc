#include "capture/capture_file.h"

#include <cerrno>
#include <cstring>

namespace sentinel::capture {
namespace {

constexpr uint32_t kPcapMicro = 0xa1b2c3d4;
constexpr uint32_t kPcapNano = 0xa1b23c4d;
constexpr uint32_t kPcapMicroSwapped = 0xd4c3b2a1;
constexpr uint32_t kPcapNanoSwapped = 0x4d3cb2a1;
constexpr uint32_t kSectionHeader = 0x0a0d0d0a;
constexpr uint32_t kByteOrderMagic = 0x1a2b3c4d;
constexpr uint32_t kInterfaceBlock = 1;
constexpr uint32_t kObsoletePacketBlock = 2;
constexpr uint32_t kSimplePacketBlock = 3;
constexpr uint32_t kEnhancedPacketBlock = 6;
// A record or block larger than this is treated as corruption (libpcap uses 256 KiB for most
// link types; some allow more).
constexpr uint32_t kMaxRecord = 16u << 20;

uint32_t load_le32(const uint8_t* p) {
    return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
           static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

uint32_t bswap32(uint32_t v) {
    return (v >> 24) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24);
}

}  // namespace

int linktype_to_dlt(uint32_t linktype) {
    linktype &= 0x03ffffff;  // the upper bits carry FCS information
    switch (linktype) {
        case 100:
            return 11;  // LINKTYPE_ATM_RFC1483 -> DLT_ATM_RFC1483
        case 101:
            return 12;  // LINKTYPE_RAW -> DLT_RAW
        default:
            return static_cast<int>(linktype);
    }
}

CaptureFileReader::~CaptureFileReader() { close(); }

void CaptureFileReader::close() {
    if (file_ != nullptr) {
        std::fclose(file_);
        file_ = nullptr;
    }
}

uint32_t CaptureFileReader::u32(const uint8_t* p) const {
    const uint32_t v = load_le32(p);
    return swapped_ ? bswap32(v) : v;
}

uint16_t CaptureFileReader::u16(const uint8_t* p) const {
    const uint16_t v = static_cast<uint16_t>(p[0] | p[1] << 8);
    return swapped_ ? static_cast<uint16_t>((v >> 8) | (v << 8)) : v;
}

Status CaptureFileReader::corrupt(const std::string& what) const {
    return Status::error("cannot read capture file " + path_ + ": " + what);
}

Result<bool> CaptureFileReader::read_exact(void* out, size_t n, bool eof_ok) {
    const size_t got = n == 0 ? 0 : std::fread(out, 1, n, file_);
    if (got == n) {
        return true;
    }
    if (got == 0 && eof_ok && std::feof(file_)) {
        return false;
    }
    return corrupt(std::ferror(file_) ? "read error" : "truncated file");
}

Status CaptureFileReader::open(const std::string& path) {
    close();
    path_ = path;
    interfaces_.clear();
    datalink_ = -1;
    file_ = std::fopen(path.c_str(), "rb");
    if (file_ == nullptr) {
        return Status::error("cannot open capture file " + path + ": " + std::strerror(errno));
    }
    uint8_t magic_bytes[4];
    auto r = read_exact(magic_bytes, 4, true);
    if (!r || !*r) {
        close();
        return Status::error("cannot open capture file " + path +
                             ": the file is empty or unreadable");
    }
    const uint32_t magic = load_le32(magic_bytes);
    if (magic == kSectionHeader) {
        pcapng_ = true;
        if (Status s = read_section_header(magic); !s.is_ok()) {
            close();
            return s;
        }
        // libpcap reads up to the first interface description before reporting the link type.
        const long resume = std::ftell(file_);
        while (interfaces_.empty()) {
            uint8_t head[8];
            auto h = read_exact(head, 8, true);
            if (!h || !*h) {
                close();
                return Status::error("cannot open capture file " + path +
                                     ": no interface description block");
            }
            const uint32_t type = u32(head);
            const uint32_t length = u32(head + 4);
            if (length < 12 || length > kMaxRecord || length % 4 != 0) {
                close();
                return corrupt("bad block length");
            }
            buffer_.resize(length - 8);
            if (auto b = read_exact(buffer_.data(), buffer_.size(), false); !b) {
                close();
                return b.status();
            }
            if (type == kInterfaceBlock) {
                if (Status s = add_interface(buffer_.data(), buffer_.size() - 4); !s.is_ok()) {
                    close();
                    return s;
                }
            }
        }
        datalink_ = interfaces_.front().datalink;
        // Packets may precede nothing else; start again after the section header.
        interfaces_.clear();
        std::fseek(file_, resume, SEEK_SET);
        return Status::ok();
    }
    pcapng_ = false;
    if (magic == kPcapMicro || magic == kPcapNano) {
        swapped_ = false;
    } else if (magic == kPcapMicroSwapped || magic == kPcapNanoSwapped) {
        swapped_ = true;
    } else {
        close();
        return Status::error("cannot open capture file " + path +
                             ": unknown file format (not pcap or pcapng)");
    }
    nanos_ = magic == kPcapNano || magic == kPcapNanoSwapped;
    uint8_t header[20];
    if (auto h = read_exact(header, sizeof(header), false); !h) {
        close();
        return h.status();
    }
    snaplen_ = u32(header + 12);
    datalink_ = linktype_to_dlt(u32(header + 16));
    return Status::ok();
}

Status CaptureFileReader::read_section_header(uint32_t /*first_word_read*/) {
    uint8_t head[8];  // total length, byte-order magic
    if (auto r = read_exact(head, 8, false); !r) {
        return r.status();
    }
    const uint32_t bom = load_le32(head + 4);
    if (bom == kByteOrderMagic) {
        swapped_ = false;
    } else if (bom == bswap32(kByteOrderMagic)) {
        swapped_ = true;
    } else {
        return corrupt("bad pcapng byte-order magic");
    }
    const uint32_t length = u32(head);
    if (length < 28 || length > kMaxRecord || length % 4 != 0) {
        return corrupt("bad section header length");
    }
    buffer_.resize(length - 12);
    return read_exact(buffer_.data(), buffer_.size(), false).status();
}

Status CaptureFileReader::add_interface(const uint8_t* body, size_t size) {
    if (size < 8) {
        return corrupt("short interface description block");
    }
    Interface itf;
    itf.datalink = linktype_to_dlt(u16(body));
    if (snaplen_ == 0) {
        snaplen_ = u32(body + 4);
    }
    size_t pos = 8;
    while (pos + 4 <= size) {
        const uint16_t code = u16(body + pos);
        const uint16_t len = u16(body + pos + 2);
        pos += 4;
        if (code == 0 || pos + len > size) {
            break;
        }
        if (code == 9 && len >= 1) {  // if_tsresol
            const uint8_t v = body[pos];
            if (v & 0x80) {
                itf.binary_shift = v & 0x7f;
                if (itf.binary_shift > 63) {
                    return corrupt("bad if_tsresol");
                }
                itf.units_per_second = 0;
            } else {
                if (v > 19) {
                    return corrupt("bad if_tsresol");
                }
                itf.units_per_second = 1;
                for (uint8_t i = 0; i < v; ++i) {
                    itf.units_per_second *= 10;
                }
            }
        } else if (code == 14 && len >= 8) {  // if_tsoffset
            const uint64_t lo = u32(body + pos);
            const uint64_t hi = u32(body + pos + 4);
            itf.offset_seconds = static_cast<int64_t>(swapped_ ? (lo << 32 | hi) : (hi << 32 | lo));
        }
        pos += (len + 3u) & ~3u;
    }
    if (datalink_ >= 0 && itf.datalink != datalink_) {
        return corrupt("interfaces with different link types are not supported");
    }
    interfaces_.push_back(itf);
    return Status::ok();
}

int64_t CaptureFileReader::to_ns(const Interface& itf, uint64_t ts) const {
    int64_t seconds = 0;
    uint64_t frac_ns = 0;
    if (itf.units_per_second == 0) {
        seconds = static_cast<int64_t>(ts >> itf.binary_shift);
        const uint64_t frac = ts & ((uint64_t{1} << itf.binary_shift) - 1);
        frac_ns = static_cast<uint64_t>((static_cast<unsigned __int128>(frac) * 1'000'000'000u) >>
                                        itf.binary_shift);
    } else {
        seconds = static_cast<int64_t>(ts / itf.units_per_second);
        const uint64_t frac = ts % itf.units_per_second;
        frac_ns = static_cast<uint64_t>(static_cast<unsigned __int128>(frac) * 1'000'000'000u /
                                        itf.units_per_second);
    }
    return (seconds + itf.offset_seconds) * 1'000'000'000 + static_cast<int64_t>(frac_ns);
}

Result<bool> CaptureFileReader::next(CaptureRecord& out) {
    if (file_ == nullptr) {
        return Error{"capture file " + path_ + " is not open"};
    }
    return pcapng_ ? next_pcapng(out) : next_pcap(out);
}

Result<bool> CaptureFileReader::next_pcap(CaptureRecord& out) {
    uint8_t header[16];
    auto r = read_exact(header, sizeof(header), true);
    if (!r || !*r) {
        return r;
    }
    const uint32_t caplen = u32(header + 8);
    if (caplen > kMaxRecord) {
        return corrupt("a packet record is larger than " + std::to_string(kMaxRecord) + " bytes");
    }
    buffer_.resize(caplen);
    if (auto b = read_exact(buffer_.data(), caplen, false); !b) {
        return b;
    }
    const int64_t sec = u32(header);
    const int64_t frac = u32(header + 4);
    out.ts_ns = sec * 1'000'000'000 + (nanos_ ? frac : frac * 1'000);
    out.wire_len = u32(header + 12);
    out.data = std::span<const uint8_t>(buffer_.data(), caplen);
    return true;
}

Result<bool> CaptureFileReader::next_pcapng(CaptureRecord& out) {
    for (;;) {
        uint8_t head[8];
        auto r = read_exact(head, 8, true);
        if (!r || !*r) {
            return r;
        }
        if (load_le32(head) == kSectionHeader) {
            // A new section: its own byte order and interfaces.
            std::fseek(file_, -4, SEEK_CUR);
            interfaces_.clear();
            if (Status s = read_section_header(kSectionHeader); !s.is_ok()) {
                return s;
            }
            continue;
        }
        const uint32_t type = u32(head);
        const uint32_t length = u32(head + 4);
        if (length < 12 || length > kMaxRecord || length % 4 != 0) {
            return corrupt("bad block length");
        }
        buffer_.resize(length - 8);
        if (auto b = read_exact(buffer_.data(), buffer_.size(), false); !b) {
            return b;
        }
        const uint8_t* body = buffer_.data();
        const size_t size = buffer_.size() - 4;  // without the trailing length
        switch (type) {
            case kInterfaceBlock:
                if (Status s = add_interface(body, size); !s.is_ok()) {
                    return s;
                }
                continue;
            case kEnhancedPacketBlock:
            case kObsoletePacketBlock: {
                if (size < 20) {
                    return corrupt("short packet block");
                }
                const uint32_t itf = type == kEnhancedPacketBlock ? u32(body) : u16(body);
                if (itf >= interfaces_.size()) {
                    return corrupt("a packet names an unknown interface");
                }
                const uint64_t ts = static_cast<uint64_t>(u32(body + 4)) << 32 | u32(body + 8);
                const uint32_t caplen = u32(body + 12);
                if (caplen > size - 20) {
                    return corrupt("a packet is longer than its block");
                }
                out.ts_ns = to_ns(interfaces_[itf], ts);
                out.wire_len = u32(body + 16);
                out.data = std::span<const uint8_t>(body + 20, caplen);
                return true;
            }
            case kSimplePacketBlock: {
                if (interfaces_.empty() || size < 4) {
                    return corrupt("simple packet block without an interface");
                }
                const uint32_t wire = u32(body);
                uint32_t caplen = static_cast<uint32_t>(size - 4);
                if (wire < caplen) {
                    caplen = wire;
                }
                if (snaplen_ != 0 && caplen > snaplen_) {
                    caplen = snaplen_;
                }
                out.ts_ns = 0;
                out.wire_len = wire;
                out.data = std::span<const uint8_t>(body + 4, caplen);
                return true;
            }
            default:
                continue;  // statistics, name resolution, custom blocks
        }
    }
}

}  // namespace sentinel::capture
