#include "http.hpp"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <future>

namespace parleyctl {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

std::optional<Endpoint> parse_endpoint(std::string_view url, std::string& why) {
  auto u = boost::urls::parse_uri(url);
  if (!u) {
    why = "not a URL: " + std::string(url);
    return std::nullopt;
  }
  Endpoint e;
  if (u->scheme() == "https") {
    e.tls = true;
  } else if (u->scheme() != "http") {
    why = "the URL must start with http:// or https://";
    return std::nullopt;
  }
  e.host = std::string(u->host_address());
  if (e.host.empty()) {
    why = "the URL names no host";
    return std::nullopt;
  }
  e.port = u->has_port() ? std::string(u->port()) : (e.tls ? "443" : "80");
  e.prefix = std::string(u->encoded_path());
  while (!e.prefix.empty() && e.prefix.back() == '/') e.prefix.pop_back();
  return e;
}

std::string segment(std::string_view s) { return boost::urls::encode(s, boost::urls::unreserved_chars); }

namespace {

http::verb verb_of(std::string_view method) {
  auto v = http::string_to_verb(method);
  if (v == http::verb::unknown) throw std::invalid_argument("unknown HTTP method " + std::string(method));
  return v;
}

template <class Stream>
asio::awaitable<Reply> exchange(Stream& stream, http::request<http::string_body> req) {
  co_await http::async_write(stream, req, asio::use_awaitable);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  co_await http::async_read(stream, buffer, parser, asio::use_awaitable);
  auto res = parser.release();
  co_return Reply{static_cast<int>(res.result_int()), std::move(res.body())};
}

}  // namespace

Reply ApiClient::request(std::string_view method, const std::string& target, const std::optional<std::string>& body) const {
  http::request<http::string_body> req{verb_of(method), endpoint_.prefix + target, 11};
  const bool default_port = endpoint_.port == (endpoint_.tls ? "443" : "80");
  req.set(http::field::host, default_port ? endpoint_.host : endpoint_.host + ":" + endpoint_.port);
  req.set(http::field::user_agent, "parleyctl");
  req.set(http::field::accept, "application/json");
  if (!key_.empty()) req.set("X-Parley-Api-Key", key_);
  if (body) {
    req.set(http::field::content_type, "application/json");
    req.body() = *body;
  }
  req.keep_alive(false);
  req.prepare_payload();

  // The TLS context outlives the io_context, which owns the streams that use it.
  ssl::context tls_ctx(ssl::context::tls_client);
  asio::io_context ioc;
  std::future<Reply> reply;
  auto fail = [&](const std::string& what) { return TransportError(what + " (" + endpoint_.host + ":" + endpoint_.port + ")"); };
  try {
    tcp::resolver resolver(ioc);
    auto addresses = resolver.resolve(endpoint_.host, endpoint_.port);
    if (endpoint_.tls) {
      if (tls_.insecure) {
        tls_ctx.set_verify_mode(ssl::verify_none);
      } else {
        tls_ctx.set_verify_mode(ssl::verify_peer);
        if (tls_.ca_file.empty()) tls_ctx.set_default_verify_paths();
        else tls_ctx.load_verify_file(tls_.ca_file);
      }
      auto stream = std::make_shared<beast::ssl_stream<beast::tcp_stream>>(ioc, tls_ctx);
      if (!tls_.insecure) {
        stream->set_verify_callback(ssl::host_name_verification(endpoint_.host));
        SSL_set_tlsext_host_name(stream->native_handle(), endpoint_.host.c_str());
      }
      reply = asio::co_spawn(ioc, [stream, addresses, req]() mutable -> asio::awaitable<Reply> {
        co_await beast::get_lowest_layer(*stream).async_connect(addresses, asio::use_awaitable);
        co_await stream->async_handshake(ssl::stream_base::client, asio::use_awaitable);
        co_return co_await exchange(*stream, std::move(req));
      }, asio::use_future);
    } else {
      auto stream = std::make_shared<beast::tcp_stream>(ioc);
      reply = asio::co_spawn(ioc, [stream, addresses, req]() mutable -> asio::awaitable<Reply> {
        co_await stream->async_connect(addresses, asio::use_awaitable);
        co_return co_await exchange(*stream, std::move(req));
      }, asio::use_future);
    }
    // The whole exchange has `timeout_`; whatever is still under way then is cancelled.
    ioc.run_for(timeout_);
    if (!ioc.stopped()) {
      ioc.stop();
      throw fail("no answer within " + std::to_string(timeout_.count() / 1000.0).substr(0, 4) + " s");
    }
    return reply.get();
  } catch (const TransportError&) {
    throw;
  } catch (const boost::system::system_error& e) {
    throw fail(e.code().message());
  } catch (const std::exception& e) {
    throw fail(e.what());
  }
}

}  // namespace parleyctl
