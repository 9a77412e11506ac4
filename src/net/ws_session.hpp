#pragma once
#include <array>
#include <atomic>
// One WebSocket connection, over plain TCP or TLS (see net/streams.hpp): the hub's Client.
//
// All state lives on the connection's strand (the executor of its socket), except the inbox:
// send() appends to it under a small lock and posts one flush to the strand when the inbox was
// empty, so a burst of frames for one connection costs one post, not one per frame. One write
// is in flight at a time. Without permessage-deflate the session frames its messages itself
// and writes every queued frame in one gathered write (header and shared payload per frame,
// through WriteGate so Beast's control frames never land inside them); with deflate Beast
// writes each message. Frames wait in a queue bounded in bytes: over queue_soft_bytes droppable frames (typing, presence) are
// discarded, over queue_hard_bytes the connection is closed with 1013 (the client resyncs by
// seq). Heartbeat: a ping every heartbeat_ms; two unanswered pings in a row close the socket.
// The client's own pings are rate limited (ping_rate_per_sec, ping_burst): a flood closes 1008.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <memory>
#include <vector>

#include "common/mutex.hpp"
#include "hub/client.hpp"
#include "hub/rate_limiter.hpp"
#include "net/context.hpp"
#include "net/ip_limit.hpp"
#include "net/lazy_deque.hpp"
#include "net/reauth_timer.hpp"
#include "net/session_queue.hpp"
#include "net/streams.hpp"
#include "net/write_gate.hpp"
#include "net/ws_frame.hpp"
#include "protocol/command.hpp"

namespace boost::asio::ssl {
class context;
}

namespace parley {

template <class Stream>
class WsSession final : public Client, public std::enable_shared_from_this<WsSession<Stream>> {
 public:
  // `token_exp_s`: when the token the connection was opened with expires (seconds). `slot`
  // holds the client address's place; `tls` keeps a TLS stream's context alive (null for plain).
  // `echo`: the conformance tests' session (a test build's echo path): every message comes back
  // as it came, with no hub, heartbeat or token behind it.
  enum class Mode : uint8_t { chat, echo };
  WsSession(Stream&& stream, NetContext& ctx, std::string user, int64_t token_exp_s, IpSlot slot,
            std::shared_ptr<boost::asio::ssl::context> tls, Mode mode = Mode::chat);
  ~WsSession() override;

  // Completes the upgrade for `req`. The hub slot for the user is already reserved.
  void run(HttpRequest req);

  void send(Frame frame, Urgency urgency) override;
  void send_message(Frame frame, int64_t received_us) override;
  void close(uint16_t code, std::string reason) override;
  uint64_t id() const override { return id_; }
  const std::string& user() const override { return user_; }
  int64_t token_version() const override { return token_ver_.load(std::memory_order_relaxed); }
  uint64_t token_key() const override { return token_key_.load(std::memory_order_relaxed); }
  // The current token's version and id: the upgrade's before run(), then each reauth's.
  void set_token(int64_t ver, std::string_view jti) {
    token_ver_.store(ver, std::memory_order_relaxed);
    token_key_.store(token_key_of(jti), std::memory_order_relaxed);
  }

