#include "net/sse_session.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/serialize.hpp>
#include <sstream>

#include "common/error_codes.hpp"
#include "hub/delivery_batch.hpp"
#include "hub/hub.hpp"
#include "metrics/metrics.hpp"
#include "net/api_values.hpp"
#include "net/ws_commands.hpp"
#include "protocol/encode.hpp"

namespace parley {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view kDataPrefix = "data: ";
constexpr std::string_view kEventEnd = "\n\n";
// A comment line: ignored by every SSE parser, keeps proxies and the client's liveness check content.
const Frame kPing = std::make_shared<const std::string>(": ping\n\n");
constexpr std::size_t kGatherFrames = 256;
constexpr std::size_t kGatherBytes = 256 * 1024;
// POSTs kept while the user's rooms load (the client normally waits for the welcome).
constexpr std::size_t kMaxEarlyInput = 16;
constexpr auto kCloseGrace = 3s;

template <class Stream>
asio::ip::tcp::socket& socket_of_stream(Stream& s) {
  return beast::get_lowest_layer(s).socket();
}

bool same_key(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

template <class Stream>
SseSession<Stream>::SseSession(Stream&& stream, NetContext& ctx, const TokenClaims& claims, IpSlot slot,
                               std::shared_ptr<asio::ssl::context> tls)
    : tls_(std::move(tls)),
      stream_(std::move(stream)),
      executor_(stream_.get_executor()),
      ctx_(ctx),
      metrics_(ctx.metrics),
      user_(claims.sub),
      id_(ctx.next_connection_id++),
      key_(random_api_id("")),
      token_ver_(claims.ver),
      token_key_(token_key_of(claims.jti)),
      heartbeat_(executor_),
      reauth_(executor_, ctx.options, ctx.clock, claims.exp * 1000),
      slot_(std::move(slot)) {}

template <class Stream>
SseSession<Stream>::~SseSession() {
  metrics_.queue_bytes.add(-static_cast<int64_t>(queued_bytes_));
}

template <class Stream>
void SseSession<Stream>::run(unsigned version) {
  http::response<http::empty_body> res{http::status::ok, version};
  res.set(http::field::server, "parley");
  res.set(http::field::content_type, "text/event-stream; charset=utf-8");
  res.set(http::field::cache_control, "no-store");
  res.set("X-Accel-Buffering", "no");  // nginx: pass each event on at once
  res.keep_alive(false);               // the stream ends with the connection
  const std::string session = ctx_.node_id + "." + std::to_string(id_) + "." + key_;
  std::ostringstream head;
  head << res.base();
  head << "event: session\ndata: "
       << boost::json::serialize(boost::json::object{{"session", session}, {"post", "/api/stream/" + session}})
       << kEventEnd;
  head_ = head.str();
  asio::dispatch(executor_, [self = this->shared_from_this()] {
    beast::get_lowest_layer(self->stream_).expires_never();
    self->metrics_.connections.add(1);
    self->metrics_.stream_connections.add(1);
    self->metrics_.connections_opened.add();
    beast::error_code ec;
    auto ep = socket_of_stream(self->stream_).remote_endpoint(ec);
    spdlog::info("conn {} user {} open (event stream) from {}", self->id_, self->user_,
                 ec ? std::string("?") : ep.address().to_string());
    self->do_write();
    self->watch_peer();
    self->ctx_.hub.connect(self, [self] {
      asio::dispatch(self->executor_, [self] {
        if (self->phase_ == Phase::loading) self->on_open();
      });
    });
  });
}

template <class Stream>
void SseSession<Stream>::on_open() {
  phase_ = Phase::open;
  start_heartbeat();
  auto self = this->shared_from_this();
  reauth_.arm([self](int64_t exp_ms) { self->send(encode::reauth(exp_ms), Urgency::normal); },
              [self] {
                spdlog::info("conn {} user {}: no fresh token after reauth, closing 4001", self->id_, self->user_);
                self->start_close(kCloseTokenInvalid, "token expired");
              });
  for (auto& text : std::exchange(early_input_, {})) take_input(std::move(text));
  if (ctx_.draining) start_close(1012, "server restarting");
}

template <class Stream>
void SseSession<Stream>::watch_peer() {
  stream_.async_read_some(asio::buffer(scratch_), [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
    if (ec) return self->finish("client went away (" + ec.message() + ")");
    self->watch_peer();  // a client has nothing to say on this connection: ignored
  });
}

template <class Stream>
bool SseSession<Stream>::relay(std::string_view key, std::string text) {
  if (ended_.load(std::memory_order_relaxed) || !same_key(key, key_)) return false;
  asio::post(executor_, [self = this->shared_from_this(), text = std::move(text)]() mutable {
    self->take_input(std::move(text));
  });
  return true;
}

template <class Stream>
void SseSession<Stream>::take_input(std::string text) {
  if (closing_or_closed()) return;
  if (phase_ == Phase::loading) {
    if (early_input_.size() < kMaxEarlyInput) early_input_.push_back(std::move(text));
    return;
  }
  auto self = this->shared_from_this();
  const AuthHandler on_auth = [this](const AuthCmd& auth, const boost::json::value& ref) { this->on_auth(auth, ref); };
  std::string_view rest(text);
  while (!rest.empty()) {
    const std::size_t end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (line.size() > ctx_.options.max_frame_bytes) {
      metrics_.errors.add("too_large");
      send(encode::error("too_large", "a command is at most " + std::to_string(ctx_.options.max_frame_bytes) + " bytes",
                         nullptr),
           Urgency::normal);
      continue;
    }
    handle_text(ctx_.hub, metrics_, self, line, on_auth);
  }
}

template <class Stream>
void SseSession<Stream>::on_auth(const AuthCmd& cmd, const boost::json::value& ref) {
  check_fresh_token(ctx_, user_, cmd.token, [self = this->shared_from_this(), ref](Result<TokenClaims> r) {
    asio::dispatch(self->executor_, [self, ref, r = std::move(r)] {
      if (self->closing_or_closed()) return;
      if (!r.ok()) {
        const auto code = error_code(r.status.code()).name;
        self->metrics_.errors.add(code);
        return self->send(encode::error(code, r.status.message(), ref), Urgency::normal);
      }
      self->token_ver_.store(r.value.ver, std::memory_order_relaxed);
      self->token_key_.store(token_key_of(r.value.jti), std::memory_order_relaxed);
      self->reauth_.renew(r.value.exp * 1000);
      self->send(encode::authed(r.value.exp * 1000, ref), Urgency::normal);
      self->reauth_.arm([self](int64_t exp_ms) { self->send(encode::reauth(exp_ms), Urgency::normal); },
                        [self] { self->start_close(kCloseTokenInvalid, "token expired"); });
    });
  });
}

template <class Stream>
void SseSession<Stream>::send(Frame frame, Urgency urgency) {
  push_inbox(Outgoing{std::move(frame), kNotAMessage, urgency});
}

template <class Stream>
void SseSession<Stream>::send_message(Frame frame, int64_t received_us) {
  push_inbox(Outgoing{std::move(frame), received_us, Urgency::normal});
}

template <class Stream>
void SseSession<Stream>::push_inbox(Outgoing out) {
  {
    MutexLock lock(inbox_mu_);
    inbox_.push_back(std::move(out));
    if (std::exchange(flush_posted_, true)) return;
  }
  auto flush = [](void* self) {
    auto* s = static_cast<SseSession*>(self);
    asio::post(s->executor_, [keep = s->shared_from_this()] { keep->flush_inbox(); });
  };
  if (DeliveryBatch::defer(this->shared_from_this(), flush)) return;
  flush(this);
}

template <class Stream>
void SseSession<Stream>::flush_inbox() {
  std::vector<Outgoing> taken;
  {
    MutexLock lock(inbox_mu_);
    taken.swap(inbox_);
    flush_posted_ = false;
  }
  for (auto& out : taken) enqueue(std::move(out));
  if (!writing_ && !queue_.empty() && phase_ != Phase::closed) do_write();
}

template <class Stream>
void SseSession<Stream>::enqueue(Outgoing out) {
  if (closing_or_closed()) return;
  switch (admit_to_queue(out.urgency, queued_bytes_, ctx_.options, metrics_, id_, user_)) {
    case QueueVerdict::drop: return;
    case QueueVerdict::close: return start_close(1013, "slow consumer");
    case QueueVerdict::queue: break;
  }
  queued_bytes_ += out.frame->size();
  metrics_.queue_bytes.add(static_cast<int64_t>(out.frame->size()));
  queue_.push_back(std::move(out));
}

template <class Stream>
void SseSession<Stream>::do_write() {
  gather_.clear();
  if (!head_sent_) gather_.emplace_back(head_.data(), head_.size());
  std::size_t frames = 0;
  std::size_t bytes = 0;
  for (const auto& out : queue_) {
    if (frames == kGatherFrames || (frames > 0 && bytes >= kGatherBytes)) break;
    if (out.frame != kPing) gather_.emplace_back(kDataPrefix.data(), kDataPrefix.size());
    gather_.emplace_back(out.frame->data(), out.frame->size());
    if (out.frame != kPing) gather_.emplace_back(kEventEnd.data(), kEventEnd.size());
    bytes += out.frame->size();
    ++frames;
  }
  if (phase_ == Phase::closing && frames == queue_.size() && !tail_.empty()) {
    gather_.emplace_back(tail_.data(), tail_.size());
    tail_in_flight_ = true;
  }
  if (gather_.empty()) return;
  in_flight_ = frames;
  writing_ = true;
  asio::async_write(stream_, gather_, beast::bind_front_handler(&SseSession::on_write, this->shared_from_this()));
}

template <class Stream>
void SseSession<Stream>::on_write(beast::error_code ec, std::size_t) {
  writing_ = false;
  if (!std::exchange(head_sent_, true)) std::string().swap(head_);  // written: its memory goes back
  const bool tail_written = std::exchange(tail_in_flight_, false);
  retire_written(queue_, std::exchange(in_flight_, 0), !ec, metrics_, queued_bytes_);
  if (ec) return finish("write failed: " + ec.message());
  if (tail_written) return finish("closed by server");
  if (!queue_.empty() || phase_ == Phase::closing) do_write();
}

template <class Stream>
void SseSession<Stream>::start_heartbeat() {
  heartbeat_.expires_after(std::chrono::milliseconds(ctx_.options.heartbeat_ms));
  heartbeat_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
    if (ec || self->closing_or_closed()) return;
    // Anything waiting shows the stream is alive; a ping only on a quiet one.
    if (self->queue_.empty()) {
      self->enqueue(Outgoing{kPing, kNotAMessage, Urgency::droppable});
      if (!self->writing_) self->do_write();
    }
    self->start_heartbeat();
  });
}

