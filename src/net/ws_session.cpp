#include "net/ws_session.hpp"

#include <cstring>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "common/error_codes.hpp"
#include "hub/delivery_batch.hpp"
#include "hub/hub.hpp"
#include "metrics/metrics.hpp"
#include "net/ws_commands.hpp"
#include "protocol/encode.hpp"

namespace parley {
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

// The TCP socket at the bottom of a session's stream (plain: the stream is the socket).
template <class Ws>
asio::ip::tcp::socket& tcp_socket_of(Ws& ws) {
  return socket_of(beast::get_lowest_layer(ws));
}
// How long a close handshake may take before the socket is simply closed.
constexpr auto kCloseGrace = 3s;
// One gathered write carries at most this many frames (two buffers each; asio hands the kernel
// up to 64 buffers per call) or this many payload bytes; the rest follows in the next write.
constexpr std::size_t kGatherFrames = 256;
constexpr std::size_t kGatherBytes = 256 * 1024;
// A vector's capacity kept after a burst; above it the memory goes back when the queue is empty.
constexpr std::size_t kKeptCapacity = 16;

template <class V>
void release_if_large(V& v) {
  if (v.capacity() > kKeptCapacity) V().swap(v);
}

// Drops the first `n` bytes of a buffer sequence that a partial write has sent.
void consume_front(std::vector<asio::const_buffer>& buffers, std::size_t n) {
  std::size_t done = 0;
  while (done < buffers.size() && n >= buffers[done].size()) n -= buffers[done++].size();
  buffers.erase(buffers.begin(), buffers.begin() + static_cast<std::ptrdiff_t>(done));
  if (n > 0 && !buffers.empty()) buffers.front() += n;
}

// The close code Beast sent when a read failed with `ec` (it fails the connection itself on
// a protocol violation), or 0 when it sent none.
uint16_t close_code_of_read_error(const beast::error_code& ec) {
  if (ec.category() != websocket::make_error_code(websocket::error::closed).category()) return 0;
  if (ec == websocket::error::closed) return 0;  // the peer closed
  if (ec == websocket::error::message_too_big) return static_cast<uint16_t>(websocket::close_code::too_big);
  if (ec == websocket::error::bad_frame_payload) return static_cast<uint16_t>(websocket::close_code::bad_payload);
  return static_cast<uint16_t>(websocket::close_code::protocol_error);
}
}  // namespace

template <class Stream>
WsSession<Stream>::WsSession(Stream&& stream, NetContext& ctx, std::string user, int64_t token_exp_s, IpSlot slot,
                             std::shared_ptr<asio::ssl::context> tls, Mode mode)
    : tls_(std::move(tls)),
      ws_(WsTransport<Stream>::from(std::move(stream))),
      executor_(ws_.get_executor()),
      strand_(executor_.target<Strand>()),
      ctx_(ctx),
      metrics_(ctx.metrics),
      user_(std::move(user)),
      id_(ctx.next_connection_id++),
      mode_(mode),
      pings_(ctx.options.ping_rate_per_sec, ctx.options.ping_burst, ctx.clock.mono_ms()),
      heartbeat_(ws_.get_executor()),
      reauth_(executor_, ctx.options, ctx.clock, token_exp_s * 1000),
      slot_(std::move(slot)) {
  beast::error_code ec;
  auto ep = tcp_socket_of(ws_).remote_endpoint(ec);
  if (!ec) peer_ = ep.address().to_string() + ":" + std::to_string(ep.port());
}

template <class Stream>
WsSession<Stream>::~WsSession() {
  // Frames still queued when the connection ended leave the gauge with it.
  metrics_.queue_bytes.add(-static_cast<int64_t>(queued_bytes_));
}

