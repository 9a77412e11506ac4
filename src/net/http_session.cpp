#include "net/http_session.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/dispatch.hpp>
#include <limits>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "hub/hub.hpp"
#include "net/api_errors.hpp"
#include "net/http_api.hpp"
#include "common/hooks.hpp"
#include "net/upgrade_check.hpp"
#include "net/sse_session.hpp"
#include "net/stream_routes.hpp"
#include "net/ws_session.hpp"

namespace parley {
namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;

namespace {

int64_t now_s() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

template <class Stream>
Stream make_stream(asio::ip::tcp::socket socket, const std::shared_ptr<asio::ssl::context>& tls) {
  if constexpr (kIsTls<Stream>) {
    return Stream(beast::tcp_stream(std::move(socket)), *tls);
  } else {
    return Stream(std::move(socket));
  }
}

}  // namespace

template <class Stream>
HttpSession<Stream>::HttpSession(asio::ip::tcp::socket socket, NetContext& ctx, IpSlot slot,
                                 std::shared_ptr<asio::ssl::context> tls)
    : tls_(std::move(tls)),
      stream_(make_stream<Stream>(std::move(socket), tls_)),
      ctx_(ctx),
      slot_(std::move(slot)) {}

template <class Stream>
void HttpSession<Stream>::run() {
  asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
    beast::get_lowest_layer(self->stream_).expires_after(std::chrono::milliseconds(self->ctx_.options.handshake_timeout_ms));
    if constexpr (kIsTls<Stream>) {
      self->stream_.async_handshake(asio::ssl::stream_base::server,
                                    beast::bind_front_handler(&HttpSession::on_handshake, self));
    } else {
      self->do_read();
    }
  });
}

template <class Stream>
void HttpSession<Stream>::on_handshake(beast::error_code ec) {
  if (ec) {
    // Plain HTTP on the TLS port, a bad client certificate store, a scanner: nothing to answer.
    spdlog::debug("tls handshake: {}", ec.message());
    beast::get_lowest_layer(stream_).close();
    return;
  }
  do_read();
}

template <class Stream>
void HttpSession<Stream>::do_read() {
  parser_.emplace();
  parser_->header_limit(16 * 1024);
  // No limit while the header is read (the parser would refuse a large Content-Length before
  // the request is known); on_header sets the request's own.
  parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
  http::async_read_header(stream_, buffer_, *parser_,
                          beast::bind_front_handler(&HttpSession::on_header, this->shared_from_this()));
}

template <class Stream>
void HttpSession<Stream>::on_header(beast::error_code ec, std::size_t n) {
  if (ec) return on_read(ec, n);
  const auto& head = parser_->get();
  if (!is_upload_request(head.method() == http::verb::post, head.target()) || ctx_.draining) {
    constexpr uint64_t kMaxBody = 64 * 1024;
    if (auto length = parser_->content_length(); length && *length > kMaxBody) {
      return refuse_unread(413, "too_large", "request bodies are at most 64 KiB");
    }
    parser_->body_limit(kMaxBody);
    return read_body();
  }
  const uint64_t limit = ctx_.options.max_upload_bytes;
  if (auto length = parser_->content_length(); length && *length > limit) {
    return refuse_unread(413, "too_large", "files are at most " + std::to_string(limit) + " bytes");
  }
  upload_slot_ = UploadSlot::acquire(ctx_.uploads_in_flight, ctx_.options.upload_concurrency);
  if (!upload_slot_.held()) return refuse_unread(503, "unavailable", "too many uploads at once, retry shortly");
  // One more byte than allowed, so that a chunked body past the limit is told apart (413).
  parser_->body_limit(limit + 1);
  // A file takes longer than a request: the body has its own, longer time limit.
  beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(120));
  if (beast::iequals(head[http::field::expect], "100-continue")) {
    continue_ = std::make_shared<http::response<http::empty_body>>(http::status::continue_, head.version());
    return http::async_write(stream_, *continue_, [self = this->shared_from_this()](beast::error_code wec, std::size_t) {
      self->continue_.reset();
      if (wec) return self->shut_down();
      self->read_body();
    });
  }
  read_body();
}

template <class Stream>
void HttpSession<Stream>::read_body() {
  http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&HttpSession::on_read, this->shared_from_this()));
}

