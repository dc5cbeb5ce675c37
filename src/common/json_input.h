#pragma once

// The one way in for JSON that comes from outside the process: request bodies, server answers,
// VirusTotal replies, config, spool records, rule files. A document is checked while it is read
// (nlohmann's event-driven SAX interface, an explicit stack inside nlohmann, no recursion) and
// refused as soon as it exceeds a limit, so the DOM that comes out is at most `max_depth` deep:
// the recursive parts of nlohmann (copy, dump, comparison) are then safe to use on it.

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace sentinel::json_input {

struct Limits {
    size_t max_bytes = 4 * 1024 * 1024;  // of the whole document
    size_t max_depth = 32;               // nested objects and arrays
    size_t max_values = 200'000;         // values of any kind, in total
    size_t max_string = 256 * 1024;      // bytes of one string or key
};

namespace detail {

// Builds the DOM through nlohmann's own SAX DOM builder and refuses what exceeds the limits.
// The path of the value being read (keys and indices) names the field in errors.
template <typename J>
class BoundedSax {
  public:
    using Builder = nlohmann::detail::json_sax_dom_parser<J>;
    using number_integer_t = typename J::number_integer_t;
    using number_unsigned_t = typename J::number_unsigned_t;
    using number_float_t = typename J::number_float_t;
    using string_t = typename J::string_t;
    using binary_t = typename J::binary_t;

    BoundedSax(J& out, const Limits& limits) : builder_(out, false), limits_(limits) {}

    bool null() { return value() && builder_.null(); }
    bool boolean(bool v) { return value() && builder_.boolean(v); }
    bool number_integer(number_integer_t v) { return value() && builder_.number_integer(v); }
    bool number_unsigned(number_unsigned_t v) { return value() && builder_.number_unsigned(v); }
    bool number_float(number_float_t v, const string_t& s) {
        return value() && builder_.number_float(v, s);
    }
    bool string(string_t& v) {
        if (!value())
            return false;
        if (v.size() > limits_.max_string)
            return fail("string longer than " + std::to_string(limits_.max_string) + " bytes");
        return builder_.string(v);
    }
    bool binary(binary_t&) { return fail("binary values are not JSON"); }
    bool start_object(std::size_t n) {
        if (!value() || !push(true))
            return false;
        return builder_.start_object(n);
    }
    bool key(string_t& k) {
        if (k.size() > limits_.max_string)
            return fail("key longer than " + std::to_string(limits_.max_string) + " bytes");
        frames_.back().key = k.substr(0, 64);
        return builder_.key(k);
    }
    bool end_object() {
        frames_.pop_back();
        return builder_.end_object();
    }
    bool start_array(std::size_t n) {
        if (!value() || !push(false))
            return false;
        return builder_.start_array(n);
    }
    bool end_array() {
        frames_.pop_back();
        return builder_.end_array();
    }
    template <typename Exception>
    bool parse_error(std::size_t position, const std::string&, const Exception&) {
        if (error_.empty())
            error_ = "invalid JSON at byte " + std::to_string(position);
        return false;
    }

    const std::string& error() const { return error_; }

  private:
    struct Frame {
        bool object;
        std::string key;   // the current key in an object (cut to 64 bytes for messages)
        size_t index = 0;  // the next index in an array
    };

    // Counts one value and moves the array index on.
    bool value() {
        if (++values_ > limits_.max_values)
            return fail("more than " + std::to_string(limits_.max_values) + " values");
        if (!frames_.empty() && !frames_.back().object)
            ++frames_.back().index;
        return true;
    }
    bool push(bool object) {
        if (frames_.size() >= limits_.max_depth)
            return fail("nested deeper than " + std::to_string(limits_.max_depth) + " levels");
        frames_.push_back(Frame{object, {}, 0});
        return true;
    }
    bool fail(const std::string& what) {
        if (error_.empty()) {
            const std::string where = path();
            error_ = where.empty() ? what : "field '" + where + "': " + what;
        }
        return false;
    }
    // "alerts[3].src": the value being read when the limit was hit.
    std::string path() const {
        std::string p;
        for (const auto& f : frames_) {
            if (f.object) {
                if (f.key.empty())
                    continue;
                if (!p.empty())
                    p += '.';
                p += f.key;
            } else {
                p += '[' + std::to_string(f.index == 0 ? 0 : f.index - 1) + ']';
            }
        }
        return p;
    }

    Builder builder_;
    const Limits& limits_;
    std::vector<Frame> frames_;
    size_t values_ = 0;
    std::string error_;
};

}  // namespace detail

// Parses `text` into J (nlohmann::json or nlohmann::ordered_json), or an error that says which
// limit or which byte was wrong, and in which field.
template <typename J = nlohmann::json>
Result<J> parse(std::string_view text, const Limits& limits = {}) {
    if (text.size() > limits.max_bytes) {
        return Error{"document larger than " + std::to_string(limits.max_bytes) + " bytes"};
    }
    J out;
    detail::BoundedSax<J> sax(out, limits);
    bool ok = false;
    try {
        ok = J::sax_parse(text, &sax, J::input_format_t::json, /*strict=*/true);
    } catch (const std::exception& e) {
        // nlohmann reports through the SAX handler; this is a last line of defence.
        return Error{std::string("invalid JSON: ") + e.what()};
    }
    if (!ok) {
        return Error{sax.error().empty() ? "invalid JSON" : sax.error()};
    }
    return out;
}

}  // namespace sentinel::json_input
