#include "auth/jwt.hpp"

#include <openssl/crypto.h>
#include <cstring>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include <boost/json.hpp>

#include "common/names.hpp"

namespace parley {
namespace {

constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
constexpr std::size_t kMaxTokenId = 64;

std::string b64url(std::string_view bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), kVariant), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), kVariant);
  out.resize(std::strlen(out.c_str()));
  return out;
}

bool unb64url(std::string_view text, std::string& out) {
  out.assign(text.size(), '\0');
  std::size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &len, nullptr, kVariant) != 0) {
    return false;
  }
  out.resize(len);
  return true;
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  return std::string(reinterpret_cast<char*>(mac), len);
}


}  // namespace

std::string JwtCodec::sign(const TokenClaims& claims) const {
  boost::json::object payload{{"sub", claims.sub}, {"exp", claims.exp}};
  if (claims.ver != 0) payload["ver"] = claims.ver;
  if (claims.jti.empty()) {
    unsigned char id[16];
    randombytes_buf(id, sizeof id);
    payload["jti"] = b64url(std::string_view(reinterpret_cast<const char*>(id), sizeof id));
  } else {
    payload["jti"] = claims.jti;
  }
  std::string signing_input = b64url(R"({"alg":"HS256","typ":"JWT"})") + "." +
                              b64url(boost::json::serialize(payload));
  return signing_input + "." + b64url(hmac_sha256(secret_, signing_input));
}

Result<TokenClaims> JwtCodec::verify(std::string_view token, int64_t now_s) const {
  auto dot1 = token.find('.');
  auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return Status::invalid("malformed token");
  }
  std::string header, payload, signature;
  if (!unb64url(token.substr(0, dot1), header) ||
      !unb64url(token.substr(dot1 + 1, dot2 - dot1 - 1), payload) ||
      !unb64url(token.substr(dot2 + 1), signature)) {
    return Status::invalid("malformed token");
  }
  boost::system::error_code ec;
  auto h = boost::json::parse(header, ec);
  if (ec || !h.is_object()) return Status::invalid("malformed token header");
  auto* alg = h.as_object().if_contains("alg");
  if (!alg || !alg->is_string() || alg->as_string() != "HS256") {
    return Status::invalid("unsupported token algorithm");
  }
  std::string expected = hmac_sha256(secret_, token.substr(0, dot2));
  if (signature.size() != expected.size() ||
      CRYPTO_memcmp(signature.data(), expected.data(), expected.size()) != 0) {
    return Status::invalid("bad token signature");
  }
  auto p = boost::json::parse(payload, ec);
  if (ec || !p.is_object()) return Status::invalid("malformed token payload");
  auto& claims = p.as_object();
  auto* sub = claims.if_contains("sub");
  auto* exp = claims.if_contains("exp");
  if (!sub || !sub->is_string() || !valid_user_name(sub->as_string())) {
    return Status::invalid("token subject is not a valid user name");
  }
  if (!exp || !exp->is_number()) return Status::invalid("token has no expiry");
  TokenClaims out;
  out.sub = std::string(sub->as_string());
  out.exp = exp->is_int64()    ? exp->as_int64()
            : exp->is_uint64() ? static_cast<int64_t>(std::min<uint64_t>(exp->as_uint64(), INT64_MAX))
                               : static_cast<int64_t>(exp->as_double());
  if (out.exp <= now_s) return Status::invalid("token expired");
  if (auto* ver = claims.if_contains("ver")) {
    if (!ver->is_int64() || ver->as_int64() < 0) return Status::invalid("token version is not a non-negative integer");
    out.ver = ver->as_int64();
  }
  if (auto* jti = claims.if_contains("jti")) {
    if (!jti->is_string() || jti->as_string().empty() || jti->as_string().size() > kMaxTokenId) {
      return Status::invalid("token id (jti) is not a string of 1 to 64 bytes");
    }
    out.jti = std::string(jti->as_string());
  } else {
    out.jti = "sig:" + std::string(token.substr(dot2 + 1));
  }
  return out;
}

}  // namespace parley