template <class Stream>
void WsSession<Stream>::run(HttpRequest req) {
  asio::dispatch(ws_.get_executor(), [self = this->shared_from_this(), req = std::move(req)]() mutable {
    auto& ws = self->ws_;
    websocket::stream_base::timeout t{};
    t.handshake_timeout = std::chrono::milliseconds(self->ctx_.options.handshake_timeout_ms);
    t.idle_timeout = websocket::stream_base::none();  // our own heartbeat (two missed pongs)
    t.keep_alive_pings = false;
    ws.set_option(t);
    // Called once the extensions are negotiated: without deflate every data frame is the same
    // bytes for all recipients, and the session writes them itself.
    ws.set_option(websocket::stream_base::decorator([raw = self.get()](websocket::response_type& res) {
      res.set(beast::http::field::server, "parley");
      raw->own_frames_ = res.find(beast::http::field::sec_websocket_extensions) == res.end();
    }));
    if (self->ctx_.options.deflate_level > 0) {
      // Negotiated only with clients that offer it. Small windows keep each connection's zlib
      // state small; frames under deflate_min_bytes (typing, acks, presence) go as they are.
      websocket::permessage_deflate pmd;
      pmd.server_enable = true;
      pmd.compLevel = self->ctx_.options.deflate_level;
      pmd.server_max_window_bits = 12;
      pmd.memLevel = 4;
      pmd.msg_size_threshold = self->ctx_.options.deflate_min_bytes;
      ws.set_option(pmd);
    }
    ws.read_message_max(self->ctx_.options.max_frame_bytes);
    ws.auto_fragment(false);
    ws.control_callback([raw = self.get()](websocket::frame_type kind, beast::string_view) { raw->on_control(kind); });
    ws.async_accept(req, beast::bind_front_handler(&WsSession::on_accept, self));
  });
}

template <class Stream>
void WsSession<Stream>::on_accept(beast::error_code ec) {
  if (ec) {
    spdlog::info("conn {} user {}: upgrade failed: {}", id_, user_, ec.message());
    if (mode_ == Mode::chat) ctx_.hub.release(user_);
    phase_ = Phase::closed;
    return;
  }
  if (mode_ == Mode::echo) {
    phase_ = Phase::open;
    return do_read();
  }
  phase_ = Phase::loading;
  metrics_.connections.add(1);
  metrics_.connections_opened.add();
  spdlog::info("conn {} user {} open from {}", id_, user_, peer_);
  ws_.text(true);
  ctx_.hub.connect(this->shared_from_this(), [self = this->shared_from_this()] {
    asio::dispatch(self->ws_.get_executor(), [self] {
      if (self->phase_ != Phase::loading) return;
      self->phase_ = Phase::open;
      self->do_read();
      self->start_heartbeat();
      self->schedule_reauth();
      // The server began draining while this upgrade was finishing: it closed the others.
      if (self->ctx_.draining) self->start_close(1012, "server restarting");
    });
  });
}

template <class Stream>
void WsSession<Stream>::do_read() {
  read_loop_ = true;
  // With permessage-deflate, reading through Beast's read_some in pieces smaller than the
  // inflated message failed connections mid-stream (Beast 1.81; conformance case P.10):
  // such connections read whole messages into in_, sized by Beast.
  if (!own_frames_) {
    ws_.async_read(in_, beast::bind_front_handler(&WsSession::on_read, this->shared_from_this()));
    return;
  }
  ws_.async_read_some(asio::buffer(head_), beast::bind_front_handler(&WsSession::on_read_some, this->shared_from_this()));
}

template <class Stream>
void WsSession<Stream>::on_read_some(beast::error_code ec, std::size_t bytes) {
  if (read_failed(ec)) return;
  if (in_.size() == 0 && ws_.is_message_done()) return on_message(std::string_view(head_.data(), bytes));
  // A message longer than the head (or split across reads): the rest goes after it in in_.
  auto room = in_.prepare(bytes);
  std::memcpy(room.data(), head_.data(), bytes);
  in_.commit(bytes);
  if (ws_.is_message_done()) return on_read({}, 0);
  ws_.async_read(in_, beast::bind_front_handler(&WsSession::on_read, this->shared_from_this()));
}

template <class Stream>
void WsSession<Stream>::on_read(beast::error_code ec, std::size_t) {
  if (read_failed(ec)) return;
  auto data = in_.cdata();
  on_message(std::string_view(static_cast<const char*>(data.data()), data.size()));
}

