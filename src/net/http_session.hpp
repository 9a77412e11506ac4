#pragma once
// One HTTP connection, plain or TLS: reads requests (keep-alive), answers the REST routes and
// static files, and on `GET /ws` with an upgrade checks Origin and token, then hands the
// stream to a WsSession. Over TLS the handshake comes first. The whole exchange up to the
// upgrade is bounded by handshake_timeout_ms.
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <memory>
#include <optional>

#include "net/context.hpp"
#include "net/ip_limit.hpp"
#include "net/streams.hpp"

namespace boost::asio::ssl {
class context;
}

namespace parley {

template <class Stream>
class HttpSession : public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  using Request = HttpRequest;
  using Response = HttpResponse;

  // `slot`: the client address's connection slot (empty behind a trusted proxy: the upgrade
  // takes one for the forwarded address). `tls`: the context for TlsStream, null for plain.
  HttpSession(boost::asio::ip::tcp::socket socket, NetContext& ctx, IpSlot slot,
              std::shared_ptr<boost::asio::ssl::context> tls);
  void run();

 private:
  void on_handshake(boost::beast::error_code ec);
  void do_read();
  void on_read(boost::beast::error_code ec, std::size_t);
  void upgrade(Request req);
  // Sends `res` (from any thread); keeps reading unless the response closes the connection.
  void respond(Response res);
  void on_write(bool close, boost::beast::error_code ec, std::size_t);
  void shut_down();

  std::shared_ptr<boost::asio::ssl::context> tls_;  // outlives stream_, which refers to it
  Stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  NetContext& ctx_;
  IpSlot slot_;
  std::shared_ptr<Response> pending_;  // the response being written
};

extern template class HttpSession<PlainStream>;
extern template class HttpSession<TlsStream>;

}  // namespace parley
