#include "net/listener.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>

#include "net/http_session.hpp"
#include "net/ip_limit.hpp"
#include "net/tls.hpp"

namespace parley {
namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

namespace {

constexpr std::string_view kBusyBody = R"({"error":"too many connections from this address"})";

// Answers a connection over the per-address limit with HTTP 429 without reading its request,
// then drains what the client sent until it closes (at most 2 s), so that the answer is not
// lost to a reset.
void refuse_busy(tcp::socket socket, bool tls) {
  auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
  if (tls) {
    // A TLS client cannot read a plain answer: just close.
    stream->close();
    return;
  }
  static const std::string response = "HTTP/1.1 429 Too Many Requests\r\nServer: parley\r\n"
                                      "Content-Type: application/json\r\nConnection: close\r\nContent-Length: " +
                                      std::to_string(kBusyBody.size()) + "\r\n\r\n" + std::string(kBusyBody);
  stream->expires_after(std::chrono::seconds(2));
  asio::async_write(*stream, asio::buffer(response), [stream](boost::system::error_code ec, std::size_t) {
    if (ec) return stream->close();
    stream->socket().shutdown(tcp::socket::shutdown_send, ec);
    auto buf = std::make_shared<std::array<char, 1024>>();
    auto drain = std::make_shared<std::function<void()>>();
    *drain = [stream, buf, drain] {
      stream->async_read_some(asio::buffer(*buf), [stream, buf, drain](boost::system::error_code rec, std::size_t) {
        if (rec) {
          stream->close();
          *drain = nullptr;  // breaks the self-reference
          return;
        }
        (*drain)();
      });
    };
    (*drain)();
  });
}

}  // namespace

Listener::Listener(asio::io_context& ioc, NetContext& ctx, const tcp::endpoint& endpoint)
    : ioc_(ioc), ctx_(ctx), acceptor_(asio::make_strand(ioc)) {
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
}

void Listener::run() { do_accept(); }

void Listener::stop() {
  asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
    boost::system::error_code ec;
    self->acceptor_.close(ec);
  });
}

void Listener::do_accept() {
  acceptor_.async_accept(asio::make_strand(ioc_), [self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !self->acceptor_.is_open()) return;
    if (ec) {
      // Out of descriptors and the like: log, keep accepting.
      spdlog::warn("accept failed: {}", ec.message());
    } else {
      self->on_accept(std::move(socket));
    }
    self->do_accept();
  });
}

void Listener::on_accept(tcp::socket socket) {
  boost::system::error_code ec;
  auto peer = socket.remote_endpoint(ec);
  if (ec) return;  // already gone
  // Chat frames are small and latency matters: no Nagle delay.
  socket.set_option(tcp::no_delay(true), ec);
  IpSlot slot;
  const std::string ip = peer.address().to_string();
  if (ctx_.ip_limiter && !is_trusted_proxy(ip, ctx_.options.trusted_proxies)) {
    slot = ctx_.ip_limiter->acquire(ip);
    if (!slot.held()) {
      if (refused_++ % 1000 == 0) spdlog::warn("connection from {} refused: over max_conns_per_ip ({} so far)", ip, refused_);
      return refuse_busy(std::move(socket), ctx_.tls != nullptr);
    }
  }
  if (ctx_.tls) {
    std::make_shared<HttpSession<TlsStream>>(std::move(socket), ctx_, std::move(slot), ctx_.tls->current())->run();
  } else {
    std::make_shared<HttpSession<PlainStream>>(std::move(socket), ctx_, std::move(slot), nullptr)->run();
  }
}

}  // namespace parley
