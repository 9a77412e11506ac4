#pragma once
// One HTTP connection: reads requests (keep-alive), answers the REST routes and static files,
// and on `GET /ws` with an upgrade checks Origin and token, then hands the socket to a
// WsSession. The whole exchange up to the upgrade is bounded by handshake_timeout_ms.
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <memory>
#include <optional>

#include "net/context.hpp"

namespace parley {

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;
  using Response = boost::beast::http::response<boost::beast::http::string_body>;

  HttpSession(boost::asio::ip::tcp::socket socket, NetContext& ctx);
  void run();

 private:
  void do_read();
  void on_read(boost::beast::error_code ec, std::size_t);
  void upgrade(Request req);
  // Sends `res` (from any thread); keeps reading unless the response closes the connection.
  void respond(Response res);
  void on_write(bool close, boost::beast::error_code ec, std::size_t);

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  NetContext& ctx_;
  std::shared_ptr<Response> pending_;  // the response being written
};

}  // namespace parley