template <class Stream>
bool WsSession<Stream>::read_failed(beast::error_code ec) {
  if (!ec) return false;
  if (uint16_t code = close_code_of_read_error(ec)) metrics_.closes.add(close_code_label(code));
  if (ec == websocket::error::closed) {
    finish("closed by client (" + std::to_string(ws_.reason().code) + ")");
  } else if (ec == websocket::error::message_too_big) {
    finish("frame over the limit (1009)");
  } else if (ec == beast::error::timeout) {
    finish("close handshake timed out");
  } else {
    finish(ec.message());
  }
  return true;
}

template <class Stream>
void WsSession<Stream>::on_message(std::string_view message) {
  unanswered_pings_ = 0;  // any traffic proves the peer is alive
  if (closing_or_closed()) {
    // Closing: commands are ignored, but reading goes on until the peer's close reply.
  } else if (mode_ == Mode::echo) {
    on_echo(message);
  } else if (!ws_.got_text()) {
    send_error("bad_request", "binary frames are not supported; send JSON text", nullptr);
  } else {
    handle_text(ctx_.hub, metrics_, this->shared_from_this(), message,
                [this](const AuthCmd& auth, const boost::json::value& ref) { on_auth(auth, ref); });
  }
  // The long message's buffer goes back too: an idle connection holds none.
  in_.clear();
  if (own_frames_) in_.shrink_to_fit();
  do_read();
}

template <class Stream>
void WsSession<Stream>::on_echo(std::string_view message) {
  Outgoing out;
  out.frame = std::make_shared<const std::string>(message);
  out.opcode = ws_.got_text() ? WsOpcode::text : WsOpcode::binary;
  enqueue(std::move(out));
  if (!writing_ && !queue_.empty()) do_write();
}

template <class Stream>
void WsSession<Stream>::send(Frame frame, Urgency urgency) {
  push_inbox(Outgoing{std::move(frame), kNotAMessage, urgency});
}

template <class Stream>
void WsSession<Stream>::send_message(Frame frame, int64_t received_us) {
  push_inbox(Outgoing{std::move(frame), received_us, Urgency::normal});
}

template <class Stream>
void WsSession<Stream>::push_inbox(Outgoing out) {
  bool post = false;
  {
    MutexLock lock(inbox_mu_);
    inbox_.push_back(std::move(out));
    post = !std::exchange(flush_posted_, true);
  }
  if (!post) return;
  // Inside a batch of deliveries (a lane's run) the flush waits for the batch to end, so the
  // batch's further frames for this connection join the same write.
  if (DeliveryBatch::defer(this->shared_from_this(), [](void* self) { static_cast<WsSession*>(self)->post_flush(); })) return;
  post_flush();
}

template <class Stream>
void WsSession<Stream>::post_flush() {
  auto flush = [self = this->shared_from_this()] { self->flush_inbox(); };
  if (strand_) {
    asio::post(*strand_, std::move(flush));
  } else {
    asio::post(executor_, std::move(flush));
  }
}

template <class Stream>
void WsSession<Stream>::flush_inbox() {
  {
    MutexLock lock(inbox_mu_);
    taken_.swap(inbox_);
    flush_posted_ = false;
  }
  for (auto& out : taken_) enqueue(std::move(out));
  taken_.clear();
  release_if_large(taken_);
  if (!writing_ && !queue_.empty() && !closing_or_closed()) do_write();
}

template <class Stream>
void WsSession<Stream>::send_error(std::string_view code, std::string_view message, const boost::json::value& ref) {
  metrics_.errors.add(code);
  spdlog::info("conn {} user {}: error {}: {}", id_, user_, code, message);
  send(encode::error(code, message, ref), Urgency::normal);
}

template <class Stream>
void WsSession<Stream>::enqueue(Outgoing out) {
  if (closing_or_closed()) return;
  switch (admit_to_queue(out.urgency, queued_bytes_, ctx_.options, metrics_, id_, user_)) {
    case QueueVerdict::drop: return;
    case QueueVerdict::close:
      return start_close(static_cast<uint16_t>(websocket::close_code::try_again_later), "slow consumer");
    case QueueVerdict::queue: break;
  }
  queued_bytes_ += out.frame->size();
  metrics_.queue_bytes.add(static_cast<int64_t>(out.frame->size()));
  if (own_frames_) out.header = ws_frame_header(out.opcode, out.frame->size());
  queue_.push_back(std::move(out));
}

