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

template <class Stream>
inline constexpr bool kIsTls = std::is_same_v<Stream, TlsStream>;

}  // namespace parley
