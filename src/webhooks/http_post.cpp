#include "webhooks/http_post.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>

#include <openssl/ssl.h>

namespace parley::webhooks {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct HttpPoster::Impl {
  asio::io_context& io;
  asio::ssl::context tls{asio::ssl::context::tls_client};

  Impl(asio::io_context& io_, const std::string& ca_file) : io(io_) {
    tls.set_verify_mode(asio::ssl::verify_peer);
    if (ca_file.empty()) {
      tls.set_default_verify_paths();
    } else {
      tls.load_verify_file(ca_file);
    }
  }

  template <class Stream>
  static asio::awaitable<PostResult> exchange(Stream& stream, beast::tcp_stream& tcp_layer,
                                       std::chrono::steady_clock::time_point deadline,
                                       const http::request<http::string_body>& req) {
    tcp_layer.expires_at(deadline);
    co_await http::async_write(stream, req, asio::use_awaitable);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024);
    tcp_layer.expires_at(deadline);
    co_await http::async_read(stream, buffer, parser, asio::use_awaitable);
    co_return PostResult{static_cast<int>(parser.get().result_int()), {}, std::move(parser.get().body())};
  }

  asio::awaitable<PostResult> run(PostRequest r) {
    const auto deadline = std::chrono::steady_clock::now() + r.timeout;
    auto url = boost::urls::parse_absolute_uri(r.url);
    if (!url) co_return PostResult{0, "bad URL " + r.url};
    const bool https = url->scheme() == "https";
    const std::string host(url->host());
    const std::string port = url->has_port() ? std::string(url->port()) : (https ? "443" : "80");
    std::string target(url->encoded_target());
    if (target.empty()) target = "/";

    http::request<http::string_body> req{http::verb::post, target, 11};
    req.set(http::field::host, url->has_port() ? host + ":" + port : host);
    req.set(http::field::user_agent, "parley-webhooks");
    req.set(http::field::content_type, "application/json");
    req.set(http::field::connection, "close");
    for (auto& [name, value] : r.headers) req.set(name, value);
    req.body() = std::move(r.body);
    req.prepare_payload();

    try {
      tcp::resolver resolver(io);
      beast::tcp_stream stream(io);
      stream.expires_at(deadline);
      auto endpoints = co_await resolver.async_resolve(host, port, asio::use_awaitable);
      co_await stream.async_connect(endpoints, asio::use_awaitable);
      if (!https) {
        auto result = co_await exchange(stream, stream, deadline, req);
        beast::error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        co_return result;
      }
      beast::ssl_stream<beast::tcp_stream> secure(std::move(stream), tls);
      if (!SSL_set_tlsext_host_name(secure.native_handle(), host.c_str())) co_return PostResult{0, "cannot set SNI"};
      secure.set_verify_callback(asio::ssl::host_name_verification(host));
      beast::get_lowest_layer(secure).expires_at(deadline);
      co_await secure.async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
      auto result = co_await exchange(secure, beast::get_lowest_layer(secure), deadline, req);
      beast::error_code ignored;
      beast::get_lowest_layer(secure).socket().shutdown(tcp::socket::shutdown_both, ignored);
      co_return result;
    } catch (const boost::system::system_error& e) {
      if (e.code() == beast::error::timeout) co_return PostResult{0, "timed out"};
      co_return PostResult{0, e.code().message()};
    }
  }
};

HttpPoster::HttpPoster(asio::io_context& io, const std::string& ca_file) : impl_(std::make_unique<Impl>(io, ca_file)) {}
HttpPoster::~HttpPoster() = default;

void HttpPoster::post(PostRequest req, std::function<void(PostResult)> done) {
  asio::co_spawn(impl_->io, impl_->run(std::move(req)),
                 [done = std::move(done)](std::exception_ptr e, PostResult r) {
                   if (e) {
                     try {
                       std::rethrow_exception(e);
                     } catch (const std::exception& x) {
                       r = PostResult{0, x.what()};
                     }
                   }
                   done(std::move(r));
                 });
}

}  // namespace parley::webhooks
