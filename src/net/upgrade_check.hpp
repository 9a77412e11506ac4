#pragma once
// The decision on a WebSocket upgrade request (or the fallback transport's event stream),
// before any socket work: path, Origin and token. Pure (no I/O, no state), so it is unit-tested and fuzzed on raw requests.
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstdint>
#include <string>

#include "auth/jwt.hpp"
#include "config/options.hpp"

namespace parley {

struct UpgradeDecision {
  unsigned status = 101;   // 101: accept; otherwise the HTTP status to refuse with
  std::string reason;      // why it was refused
  TokenClaims claims;      // the authenticated user when accepted
};

// The token of a request: `Authorization: Bearer <token>`, or (with `query`) `?token=`.
std::string request_token(const boost::beast::http::request<boost::beast::http::string_body>& req, bool query);

// `path`: the endpoint asked for (/ws, or /api/stream for the fallback transport's stream).
UpgradeDecision check_upgrade(const Options& options, const JwtCodec& jwt,
                              const boost::beast::http::request<boost::beast::http::string_body>& req,
                              int64_t now_s, std::string_view path = "/ws");

}  // namespace parley
