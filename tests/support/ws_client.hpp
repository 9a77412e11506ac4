// A WebSocket client (Boost.Beast) running on its own io_context thread.
//
// Every text frame the server sends is parsed as a JSON object and kept in an inbox,
// with the time it arrived. Tests wait for frames with a predicate and a deadline:
// `expect` returns the first not-yet-taken frame that matches and marks it taken, so two
// calls with the same predicate return two different frames. Everything received stays
// visible to `received()` and `count()`.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

namespace parley::test {

using Clock = std::chrono::steady_clock;
using Pred = std::function<bool(const boost::json::object&)>;

inline constexpr std::chrono::milliseconds kWait{5000};

// Matches objects holding every key of `pattern` with an equal value.
Pred has(boost::json::object pattern);
// Matches objects whose "type" is `type`.
Pred is_type(std::string type);

struct ConnectOptions {
  std::optional<std::string> token;   // sent as /ws?token=...
  std::optional<std::string> bearer;  // sent as Authorization: Bearer ...
  std::optional<std::string> origin;  // sent as Origin
  std::vector<std::pair<std::string, std::string>> headers;  // more request headers (Cookie, …)
  std::string target;                 // request target; default "/ws" (+ ?token=)
  bool read = true;                   // start reading (and answering pings) right away
  std::chrono::milliseconds timeout{10000};
};

struct ConnectResult {
  bool upgraded = false;
  int status = 0;     // HTTP status of the server's response (101 if upgraded), 0 if none
  std::string body;   // response body when the upgrade was declined
  std::string error;  // transport/handshake error text
};

struct CloseInfo {
  bool closed = false;       // the connection is finished
  bool close_frame = false;  // the server sent a close frame
  int code = 0;              // its close code (0 without a close frame)
  std::string reason;
  std::string error;         // what ended the read loop when it was not a close frame
  std::string describe() const;
};

struct Received {
  boost::json::object obj;    // {"__invalid_json": text} / {"__binary": size} for odd frames
  Clock::time_point at;
};

class WsClient {
public:
  explicit WsClient(std::string name = "client");
  ~WsClient();  // drops the TCP connection if still open (no close handshake)
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  const std::string& name() const { return name_; }

  ConnectResult connect(std::uint16_t port, const ConnectOptions& opts);
  // Starts the read loop of a client connected with read=false.
  void start_reading();

  // Queued and written in order on the client's thread; returns at once.
  void send_text(std::string text);
  void send_binary(std::string bytes);
  void send_json(const boost::json::object& obj);
  // Waits until every queued frame has been handed to the socket; false on timeout/error.
  bool flush(std::chrono::milliseconds timeout = kWait);

  // First untaken frame matching `pred`, waiting up to `timeout`; nullopt on timeout or
  // as soon as the connection has ended without one.
  std::optional<Received> wait_for(const Pred& pred, std::chrono::milliseconds timeout = kWait);
  // Like wait_for but throws std::runtime_error (naming `what` and listing the inbox) when
  // no such frame comes.
  boost::json::object expect(const Pred& pred, std::string_view what = "matching frame",
                             std::chrono::milliseconds timeout = kWait);
  boost::json::object expect(const boost::json::object& pattern, std::chrono::milliseconds timeout = kWait);
  Received expect_timed(const Pred& pred, std::string_view what, std::chrono::milliseconds timeout = kWait);

  std::vector<Received> received() const;
  std::size_t count(const Pred& pred) const;
  // The inbox serialized, one frame a line (for failure messages).
  std::string dump() const;

  // Waits for the connection to end; `closed` is false on timeout.
  CloseInfo wait_closed(std::chrono::milliseconds timeout = kWait);
  CloseInfo close_info() const;
  bool is_open() const;
  // Close handshake with `code`, waiting for the server's reply.
  CloseInfo close(int code = 1000, std::chrono::milliseconds timeout = kWait);
  // Drops the TCP connection without a close frame.
  void abort();
  // Pings the server sent us (answered automatically while reading).
  int pings_received() const;
  // Waits until `n` pings have arrived (or the connection ended); returns the count.
  int wait_pings(int n, std::chrono::milliseconds timeout = kWait);

private:
  struct Impl;
  std::string name_;
  std::unique_ptr<Impl> impl_;
};

// Small accessors that throw with a useful message when a field is missing or mistyped.
std::int64_t get_int(const boost::json::object& o, std::string_view key);
std::string get_str(const boost::json::object& o, std::string_view key);
std::string to_string(const boost::json::object& o);

}  // namespace parley::test
