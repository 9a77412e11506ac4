#include "http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <strings.h>

namespace parley::test {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

boost::json::value HttpResponse::json() const {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (ec) return nullptr;
  return v;
}

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k.size() == name.size() && ::strncasecmp(k.data(), name.data(), k.size()) == 0) return v;
  return {};
}

HttpResponse http_request(std::uint16_t port, std::string_view method, std::string_view target, std::string body,
                          const Headers& headers, std::chrono::milliseconds timeout, std::string_view source) {
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  if (!source.empty()) {
    stream.socket().open(tcp::v4());
    stream.socket().bind(tcp::endpoint(net::ip::make_address(std::string(source)), 0));
  }
  http::request<http::string_body> req;
  req.method_string(method);
  req.target(target);
  req.version(11);
  req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  req.set(http::field::user_agent, "parley-integration-tests");
  for (const auto& [k, v] : headers) req.set(k, v);
  if (!body.empty() || method == "POST" || method == "PUT") {
    req.body() = std::move(body);
    req.prepare_payload();
  }
  req.keep_alive(false);

  HttpResponse out;
  beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  parser.skip(method == "HEAD");  // a HEAD answer has a Content-Length but no body
  stream.expires_after(timeout);
  stream.async_connect(tcp::endpoint(net::ip::address_v4::loopback(), port), [&](beast::error_code ec) {
    if (ec) {
      out.error = "connect: " + ec.message();
      return;
    }
    http::async_write(stream, req, [&](beast::error_code ec, std::size_t) {
      if (ec) {
        out.error = "write: " + ec.message();
        return;
      }
      http::async_read(stream, buf, parser, [&](beast::error_code ec, std::size_t) {
        if (ec) {
          out.error = "read: " + ec.message();
          return;
        }
        const auto& res = parser.get();
        out.status = static_cast<int>(res.result_int());
        out.body = res.body();
        for (const auto& f : res) out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
      });
    });
  });
  ioc.run();
  beast::error_code ignored;
  stream.socket().close(ignored);
  return out;
}

HttpResponse http_get(std::uint16_t port, std::string_view target) { return http_request(port, "GET", target); }

HttpResponse http_post(std::uint16_t port, std::string_view target, std::string body) {
  return http_request(port, "POST", target, std::move(body), {{"Content-Type", "application/json"}});
}

HttpResponse http_post_json(std::uint16_t port, std::string_view target, const boost::json::value& body) {
  return http_post(port, target, boost::json::serialize(body));
}

}  // namespace parley::test
