#pragma once
// One HTTP connection, plain or TLS: reads requests (keep-alive), answers the REST routes and
// static files, and on `GET /ws` with an upgrade checks Origin and token, then hands the
// stream to a WsSession. Over TLS the handshake comes first. The whole exchange up to the
// upgrade is bounded by handshake_timeout_ms.
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <array>
#include <memory>
#include <optional>

#include "net/context.hpp"
#include "net/ip_limit.hpp"
#include "net/streams.hpp"
#include "net/uploads.hpp"

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
  // The header is in: an upload's body may be larger (and is read under an upload slot).
  void on_header(boost::beast::error_code ec, std::size_t);
  void read_body();
  void on_read(boost::beast::error_code ec, std::size_t);
  // Refuses the request whose body is not read, and closes the connection after.
  void refuse_unread(unsigned status, std::string_view code, std::string_view message);
  void upgrade(Request req);
  // The upgrade's user is known (a token, or the connect hook): the user's standing (a
  // revoked token: 401; disabled or deleted: 403), then admission and the session.
  void admit(Request req, const TokenClaims& claims);
  void accept_upgrade(Request req, const TokenClaims& claims);
  void refuse_upgrade(const Request& req, unsigned status, std::string_view why);
  // The client's address: the peer's, or behind a trusted proxy the one it forwards for.
  std::string client_address(const Request& req);
  // Sends `res` (from any thread); keeps reading unless the response closes the connection.
  void respond(Response res);
  void on_write(bool close, boost::beast::error_code ec, std::size_t);
  void shut_down();
  // After refusing a request whose body is still coming: stop sending, read and drop what
  // the client still sends for a moment, then close, so that the refusal is not lost to a
  // reset of the connection.
  void linger();
  void drain_some();

  std::shared_ptr<boost::asio::ssl::context> tls_;  // outlives stream_, which refers to it
  Stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  NetContext& ctx_;
  IpSlot slot_;
  std::shared_ptr<Response> pending_;  // the response being written
  std::shared_ptr<boost::beast::http::response<boost::beast::http::empty_body>> continue_;  // 100 Continue
  UploadSlot upload_slot_;             // held from an upload's header to its response
  bool linger_ = false;                // refuse_unread: linger() after the response
  std::shared_ptr<std::array<char, 16384>> drain_;
};

extern template class HttpSession<PlainStream>;
extern template class HttpSession<TlsStream>;

}  // namespace parley
