#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace sentinel::decode {

// A bounds-checked cursor over untrusted bytes. Every read checks the remaining length first and
// reports failure instead of reading past the end; multi-byte reads are big-endian (network
// order) unless named otherwise. Never allocates; copying it is free.
class ByteReader {
  public:
    constexpr ByteReader() = default;
    constexpr explicit ByteReader(std::span<const uint8_t> data) : data_(data) {}

    constexpr size_t size() const { return data_.size(); }
    constexpr size_t offset() const { return offset_; }
    constexpr size_t remaining() const { return data_.size() - offset_; }
    constexpr bool has(size_t n) const { return n <= remaining(); }

    // The unread bytes; the view stays valid as long as the underlying buffer does.
    constexpr std::span<const uint8_t> rest() const { return data_.subspan(offset_); }
    constexpr std::span<const uint8_t> data() const { return data_; }

    // Moves to an absolute position; false (and no move) when beyond the end.
    constexpr bool seek(size_t pos) {
        if (pos > data_.size()) {
            return false;
        }
        offset_ = pos;
        return true;
    }
    constexpr bool skip(size_t n) {
        if (!has(n)) {
            return false;
        }
        offset_ += n;
        return true;
    }

    constexpr bool read_u8(uint8_t& out) {
        if (!has(1)) {
            return false;
        }
        out = data_[offset_];
        offset_ += 1;
        return true;
    }
    constexpr bool read_u16(uint16_t& out) {
        if (!has(2)) {
            return false;
        }
        out = static_cast<uint16_t>((data_[offset_] << 8) | data_[offset_ + 1]);
        offset_ += 2;
        return true;
    }
    constexpr bool read_u32(uint32_t& out) {
        if (!has(4)) {
            return false;
        }
        out = (uint32_t{data_[offset_]} << 24) | (uint32_t{data_[offset_ + 1]} << 16) |
              (uint32_t{data_[offset_ + 2]} << 8) | uint32_t{data_[offset_ + 3]};
        offset_ += 4;
        return true;
    }
    constexpr bool read_u32_le(uint32_t& out) {
        if (!has(4)) {
            return false;
        }
        out = (uint32_t{data_[offset_ + 3]} << 24) | (uint32_t{data_[offset_ + 2]} << 16) |
              (uint32_t{data_[offset_ + 1]} << 8) | uint32_t{data_[offset_]};
        offset_ += 4;
        return true;
    }
    // Takes the next n bytes as a view; false (and no move) when fewer remain.
    constexpr bool read_bytes(size_t n, std::span<const uint8_t>& out) {
        if (!has(n)) {
            return false;
        }
        out = data_.subspan(offset_, n);
        offset_ += n;
        return true;
    }

    // Reads without moving; false when out of bounds.
    constexpr bool peek_u8(size_t at, uint8_t& out) const {
        if (at >= data_.size()) {
            return false;
        }
        out = data_[at];
        return true;
    }
    constexpr bool peek_u16(size_t at, uint16_t& out) const {
        if (at > data_.size() || data_.size() - at < 2) {
            return false;
        }
        out = static_cast<uint16_t>((data_[at] << 8) | data_[at + 1]);
        return true;
    }

  private:
    std::span<const uint8_t> data_;
    size_t offset_ = 0;
};

}  // namespace sentinel::decode
