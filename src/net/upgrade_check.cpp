#include "net/upgrade_check.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/url/parse.hpp>

namespace parley {
namespace http = boost::beast::http;
using Request = http::request<http::string_body>;

std::string request_token(const Request& req, bool query) {
  auto auth = req[http::field::authorization];
  constexpr std::string_view bearer = "Bearer ";
  if (auth.size() > bearer.size() && auth.substr(0, bearer.size()) == bearer) {
    return std::string(auth.substr(bearer.size()));
  }
  if (!query) return {};
  auto url = boost::urls::parse_origin_form(req.target());
  if (!url) return {};
  auto params = url->params();
  auto it = params.find("token");
  return it == params.end() ? std::string() : std::string((*it).value);
}

namespace {

bool origin_allowed(const Options& options, const Request& req) {
  auto origin = req[http::field::origin];
  if (origin.empty()) return true;  // not a browser: Origin protects browsers against CSWSH
  if (options.allowed_origins.empty()) {
    auto host = req[http::field::host];
    return origin == "http://" + std::string(host) || origin == "https://" + std::string(host);
  }
  for (auto& allowed : options.allowed_origins) {
    if (allowed == "*" || allowed == origin) return true;
  }
  return false;
}

}  // namespace

UpgradeDecision check_upgrade(const Options& options, const JwtCodec& jwt, const Request& req, int64_t now_s,
                              std::string_view path) {
  std::string_view target = req.target();
  if (target.substr(0, target.find('?')) != path) return {404, "no WebSocket endpoint here; use /ws", {}};
  if (!origin_allowed(options, req)) return {403, "origin not allowed", {}};
  auto token = request_token(req, /*query=*/true);
  if (token.empty()) return {401, "missing token", {}};
  auto claims = jwt.verify(token, now_s);
  if (!claims.ok()) return {401, claims.status.message(), {}};
  return {101, {}, claims.value};
}

}  // namespace parley