 private:
  void on_accept(boost::beast::error_code ec);
  // Reading holds no heap buffer while a connection is idle: the pending read fills head_,
  // which holds a whole command most of the time; a longer message continues into in_,
  // which is released again once the message is handled.
  void do_read();
  void on_read_some(boost::beast::error_code ec, std::size_t bytes);
  void on_read(boost::beast::error_code ec, std::size_t bytes);
  void on_message(std::string_view message);
  bool read_failed(boost::beast::error_code ec);
  // One frame waiting to be written. A chat message event carries when the server received
  // it, for the delivery metrics; other frames carry kNotAMessage.
  struct Outgoing {
    Frame frame;
    int64_t received_us = kNotAMessage;
    Urgency urgency = Urgency::normal;
    WsOpcode opcode = WsOpcode::text;
    WsFrameHeader header;  // set when queued on a session that writes its own frames
  };
  void push_inbox(Outgoing out);
  void post_flush();
  void flush_inbox();
  void enqueue(Outgoing out);
  void drop_back();  // removes the newest queued frame
  void send_error(std::string_view code, std::string_view message, const boost::json::value& ref);
  void do_write();
  void write_gathered();
  void on_write(boost::beast::error_code ec, std::size_t bytes);
  void on_echo(std::string_view message);
  void set_cork(bool on);
  void start_heartbeat();
  void on_heartbeat(boost::beast::error_code ec);
  void start_close(uint16_t code, std::string reason);
  // Token lifetime: reauth before expiry, 4001 when no valid token came in time.
  void schedule_reauth();
  void on_auth(const AuthCmd& cmd, const boost::json::value& ref);
  void finish(std::string_view why);  // the connection is over: tell the hub, once
  void on_control(boost::beast::websocket::frame_type kind);

  // The connection's life, in order. Only forward: nothing goes back to an earlier phase.
  enum class Phase : uint8_t {
    upgrading,  // the WebSocket handshake is running
    loading,    // upgraded; the hub loads the user's rooms (welcome not yet sent)
    open,       // welcomed; the read loop, heartbeat and reauth timers run
    closing,    // a close handshake was started: frames queued after it are discarded
    closed,     // the socket is closed and the hub told
  };
  bool finished() const { return phase_ == Phase::closed; }
  bool closing_or_closed() const { return phase_ >= Phase::closing; }

  std::shared_ptr<boost::asio::ssl::context> tls_;  // outlives ws_, which refers to it
  boost::beast::websocket::stream<WriteGate<typename WsTransport<Stream>::type>> ws_;
  // The connection's strand, without the type erasure of the socket's executor: the inbox's
  // flush is posted once per burst, and the erased post costs a copy and a lookup each time.
  using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;
  const boost::asio::any_io_executor executor_;
  const Strand* strand_;
  NetContext& ctx_;
  Metrics& metrics_;                // ctx_.metrics, which outlives the session (the context may not)
  const std::string user_;
  const uint64_t id_;
  std::string peer_;
  static constexpr std::size_t kReadHead = 256;
  std::array<char, kReadHead> head_;
  boost::beast::flat_buffer in_;
  Phase phase_ = Phase::upgrading;
  const Mode mode_;
  bool own_frames_ = false;         // no deflate negotiated: the session writes its own frames
  bool read_loop_ = false;          // the read loop runs (set in open, kept while closing)
  // The inbox: frames handed over by other threads, moved into the queue on the strand.
  Mutex inbox_mu_;
  std::vector<Outgoing> inbox_ GUARDED_BY(inbox_mu_);
  bool flush_posted_ GUARDED_BY(inbox_mu_) = false;
  std::vector<Outgoing> taken_;     // the strand's side of the inbox swap (keeps its capacity)
  // The write path (not the lifecycle): one write in flight, TCP_CORK over a batch.
  LazyDeque<Outgoing> queue_;       // the first in_flight_ are being written while writing_
  std::vector<boost::asio::const_buffer> gather_;  // the buffers of the write in flight
  std::size_t in_flight_ = 0;
  std::size_t queued_bytes_ = 0;
  bool writing_ = false;
  bool corked_ = false;
  int corked_frames_ = 0;
  uint16_t close_posted_ = 0;       // a close with this code is posted (ping flood): not again
  int unanswered_pings_ = 0;
  TokenBucket pings_;                // the client's pings
  std::atomic<int64_t> token_ver_{0};  // the current token's version (read by the hub on any thread)
  std::atomic<uint64_t> token_key_{0};  // token_key_of() its id
  boost::asio::steady_timer heartbeat_;
  ReauthTimer reauth_;               // and its expiry
  std::unique_ptr<boost::asio::steady_timer> close_deadline_;  // only while a close handshake runs
  IpSlot slot_;
};

extern template class WsSession<PlainStream>;
extern template class WsSession<TlsStream>;

}  // namespace parley