template <class Stream>
void HttpSession<Stream>::refuse_unread(unsigned status, std::string_view code, std::string_view message) {
  Request req{parser_->get().method(), parser_->get().target(), parser_->get().version()};
  req.keep_alive(false);
  linger_ = true;
  auto res = api_error(req, status, code, message);
  if (status == 503) res.set(http::field::retry_after, "1");
  respond(std::move(res));
}

template <class Stream>
void HttpSession<Stream>::linger() {
  if constexpr (kIsTls<Stream>) {
    shut_down();
  } else {
    beast::error_code ec;
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
    drain_ = std::make_shared<std::array<char, 16384>>();
    drain_some();
  }
}

template <class Stream>
void HttpSession<Stream>::drain_some() {
  stream_.async_read_some(asio::buffer(*drain_), [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
    if (ec) {
      beast::get_lowest_layer(self->stream_).close();
      return;
    }
    self->drain_some();
  });
}

template <class Stream>
void HttpSession<Stream>::on_read(beast::error_code ec, std::size_t) {
  if (ec == http::error::body_limit && upload_slot_.held()) {
    return refuse_unread(413, "too_large", "files are at most " + std::to_string(ctx_.options.max_upload_bytes) + " bytes");
  }
  if (ec) {
    if (ec != http::error::end_of_stream && ec != beast::error::timeout) {
      spdlog::debug("http read: {}", ec.message());
    }
    return shut_down();
  }
  Request req = parser_->release();
  // Draining refuses everything but the readiness probe, which answers for itself.
  if (ctx_.draining && std::string_view(req.target()).substr(0, req.target().find('?')) != "/readyz") {
    auto res = error_response(req, 503, "server is shutting down");
    res.keep_alive(false);
    return respond(std::move(res));
  }
  if (beast::websocket::is_upgrade(req) || is_stream_request(req)) return upgrade(std::move(req));
  if (upload_slot_.held()) {
    return handle_upload_post(ctx_, std::move(req), [self = this->shared_from_this()](Response res) {
      self->respond(std::move(res));
    });
  }
  handle_http(ctx_, req, client_address(req), [self = this->shared_from_this()](Response res) { self->respond(std::move(res)); });
}

template <class Stream>
std::string HttpSession<Stream>::client_address(const Request& req) {
  beast::error_code ec;
  auto peer = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
  if (ec) return {};
  std::string ip = peer.address().to_string();
  if (!is_trusted_proxy(ip, ctx_.options.trusted_proxies)) return ip;
  auto xff = req["X-Forwarded-For"];
  return forwarded_client(std::string_view(xff.data(), xff.size()), ctx_.options.trusted_proxies);
}

template <class Stream>
void HttpSession<Stream>::refuse_upgrade(const Request& req, unsigned status, std::string_view why) {
  auto res = error_response(req, status, why);
  res.keep_alive(false);
  spdlog::info("upgrade refused ({}): {}", status, why);
  respond(std::move(res));
}

template <class Stream>
void HttpSession<Stream>::upgrade(Request req) {
  if (!ctx_.options.test_echo_path.empty() &&
      std::string_view(req.target()).substr(0, req.target().find('?')) == ctx_.options.test_echo_path) {
    beast::get_lowest_layer(stream_).expires_never();
    using Session = WsSession<Stream>;
    std::make_shared<Session>(std::move(stream_), ctx_, "echo", 0, std::move(slot_), tls_, Session::Mode::echo)
        ->run(std::move(req));
    return;
  }
  const bool stream = is_stream_request(req);
  auto decision = check_upgrade(ctx_.options, ctx_.jwt, req, now_s(), stream ? kStreamPath : "/ws");
  // No token at all: the application's connect hook, when there is one, may name the user
  // (from its own session cookie, say).
  if (decision.status == 401 && ctx_.hooks && ctx_.hooks->has_connect() && request_token(req, true).empty()) {
    ConnectAttempt attempt;
    beast::error_code ec;
    auto peer = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
    if (!ec) attempt.remote = peer.address().to_string();
    for (const auto& f : req) {
      std::string_view name(f.name_string().data(), f.name_string().size());
      if (beast::iequals(name.substr(0, std::min<std::size_t>(name.size(), 14)), "sec-websocket-")) continue;
      attempt.headers.emplace_back(std::string(name), std::string(f.value()));
    }
    std::string_view target = req.target();
    if (auto q = target.find('?'); q != std::string_view::npos) attempt.query = std::string(target.substr(q + 1));
    auto request = std::make_shared<Request>(std::move(req));
    ctx_.hooks->connect(std::move(attempt), [self = this->shared_from_this(), request](Result<ConnectGrant> g) {
      asio::dispatch(self->stream_.get_executor(), [self, request, g = std::move(g)] {
        if (!g.ok()) {
          const bool refused = g.status.code() == Status::Code::forbidden;
          return self->refuse_upgrade(*request, refused ? 401 : 503, g.status.message());
        }
        // The hook vouches for each connection: no token of parley's to revoke.
        self->admit(std::move(*request), TokenClaims{g.value.user, g.value.expires_at_s, INT64_MAX});
      });
    });
    return;
  }
  if (decision.status != 101) return refuse_upgrade(req, decision.status, decision.reason);
  admit(std::move(req), decision.claims);
}

