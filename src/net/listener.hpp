#pragma once
// Accepts TCP connections, enforces the per-address connection limit, and hands each to an
// HttpSession, plain or TLS.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>

#include "net/context.hpp"

namespace parley {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  // Binds and listens; throws boost::system::system_error when the address cannot be used.
  Listener(boost::asio::io_context& ioc, NetContext& ctx, const boost::asio::ip::tcp::endpoint& endpoint);
  void run();
  void stop();  // stops accepting; thread-safe
  boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

 private:
  void do_accept();
  void on_accept(boost::asio::ip::tcp::socket socket);
  boost::asio::io_context& ioc_;
  NetContext& ctx_;
  boost::asio::ip::tcp::acceptor acceptor_;
  uint64_t refused_ = 0;  // connections over the per-address limit (acceptor strand only)
};

}  // namespace parley