template <class Stream>
void SseSession<Stream>::close(uint16_t code, std::string reason) {
  asio::post(executor_, [self = this->shared_from_this(), code, reason = std::move(reason)]() mutable {
    self->start_close(code, std::move(reason));
  });
}

template <class Stream>
void SseSession<Stream>::start_close(uint16_t code, std::string reason) {
  if (closing_or_closed()) return;
  phase_ = Phase::closing;
  metrics_.closes.add(close_code_label(code));
  reauth_.cancel();
  // Frames not yet being written are dropped (as on a WebSocket); the close event goes last.
  while (queue_.size() > (writing_ ? in_flight_ : 0u)) {
    queued_bytes_ -= queue_.back().frame->size();
    metrics_.queue_bytes.add(-static_cast<int64_t>(queue_.back().frame->size()));
    queue_.pop_back();
  }
  tail_ = "event: close\ndata: " + boost::json::serialize(boost::json::object{{"code", code}, {"reason", reason}}) +
          std::string(kEventEnd);
  // A client that does not read must not hold the connection: the socket closes after a grace.
  heartbeat_.cancel();
  heartbeat_.expires_after(kCloseGrace);
  heartbeat_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
    if (!ec) self->finish("close event not taken in time");
  });
  if (!writing_) do_write();
}

template <class Stream>
void SseSession<Stream>::finish(std::string_view why) {
  if (phase_ == Phase::closed) return;
  phase_ = Phase::closed;
  ended_.store(true, std::memory_order_relaxed);
  metrics_.connections.add(-1);
  metrics_.stream_connections.add(-1);
  heartbeat_.cancel();
  reauth_.cancel();
  beast::error_code ec;
  socket_of_stream(stream_).shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_of_stream(stream_).close(ec);
  spdlog::info("conn {} user {} closed (event stream): {}", id_, user_, why);
  ctx_.hub.disconnect(this->shared_from_this());
}

template class SseSession<PlainStream>;
template class SseSession<TlsStream>;

}  // namespace parley