template <class Stream>
void HttpSession<Stream>::admit(Request req, const TokenClaims& claims) {
  auto request = std::make_shared<Request>(std::move(req));
  ctx_.hub.check_token(claims.sub, claims.ver, claims.jti, [self = this->shared_from_this(), request, claims](Result<UserAccess> r) {
    asio::dispatch(self->stream_.get_executor(), [self, request, claims, r = std::move(r)] {
      if (!r.ok()) {
        const auto code = r.status.code();
        const unsigned status = code == Status::Code::unauthorized ? 401 : code == Status::Code::forbidden ? 403 : 503;
        return self->refuse_upgrade(*request, status, status == 503 ? "store unavailable" : r.status.message());
      }
      self->accept_upgrade(std::move(*request), claims);
    });
  });
}

template <class Stream>
void HttpSession<Stream>::accept_upgrade(Request req, const TokenClaims& claims) {
  if (!slot_.held() && ctx_.ip_limiter) {
    // The peer is a trusted proxy: limit by the address it forwards for.
    auto xff = req["X-Forwarded-For"];
    std::string client = forwarded_client(std::string_view(xff.data(), xff.size()), ctx_.options.trusted_proxies);
    if (!client.empty()) {
      slot_ = ctx_.ip_limiter->acquire(client);
      if (!slot_.held()) return refuse_upgrade(req, 429, "too many connections from this address");
    }
  }
  if (!ctx_.hub.reserve(claims.sub)) return refuse_upgrade(req, 429, "too many connections for this user");
  if (is_stream_request(req)) {
    auto session = std::make_shared<SseSession<Stream>>(std::move(stream_), ctx_, claims, std::move(slot_), tls_);
    session->run(req.version());
    return;
  }
  beast::get_lowest_layer(stream_).expires_never();
  auto session = std::make_shared<WsSession<Stream>>(std::move(stream_), ctx_, claims.sub, claims.exp, std::move(slot_), tls_);
  session->set_token(claims.ver, claims.jti);
  session->run(std::move(req));
}

template <class Stream>
void HttpSession<Stream>::respond(Response res) {
  asio::dispatch(stream_.get_executor(), [self = this->shared_from_this(), res = std::move(res)]() mutable {
    // A HEAD answer tells the length of the body it does not carry.
    if (!(res.body().empty() && res.has_content_length())) res.prepare_payload();
    bool close = !res.keep_alive();
    self->pending_ = std::make_shared<Response>(std::move(res));
    http::async_write(self->stream_, *self->pending_, beast::bind_front_handler(&HttpSession::on_write, self, close));
  });
}

template <class Stream>
void HttpSession<Stream>::on_write(bool close, beast::error_code ec, std::size_t) {
  pending_.reset();
  upload_slot_ = UploadSlot();
  if (!ec && close && linger_) return linger();
  if (ec || close) return shut_down();
  beast::get_lowest_layer(stream_).expires_after(std::chrono::milliseconds(ctx_.options.handshake_timeout_ms));
  do_read();
}

template <class Stream>
void HttpSession<Stream>::shut_down() {
  beast::error_code ec;
  if constexpr (kIsTls<Stream>) {
    // close_notify, bounded: a peer that vanished does not hold the session.
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
    stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
      beast::get_lowest_layer(self->stream_).close();
    });
  } else {
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  }
}

template class HttpSession<PlainStream>;
template class HttpSession<TlsStream>;

}  // namespace parley
