#pragma once
// The two transports a session runs over: plain TCP, or TLS over TCP when tls_cert/tls_key
// are configured. HttpSession and WsSession are templates over these and are instantiated
// for both in their .cpp files. Include only from net/: it pulls in Beast and Asio SSL.
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <type_traits>

#include "net/http_types.hpp"

namespace parley {

using PlainStream = boost::beast::tcp_stream;
using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

// What a WebSocket session runs on once upgraded. Plain TCP leaves the tcp_stream behind (its
// timers serve the HTTP phase only; the session has its own heartbeat and Beast its close
// timeout), which saves half a KiB per connection; TLS keeps its stream.
template <class Stream>
struct WsTransport {
  using type = Stream;
  static type from(Stream&& s) { return std::move(s); }
};
template <>
struct WsTransport<PlainStream> {
  using type = boost::asio::ip::tcp::socket;
  static type from(PlainStream&& s) { return s.release_socket(); }
};

template <class Stream>
inline constexpr bool kIsTls = std::is_same_v<Stream, TlsStream>;

}  // namespace parley