template <class Stream>
void WsSession<Stream>::drop_back() {
  const std::size_t size = queue_.back().frame->size();
  queued_bytes_ -= size;
  metrics_.queue_bytes.add(-static_cast<int64_t>(size));
  queue_.pop_back();
}

template <class Stream>
void WsSession<Stream>::do_write() {
  writing_ = true;
  if (own_frames_) return write_gathered();
  in_flight_ = 1;
  ws_.binary(queue_.front().opcode == WsOpcode::binary);
  // Several frames waiting: cork the socket so that they leave in as few segments as the
  // kernel can make, instead of one loopback/NIC transmit per frame. Uncorked when the queue
  // runs dry, and at least every cork_frames frames so nothing waits on a long backlog.
  const int max_corked = ctx_.options.cork_frames;
  if (max_corked > 0 && !corked_ && queue_.size() > 1) set_cork(true);
  if (corked_ && ++corked_frames_ > max_corked) {
    set_cork(false);
    if (queue_.size() > 1) set_cork(true);
  }
  ws_.async_write(asio::buffer(*queue_.front().frame), beast::bind_front_handler(&WsSession::on_write, this->shared_from_this()));
}

template <class Stream>
void WsSession<Stream>::write_gathered() {
  auto& gate = ws_.next_layer();
  if (gate.close_submitted()) {
    // Beast answered a close or failed the connection: what is still queued is never sent.
    writing_ = false;
    while (!queue_.empty()) drop_back();
    return;
  }
  // Every queued frame (up to the batch limits) in one write: header and shared payload each.
  gather_.clear();
  std::size_t frames = 0;
  std::size_t bytes = 0;
  for (const auto& out : queue_) {
    if (frames == kGatherFrames || (frames > 0 && bytes >= kGatherBytes)) break;
    gather_.emplace_back(out.header.bytes.data(), out.header.size);
    gather_.emplace_back(out.frame->data(), out.frame->size());
    bytes += out.frame->size();
    ++frames;
  }
  in_flight_ = frames;
  // First what the socket takes now; only a remainder waits for the socket to drain.
  std::size_t written = 0;
  beast::error_code ec;
  while (!gather_.empty()) {
    const std::size_t n = gate.try_write(gather_, ec);
    if (ec || n == 0) break;
    written += n;
    consume_front(gather_, n);
  }
  if (ec || gather_.empty()) return on_write(ec, written);
  gate.async_write_all(gather_, beast::bind_front_handler(&WsSession::on_write, this->shared_from_this()));
}

template <class Stream>
void WsSession<Stream>::on_write(beast::error_code ec, std::size_t) {
  writing_ = false;
  retire_written(queue_, std::exchange(in_flight_, 0), !ec, metrics_, queued_bytes_);
  if (ec) return finish("write failed: " + ec.message());
  if (!queue_.empty() && !closing_or_closed()) return do_write();
  if (corked_) set_cork(false);
  release_if_large(gather_);
}

template <class Stream>
void WsSession<Stream>::set_cork(bool on) {
  int v = on ? 1 : 0;
  auto& sock = tcp_socket_of(ws_);
  ::setsockopt(sock.native_handle(), IPPROTO_TCP, TCP_CORK, &v, sizeof v);
  corked_ = on;
  corked_frames_ = 0;
}

template <class Stream>
void WsSession<Stream>::close(uint16_t code, std::string reason) {
  asio::post(ws_.get_executor(), [self = this->shared_from_this(), code, reason = std::move(reason)]() mutable {
    self->start_close(code, std::move(reason));
  });
}

