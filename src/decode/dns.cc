#include "decode/dns.h"

#include "decode/byte_reader.h"

namespace sentinel::decode {

bool read_dns_name(std::span<const uint8_t> msg, size_t start, char* out, uint16_t& out_len,
                   size_t& next, AnomalyCounters& anomalies) {
    out_len = 0;
    size_t pos = start;
    // Every pointer must land before this bound, which then drops to the pointer's target: the
    // walk only ever moves backwards across jumps, so a loop cannot form.
    size_t limit = start;
    size_t wire_len = 0;
    size_t text_len = 0;
    bool jumped = false;
    int jumps = 0;
    auto fail = [&](Anomaly a) {
        anomalies.add(a);
        out_len = 0;
        return false;
    };
    for (;;) {
        if (pos >= msg.size()) {
            return fail(Anomaly::kTruncatedDnsName);
        }
        const uint8_t b = msg[pos];
        if (b == 0) {
            if (!jumped) {
                next = pos + 1;
            }
            out_len = static_cast<uint16_t>(text_len);
            return true;
        }
        switch (b & 0xC0) {
            case 0xC0: {
                if (pos + 1 >= msg.size()) {
                    return fail(Anomaly::kTruncatedDnsName);
                }
                const size_t target = (static_cast<size_t>(b & 0x3F) << 8) | msg[pos + 1];
                if (target >= limit) {
                    // Into the part of the name already walked (or the pointer itself) is a
                    // loop; anything past the pointer is a forward reference.
                    return fail(target <= pos + 1 ? Anomaly::kDnsPointerLoop
                                                  : Anomaly::kDnsPointerForward);
                }
                if (++jumps > kDnsMaxPointerJumps) {
                    return fail(Anomaly::kDnsTooManyPointers);
                }
                if (!jumped) {
                    next = pos + 2;
                    jumped = true;
                }
                limit = target;
                pos = target;
                continue;
            }
            case 0x40:
            case 0x80:
                // Extended (0x40) and reserved (0x80) label types; read as lengths they exceed 63.
                return fail(Anomaly::kDnsLabelTooLong);
            default:
                break;
        }
        const size_t len = b;
        if (len > msg.size() - pos - 1) {
            return fail(Anomaly::kTruncatedDnsName);
        }
        wire_len += 1 + len;
        if (wire_len + 1 > kDnsMaxWireName) {  // + 1 for the terminating root label
            return fail(Anomaly::kDnsNameTooLong);
        }
        // wire_len <= 254 bounds the text to 252 bytes, inside DnsInfo::kMaxName.
        if (text_len > 0) {
            out[text_len++] = '.';
        }
        for (size_t i = 0; i < len; ++i) {
            out[text_len++] = static_cast<char>(msg[pos + 1 + i]);
        }
        pos += 1 + len;
    }
}

bool decode_dns_message(std::span<const uint8_t> msg, DnsInfo& out, AnomalyCounters& anomalies) {
    ByteReader r(msg);
    uint16_t id = 0, flags = 0, qd = 0, an = 0, ns = 0, ar = 0;
    if (!r.read_u16(id) || !r.read_u16(flags) || !r.read_u16(qd) || !r.read_u16(an) ||
        !r.read_u16(ns) || !r.read_u16(ar)) {
        anomalies.add(Anomaly::kTruncatedDnsHeader);
        return false;
    }
    out.id = id;
    out.is_response = (flags & 0x8000) != 0;
    out.question_count = qd;
    out.answer_count = an;
    out.qtype = 0;
    out.qname_len = 0;
    if (qd == 0) {
        return false;
    }
    size_t next = 0;
    uint16_t len = 0;
    if (!read_dns_name(msg, r.offset(), out.qname, len, next, anomalies)) {
        return false;
    }
    uint16_t qtype = 0, qclass = 0;
    if (!r.seek(next) || !r.read_u16(qtype) || !r.read_u16(qclass)) {
        anomalies.add(Anomaly::kTruncatedDnsQuestion);
        return false;
    }
    out.qtype = qtype;
    out.qname_len = len;
    return true;
}

}  // namespace sentinel::decode
