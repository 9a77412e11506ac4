#include "net/http_session.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/dispatch.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "hub/hub.hpp"
#include "net/http_api.hpp"
#include "net/upgrade_check.hpp"
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

}  // namespace

HttpSession::HttpSession(asio::ip::tcp::socket socket, NetContext& ctx) : stream_(std::move(socket)), ctx_(ctx) {}

void HttpSession::run() {
  asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
    self->stream_.expires_after(std::chrono::milliseconds(self->ctx_.options.handshake_timeout_ms));
    self->do_read();
  });
}

void HttpSession::do_read() {
  parser_.emplace();
  parser_->header_limit(16 * 1024);
  parser_->body_limit(64 * 1024);
  http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&HttpSession::on_read, shared_from_this()));
}

void HttpSession::on_read(beast::error_code ec, std::size_t) {
  if (ec) {
    if (ec != http::error::end_of_stream && ec != beast::error::timeout) {
      spdlog::debug("http read: {}", ec.message());
    }
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    return;
  }
  Request req = parser_->release();
  if (ctx_.draining) {
    auto res = error_response(req, 503, "server is shutting down");
    res.keep_alive(false);
    return respond(std::move(res));
  }
  if (beast::websocket::is_upgrade(req)) return upgrade(std::move(req));
  handle_http(ctx_, req, [self = shared_from_this()](Response res) { self->respond(std::move(res)); });
}

void HttpSession::upgrade(Request req) {
  auto refuse = [&](unsigned status, std::string_view why) {
    auto res = error_response(req, status, why);
    res.keep_alive(false);
    spdlog::info("upgrade refused ({}): {}", status, why);
    respond(std::move(res));
  };
  auto decision = check_upgrade(ctx_.options, ctx_.jwt, req, now_s());
  if (decision.status != 101) return refuse(decision.status, decision.reason);
  const TokenClaims& claims = decision.claims;
  if (!ctx_.hub.reserve(claims.sub)) return refuse(429, "too many connections for this user");
  stream_.expires_never();
  std::make_shared<WsSession>(std::move(stream_), ctx_, claims.sub, claims.exp)->run(std::move(req));
}

void HttpSession::respond(Response res) {
  asio::dispatch(stream_.get_executor(), [self = shared_from_this(), res = std::move(res)]() mutable {
    res.prepare_payload();
    bool close = !res.keep_alive();
    self->pending_ = std::make_shared<Response>(std::move(res));
    http::async_write(self->stream_, *self->pending_,
                      beast::bind_front_handler(&HttpSession::on_write, self, close));
  });
}

void HttpSession::on_write(bool close, beast::error_code ec, std::size_t) {
  pending_.reset();
  if (ec || close) {
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    return;
  }
  stream_.expires_after(std::chrono::milliseconds(ctx_.options.handshake_timeout_ms));
  do_read();
}

}  // namespace parley