template <class Stream>
void WsSession<Stream>::start_close(uint16_t code, std::string reason) {
  if (phase_ != Phase::loading && phase_ != Phase::open) return;
  phase_ = Phase::closing;
  metrics_.closes.add(close_code_label(code));
  heartbeat_.cancel();
  reauth_.cancel();
  if (corked_) set_cork(false);  // the close frame must not wait
  // Keep only the frames being written: their buffers must live until the write completes.
  while (queue_.size() > (writing_ ? in_flight_ : 0u)) drop_back();
  close_deadline_ = std::make_unique<asio::steady_timer>(executor_, kCloseGrace);
  close_deadline_->async_wait([self = this->shared_from_this()](beast::error_code ec) {
    if (!ec) tcp_socket_of(self->ws_).close(ec);
  });
  ws_.async_close(websocket::close_reason(static_cast<websocket::close_code>(code), reason), [self = this->shared_from_this(), code](beast::error_code ec) {
    // With a read loop running, it sees the peer's close reply (or the socket error) and
    // finishes; closing the socket before that could reset the connection under the close frame.
    if (ec) return self->finish("close " + std::to_string(code) + " failed: " + ec.message());
    if (!self->read_loop_) self->finish("closed by server (" + std::to_string(code) + ")");
  });
}

template <class Stream>
void WsSession<Stream>::on_control(websocket::frame_type kind) {
  // Runs inside the read operation: no stream call from here, the close is posted.
  if (kind == websocket::frame_type::close) return;
  if (kind == websocket::frame_type::pong) unanswered_pings_ = 0;
  // Pings and pongs alike count: an answer to our ping every heartbeat_ms costs nothing.
  if (close_posted_ || pings_.take(ctx_.clock.mono_ms())) return;
  close_posted_ = static_cast<uint16_t>(websocket::close_code::policy_error);
  spdlog::warn("conn {} user {}: control frame flood, closing 1008", id_, user_);
  asio::post(ws_.get_executor(), [self = this->shared_from_this()] {
    self->start_close(static_cast<uint16_t>(websocket::close_code::policy_error), "ping flood");
  });
}

template <class Stream>
void WsSession<Stream>::start_heartbeat() {
  heartbeat_.expires_after(std::chrono::milliseconds(ctx_.options.heartbeat_ms));
  heartbeat_.async_wait(beast::bind_front_handler(&WsSession::on_heartbeat, this->shared_from_this()));
}

template <class Stream>
void WsSession<Stream>::on_heartbeat(beast::error_code ec) {
  if (ec || closing_or_closed()) return;
  if (unanswered_pings_ >= 2) {
    tcp_socket_of(ws_).close(ec);
    return finish("heartbeat: two pings unanswered");
  }
  ++unanswered_pings_;
  ws_.async_ping({}, [](beast::error_code) {});
  start_heartbeat();
}

template <class Stream>
void WsSession<Stream>::schedule_reauth() {
  auto self = this->shared_from_this();
  reauth_.arm([self](int64_t exp_ms) { self->send(encode::reauth(exp_ms), Urgency::normal); },
              [self] {
                spdlog::info("conn {} user {}: no fresh token after reauth, closing 4001", self->id_, self->user_);
                self->start_close(kCloseTokenInvalid, "token expired");
              });
}

template <class Stream>
void WsSession<Stream>::on_auth(const AuthCmd& cmd, const boost::json::value& ref) {
  // An invalid token leaves the grace timer running: a valid one may follow.
  check_fresh_token(ctx_, user_, cmd.token, [self = this->shared_from_this(), ref](Result<TokenClaims> r) {
    asio::dispatch(self->ws_.get_executor(), [self, ref, r = std::move(r)] {
      if (self->closing_or_closed()) return;
      if (!r.ok()) return self->send_error(error_code(r.status.code()).name, r.status.message(), ref);
      self->set_token(r.value.ver, r.value.jti);
      self->reauth_.renew(r.value.exp * 1000);
      self->send(encode::authed(r.value.exp * 1000, ref), Urgency::normal);
      self->schedule_reauth();
    });
  });
}

template <class Stream>
void WsSession<Stream>::finish(std::string_view why) {
  if (phase_ == Phase::closed) return;
  const bool accepted = phase_ != Phase::upgrading;
  phase_ = Phase::closed;
  if (accepted) metrics_.connections.add(-1);
  heartbeat_.cancel();
  reauth_.cancel();
  if (close_deadline_) close_deadline_->cancel();
  beast::error_code ec;
  tcp_socket_of(ws_).close(ec);
  spdlog::info("conn {} user {} closed: {}", id_, user_, why);
  if (mode_ == Mode::chat) ctx_.hub.disconnect(this->shared_from_this());
}

template class WsSession<PlainStream>;
template class WsSession<TlsStream>;

}  // namespace parley
