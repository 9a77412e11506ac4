// The server API (/api/v1, docs/api.md) from a test: every request carries the
// X-Parley-Api-Key header (unless the key is empty).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "http_client.hpp"

namespace parley::test {

class ApiClient {
public:
  ApiClient(std::uint16_t port, std::string key) : port_(port), key_(std::move(key)) {}

  HttpResponse request(std::string_view method, std::string_view target, std::string body = {}) const;
  HttpResponse get(std::string_view target) const { return request("GET", target); }
  HttpResponse post(std::string_view target, const boost::json::value& body) const;
  HttpResponse put(std::string_view target) const { return request("PUT", target); }
  HttpResponse del(std::string_view target) const { return request("DELETE", target); }

  // Shorthands that throw std::runtime_error (with status and body) unless the answer is 2xx.
  void create_room(std::string_view room) const;
  void add_member(std::string_view room, std::string_view user) const;
  // POST /api/v1/rooms/{room}/messages; returns the answer's body.
  boost::json::object publish(std::string_view room, const boost::json::object& body) const;

private:
  std::uint16_t port_;
  std::string key_;
};

// The parsed JSON object of a response (throws naming the body when it is not one).
boost::json::object body_of(const HttpResponse& r);

// GoogleTest expectations on an error answer: `status`, and a JSON body
// {"error": <text>, "code": `code`}.
void expect_api_error(const HttpResponse& r, int status, const std::string& code);

}  // namespace parley::test
