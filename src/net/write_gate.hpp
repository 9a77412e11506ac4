#pragma once
// The one door to a connection's socket for outgoing bytes. A WebSocket session writes its data
// frames itself (one gathered write per batch, see ws_session.cpp), while Beast still writes
// the handshake answer and the control frames it owns (pongs it answers by itself while reading,
// our pings, the close frame). Both go through this layer, which sits under Beast's stream:
// every write, Beast's or ours, is written whole before the next one starts, so a frame can
// never land inside another one. Used only from the connection's strand: no lock.
//
// Beast issues each of its frames as one write of at most a few buffers (header, payload);
// since a write here always completes in full, a Beast frame is one gate write. Sessions that
// let Beast write data frames (permessage-deflate, which may fragment) never write their own.
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/websocket/teardown.hpp>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

namespace parley {

// A plain TCP socket under the gate, or one inside a stream (beast::tcp_stream); TLS: none.
template <class S>
inline constexpr bool kOnTcpSocket =
    std::is_same_v<S, boost::asio::ip::tcp::socket> || requires(S& s) { s.socket(); };

// The TCP socket of a plain transport: beast::tcp_stream's, or the socket itself.
template <class S>
auto& socket_of(S& s) {
  if constexpr (requires { s.socket(); }) {
    return s.socket();
  } else {
    return s;
  }
}

template <class Next>
class WriteGate {
 public:
  using executor_type = typename Next::executor_type;
  using next_layer_type = Next;

  template <class... Args>
  explicit WriteGate(Args&&... args) : next_(std::forward<Args>(args)...) {}

  executor_type get_executor() noexcept { return next_.get_executor(); }
  Next& next_layer() noexcept { return next_; }
  const Next& next_layer() const noexcept { return next_; }

  template <class Buffers, class Handler>
  auto async_read_some(const Buffers& buffers, Handler&& handler) {
    return next_.async_read_some(buffers, std::forward<Handler>(handler));
  }

  // Beast's writes. Completes with every byte written (or an error), after the writes that
  // were waiting before it.
  template <class Buffers, class Handler>
  auto async_write_some(const Buffers& buffers, Handler&& handler) {
    if (starts_close_frame(buffers)) close_submitted_ = true;
    return boost::asio::async_initiate<Handler, void(boost::system::error_code, std::size_t)>(
        [this](auto h, const Buffers& b) { submit(b, std::move(h)); }, handler, buffers);
  }

  // Beast has handed over its close frame (its answer to the peer's close, or the close that
  // fails a connection on a protocol error): no data frame may follow it (RFC 6455 §5.5.1), so
  // the session stops writing its own from here on.
  bool close_submitted() const { return close_submitted_; }

  // The session's own frames: the same queue, the same guarantee.
  template <class Buffers, class Handler>
  void async_write_all(const Buffers& buffers, Handler&& handler) {
    submit(buffers, std::forward<Handler>(handler));
  }

  // Plain TCP only: writes what the kernel takes at once, without waiting, when nothing else is
  // being written (TLS, or a write in flight: 0). Returns the bytes written; `ec` is set on an
  // error other than a full socket buffer. The common case on a connection that keeps up: the
  // whole batch leaves in this call, with no asynchronous operation and no completion to run.
  template <class Buffers>
  std::size_t try_write(const Buffers& buffers, boost::system::error_code& ec) {
    ec = {};
    if constexpr (!kOnTcpSocket<Next>) {
      return 0;
    } else {
      if (busy_) return 0;
      auto& sock = write_target(next_);
      if (!sock.non_blocking()) {
        sock.non_blocking(true, ec);  // affects only this call's kind: asio's async operations
        if (ec) return 0;             // run non-blocking anyway
      }
      std::size_t n = sock.write_some(buffers, ec);
      if (ec == boost::asio::error::would_block || ec == boost::asio::error::try_again) ec = {};
      return ec ? 0 : n;
    }
  }

 private:
  struct Waiting {
    virtual ~Waiting() = default;
    virtual void start() = 0;
  };
  template <class Buffers, class Handler>
  struct WaitingWrite final : Waiting {
    WaitingWrite(WriteGate* g, const Buffers& b, Handler&& h) : gate(g), buffers(b), handler(std::move(h)) {}
    void start() override { gate->start(buffers, std::move(handler)); }
    WriteGate* gate;
    Buffers buffers;
    Handler handler;
  };

  // A close frame's first byte: FIN and opcode 0x8 (a server's frames have no RSV bits).
  template <class Buffers>
  static bool starts_close_frame(const Buffers& buffers) {
    for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers); ++it) {
      boost::asio::const_buffer b(*it);
      if (b.size() > 0) return *static_cast<const unsigned char*>(b.data()) == 0x88;
    }
    return false;
  }

  template <class Buffers, class Handler>
  void submit(const Buffers& buffers, Handler&& handler) {
    using H = std::decay_t<Handler>;
    if (busy_) {
      waiting_.push_back(std::make_unique<WaitingWrite<Buffers, H>>(this, buffers, H(std::forward<Handler>(handler))));
      return;
    }
    start(buffers, H(std::forward<Handler>(handler)));
  }

  template <class Buffers, class Handler>
  void start(const Buffers& buffers, Handler handler) {
    busy_ = true;
    auto ex = boost::asio::get_associated_executor(handler, next_.get_executor());
    boost::asio::async_write(
        write_target(next_), buffers,
        boost::asio::bind_executor(ex, [this, h = std::move(handler)](boost::system::error_code ec, std::size_t n) mutable {
          busy_ = false;
          if (!waiting_.empty()) {
            auto next = std::move(waiting_.front());
            waiting_.erase(waiting_.begin());
            next->start();
          }
          std::move(h)(ec, n);
        }));
  }

  // A plain TCP stream is written on its socket (Beast's tcp_stream adds a timer check and an
  // allocation per write that a session with its own heartbeat does not need); TLS through
  // SSL (socket_of gives an ssl_stream back as it is).
  template <class S>
  static auto& write_target(S& s) {
    return socket_of(s);
  }

  Next next_;
  bool busy_ = false;
  bool close_submitted_ = false;
  std::vector<std::unique_ptr<Waiting>> waiting_;  // rare (a pong while we write): no deque
};

// Closing the WebSocket tears down the layer underneath, as Beast does for the stream itself.
template <class Next>
void teardown(boost::beast::role_type role, WriteGate<Next>& gate, boost::system::error_code& ec) {
  using boost::beast::websocket::teardown;
  teardown(role, gate.next_layer(), ec);
}

template <class Next, class Handler>
void async_teardown(boost::beast::role_type role, WriteGate<Next>& gate, Handler&& handler) {
  using boost::beast::websocket::async_teardown;
  async_teardown(role, gate.next_layer(), std::forward<Handler>(handler));
}

}  // namespace parley
