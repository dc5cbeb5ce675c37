#pragma once

#include <string>
#include <utility>
#include <variant>

namespace sentinel {

// The outcome of a fallible call: ok, or an error with a message meant for a person.
// Library borders return Status or Result<T>; exceptions never cross them.
class [[nodiscard]] Status {
  public:
    Status() = default;  // ok

    static Status ok() { return Status(); }
    static Status error(std::string message) { return Status(std::move(message)); }

    bool is_ok() const { return !failed_; }
    explicit operator bool() const { return is_ok(); }
    // Empty when ok.
    const std::string& message() const { return message_; }

  private:
    explicit Status(std::string message) : failed_(true), message_(std::move(message)) {}

    bool failed_ = false;
    std::string message_;
};

struct Error {
    std::string message;
};

// A value or an Error (a small std::expected for C++20).
template <typename T>
class [[nodiscard]] Result {
  public:
    Result(T value) : state_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
    Result(Error error) : state_(std::move(error)) {}  // NOLINT(google-explicit-constructor)
    Result(Status status) : state_(Error{status.message()}) {}  // NOLINT: only for failures

    bool is_ok() const { return std::holds_alternative<T>(state_); }
    explicit operator bool() const { return is_ok(); }

    T& value() & { return std::get<T>(state_); }
    const T& value() const& { return std::get<T>(state_); }
    T&& value() && { return std::get<T>(std::move(state_)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const std::string& error() const { return std::get<Error>(state_).message; }
    Status status() const { return is_ok() ? Status::ok() : Status::error(error()); }

  private:
    std::variant<T, Error> state_;
};

}  // namespace sentinel
