#include "net/api_errors.hpp"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "common/error_codes.hpp"
#include "net/http_api.hpp"

namespace parley {
namespace http = boost::beast::http;
namespace json = boost::json;

HttpResponse api_error(const HttpRequest& req, unsigned status, std::string_view code, std::string_view message) {
  return json_response(req, status, json::serialize(json::object{{"error", message}, {"code", code}}));
}

HttpResponse not_allowed(const HttpRequest& req, std::string_view allow) {
  auto res = api_error(req, 405, "method_not_allowed", "allowed: " + std::string(allow));
  res.set(boost::beast::http::field::allow, allow);
  return res;
}

HttpResponse status_error(const HttpRequest& req, const Status& s) {
  const ErrorCode code = error_code(s.code());
  if (code.internal) {
    spdlog::error("api: store error: {}", s.message());
    return api_error(req, code.http, code.name, kStoreUnavailable);
  }
  json::object body{{"error", s.message()}, {"code", code.name}};
  if (s.until_ms() > 0) body["until"] = s.until_ms();
  auto res = json_response(req, code.http, "");
  if (s.retry_after_ms() > 0) {
    body["retry_after_ms"] = s.retry_after_ms();
    res.set(http::field::retry_after, std::to_string((s.retry_after_ms() + 999) / 1000));
  }
  res.body() = json::serialize(body);
  return res;
}

}  // namespace parley
