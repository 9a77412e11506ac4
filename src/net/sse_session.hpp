#pragma once
// One connection of the HTTP fallback transport (docs/protocol.md → "Fallback transport"):
// the server's frames go down a Server-Sent Events stream (`GET /api/stream`), the client's
// commands come up in POSTs (`POST /api/stream/{session}`, net/stream_routes.hpp), which may
// reach any node: the hub relays them here (Client::relay). To the hub it is a connection
// like a WebSocket one: same welcome, ordering, queue bounds, reauth and close codes.
//
// The stream: the response header, then `event: session` naming the session, then each frame
// as one `data:` event, a comment line every heartbeat_ms (proxies keep the stream open, and a
// vanished client fails a write), and at the end `event: close` with the close code and
// reason. The socket is read only to see the client go away.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <array>
#include <atomic>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "auth/jwt.hpp"
#include "common/mutex.hpp"
#include "hub/client.hpp"
#include "net/context.hpp"
#include "net/ip_limit.hpp"
#include "net/reauth_timer.hpp"
#include "net/session_queue.hpp"
#include "protocol/command.hpp"
#include "net/streams.hpp"

namespace boost::asio::ssl {
class context;
}

namespace parley {

template <class Stream>
class SseSession final : public Client, public std::enable_shared_from_this<SseSession<Stream>> {
 public:
  // The hub slot for `claims.sub` is reserved. `slot`: the client address's place; `tls` keeps
  // a TLS stream's context alive (null for plain).
  SseSession(Stream&& stream, NetContext& ctx, const TokenClaims& claims, IpSlot slot,
             std::shared_ptr<boost::asio::ssl::context> tls);
  ~SseSession() override;

  // Answers the request (HTTP `version`) with the stream's header and the session event,
  // then connects to the hub.
  void run(unsigned version);

  void send(Frame frame, Urgency urgency) override;
  void send_message(Frame frame, int64_t received_us) override;
  void close(uint16_t code, std::string reason) override;
  uint64_t id() const override { return id_; }
  const std::string& user() const override { return user_; }
  int64_t token_version() const override { return token_ver_.load(std::memory_order_relaxed); }
  uint64_t token_key() const override { return token_key_.load(std::memory_order_relaxed); }
  bool relay(std::string_view key, std::string text) override;

 private:
  struct Outgoing {
    Frame frame;
    int64_t received_us = kNotAMessage;
    Urgency urgency = Urgency::normal;
  };
  void push_inbox(Outgoing out);
  void flush_inbox();
  void enqueue(Outgoing out);
  void do_write();
  void on_write(boost::system::error_code ec, std::size_t bytes);
  void watch_peer();  // reads until the client goes away
  void on_open();
  void take_input(std::string text);
  void on_auth(const AuthCmd& cmd, const boost::json::value& ref);
  void start_heartbeat();
  void start_close(uint16_t code, std::string reason);
  void finish(std::string_view why);

  enum class Phase : uint8_t { loading, open, closing, closed };
  bool closing_or_closed() const { return phase_ >= Phase::closing; }

  std::shared_ptr<boost::asio::ssl::context> tls_;  // outlives stream_, which refers to it
  Stream stream_;
  const boost::asio::any_io_executor executor_;
  NetContext& ctx_;
  Metrics& metrics_;
  const std::string user_;
  const uint64_t id_;
  const std::string key_;  // the session's secret, part of its POST address
  std::atomic<int64_t> token_ver_;
  std::atomic<uint64_t> token_key_;
  std::atomic<bool> ended_{false};
  Phase phase_ = Phase::loading;
  std::string head_;  // the response header and the session event
  // Frames handed over by other threads, moved into the queue on the executor.
  Mutex inbox_mu_;
  std::vector<Outgoing> inbox_ GUARDED_BY(inbox_mu_);
  bool flush_posted_ GUARDED_BY(inbox_mu_) = false;
  std::deque<Outgoing> queue_;
  std::vector<boost::asio::const_buffer> gather_;
  std::size_t in_flight_ = 0;
  std::size_t queued_bytes_ = 0;
  bool writing_ = false;
  bool head_sent_ = false;
  std::string tail_;                     // the close event, written last
  bool tail_in_flight_ = false;
  std::vector<std::string> early_input_;  // POSTs that came before the welcome
  std::array<char, 512> scratch_;         // what the client sends after its request (ignored)
  boost::asio::steady_timer heartbeat_;
  ReauthTimer reauth_;
  IpSlot slot_;
};

extern template class SseSession<PlainStream>;
extern template class SseSession<TlsStream>;

}  // namespace parley
