#include "jwt.hpp"

#include <chrono>
#include <stdexcept>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace parley::test {
namespace json = boost::json;

std::string base64url_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    else if (c == '/') c = '_';
  }
  return out;
}

std::string base64url_decode(std::string_view text) {
  std::string in(text);
  for (char& c : in) {
    if (c == '-') c = '+';
    else if (c == '_') c = '/';
  }
  if (in.size() % 4 == 1) throw std::invalid_argument("bad base64url length");
  std::size_t pad = (4 - in.size() % 4) % 4;
  in.append(pad, '=');
  std::string out(in.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  if (n < 0) throw std::invalid_argument("bad base64url");
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {
std::string hmac(const EVP_MD* md, std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(md, key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
           data.size(), mac, &len) == nullptr)
    throw std::runtime_error("HMAC failed");
  return std::string(reinterpret_cast<const char*>(mac), len);
}

std::string part(std::string_view token, int index) {
  std::size_t start = 0;
  for (int i = 0; i < index; ++i) {
    start = token.find('.', start);
    if (start == std::string_view::npos) throw std::invalid_argument("not a JWT");
    ++start;
  }
  std::size_t end = token.find('.', start);
  return std::string(token.substr(start, end == std::string_view::npos ? token.size() - start : end - start));
}
}  // namespace

std::string sign_jwt(const json::object& header, const json::object& claims, std::string_view secret,
                     std::string_view alg) {
  const std::string signing_input =
      base64url_encode(json::serialize(header)) + "." + base64url_encode(json::serialize(claims));
  std::string sig;
  if (alg == "HS256") sig = hmac(EVP_sha256(), secret, signing_input);
  else if (alg == "HS512") sig = hmac(EVP_sha512(), secret, signing_input);
  else if (alg != "none") throw std::invalid_argument("unsupported alg");
  return signing_input + "." + base64url_encode(sig);
}

std::string mint_token(std::string_view secret, std::string_view sub, std::int64_t exp) {
  return sign_jwt({{"alg", "HS256"}, {"typ", "JWT"}}, {{"sub", sub}, {"exp", exp}}, secret, "HS256");
}

std::string mint_alg_none(std::string_view sub, std::int64_t exp) {
  return sign_jwt({{"alg", "none"}, {"typ", "JWT"}}, {{"sub", sub}, {"exp", exp}}, "", "none");
}

std::string mint_hs512(std::string_view secret, std::string_view sub, std::int64_t exp) {
  return sign_jwt({{"alg", "HS512"}, {"typ", "JWT"}}, {{"sub", sub}, {"exp", exp}}, secret, "HS512");
}

json::object jwt_claims(std::string_view token) { return json::parse(base64url_decode(part(token, 1))).as_object(); }
json::object jwt_header(std::string_view token) { return json::parse(base64url_decode(part(token, 0))).as_object(); }

}  // namespace parley::test
