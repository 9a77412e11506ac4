// A one-shot HTTP/1.1 client for the server's plain HTTP endpoints.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/value.hpp>

namespace parley::test {

struct HttpResponse {
  int status = 0;       // 0 when no response was read (see `error`)
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string error;    // transport error, empty on success

  // The body parsed as JSON (null value when it is not JSON).
  boost::json::value json() const;
  std::string header(std::string_view name) const;  // case-insensitive, "" if absent
};

using Headers = std::vector<std::pair<std::string, std::string>>;

// `source`: the loopback address to connect from (e.g. "127.0.0.2": another client address).
HttpResponse http_request(std::uint16_t port, std::string_view method, std::string_view target,
                          std::string body = {}, const Headers& headers = {},
                          std::chrono::milliseconds timeout = std::chrono::seconds(10), std::string_view source = {});

HttpResponse http_get(std::uint16_t port, std::string_view target);
// POST with Content-Type: application/json and `body` as given (it need not be valid JSON).
HttpResponse http_post(std::uint16_t port, std::string_view target, std::string body);
HttpResponse http_post_json(std::uint16_t port, std::string_view target, const boost::json::value& body);

}  // namespace parley::test
