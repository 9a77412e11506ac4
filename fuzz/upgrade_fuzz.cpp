// libFuzzer target: raw bytes as an HTTP upgrade request (Beast's parser), then the upgrade
// decision (path, Origin, token from the query or Authorization header, JWT verification);
// the bytes are also tried as a bare token. Must never crash or accept a forged token.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "net/upgrade_check.hpp"

namespace {
const parley::JwtCodec jwt("fuzz-secret-0123456789abcdef-0123");
constexpr int64_t kNow = 1'800'000'000;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (jwt.verify(bytes, kNow).ok()) std::abort();  // only tokens signed with the secret pass

  namespace http = boost::beast::http;
  http::request_parser<http::string_body> parser;
  parser.eager(true);
  parser.header_limit(16 * 1024);
  parser.body_limit(64 * 1024);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (ec || !parser.is_header_done()) return 0;
  parley::Options options;
  auto decision = parley::check_upgrade(options, jwt, parser.get(), kNow);
  if (decision.status == 101) std::abort();  // a forged request was accepted
  options.allowed_origins = {"*"};
  if (parley::check_upgrade(options, jwt, parser.get(), kNow).status == 101) std::abort();
  return 0;
}
