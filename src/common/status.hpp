#pragma once
// Errors as values for store and bus calls: cheap on success, named factories, ok() checks.
#include <cstdint>
#include <string>
#include <utility>

namespace parley {

class Status {
 public:
  enum class Code {
    ok, not_found, conflict, limit_exceeded, invalid, forbidden, too_large, unavailable, io_error,
    rate_limited,  // too many requests of one user; retry later
    unauthorized,  // the credentials are no longer valid (a revoked token)
    muted,         // the user is muted in the room until until_ms()
    filtered,      // the text holds a word the word filter rejects
    busy,          // the store is behind: refused before queuing; retry after retry_after_ms()
    rejected,      // the application's backend refused it (the publish hook), for the reason given
  };

  Status() = default;
  static Status ok() { return {}; }
  static Status not_found(std::string m) { return {Code::not_found, std::move(m)}; }
  static Status conflict(std::string m) { return {Code::conflict, std::move(m)}; }
  static Status limit_exceeded(std::string m) { return {Code::limit_exceeded, std::move(m)}; }
  static Status invalid(std::string m) { return {Code::invalid, std::move(m)}; }
  static Status forbidden(std::string m) { return {Code::forbidden, std::move(m)}; }
  static Status too_large(std::string m) { return {Code::too_large, std::move(m)}; }
  static Status unavailable(std::string m) { return {Code::unavailable, std::move(m)}; }
  static Status io_error(std::string m) { return {Code::io_error, std::move(m)}; }
  // `retry_after_ms`: when the next one would be taken (0: not known).
  static Status rate_limited(std::string m, int64_t retry_after_ms = 0) {
    Status s{Code::rate_limited, std::move(m)};
    s.retry_after_ms_ = retry_after_ms;
    return s;
  }
  static Status unauthorized(std::string m) { return {Code::unauthorized, std::move(m)}; }
  static Status filtered(std::string m) { return {Code::filtered, std::move(m)}; }
  static Status rejected(std::string m) { return {Code::rejected, std::move(m)}; }
  static Status busy(std::string m, int64_t retry_after_ms) {
    Status s{Code::busy, std::move(m)};
    s.retry_after_ms_ = retry_after_ms;
    return s;
  }
  static Status muted(std::string m, int64_t until_ms) {
    Status s{Code::muted, std::move(m)};
    s.until_ms_ = until_ms;
    return s;
  }

  bool is_ok() const { return code_ == Code::ok; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // muted: when the mute ends (ms since the epoch), else 0.
  int64_t until_ms() const { return until_ms_; }
  // busy, rate_limited: how long the client should wait before sending again, else 0.
  int64_t retry_after_ms() const { return retry_after_ms_; }

 private:
  Status(Code c, std::string m) : code_(c), message_(std::move(m)) {}
  Code code_ = Code::ok;
  std::string message_;
  int64_t until_ms_ = 0;
  int64_t retry_after_ms_ = 0;
};

// A value or the Status explaining its absence. `value` is meaningful only when ok().
template <class T>
struct Result {
  Status status;
  T value{};

  Result() = default;
  Result(T v) : value(std::move(v)) {}  // NOLINT: implicit on purpose, like expected<T>
  Result(Status s) : status(std::move(s)) {}  // NOLINT
  bool ok() const { return status.is_ok(); }
};

}  // namespace parley
