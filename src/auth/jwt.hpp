#pragma once
// HS256 JSON Web Tokens: the only algorithm parley accepts. Stateless; thread-safe.
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.hpp"

namespace parley {

struct TokenClaims {
  std::string sub;   // the user name
  int64_t exp = 0;   // expiry, seconds since the epoch
  int64_t ver = 0;   // the user's token version when it was signed (absent: 0); older ones are revoked
  // The token's id (`jti`): what a logout revokes. sign() draws a random one when empty; a
  // token without the claim (signed by a backend) is known by "sig:" and its signature.
  std::string jti;
};

class JwtCodec {
 public:
  explicit JwtCodec(std::string secret) : secret_(std::move(secret)) {}

  // Returns header.payload.signature for {"sub":sub,"exp":exp,"jti":jti} (and "ver" when not 0).
  std::string sign(const TokenClaims& claims) const;

  // Verifies the token: three base64url parts, header alg exactly "HS256", a valid signature,
  // `sub` a valid user name, `exp` a number later than `now_s`, `ver` (optional) a non-negative integer,
  // `jti` (optional) a string of 1 to 64 bytes. Any failure is Status::invalid
  // with a short reason (never the secret or the signature).
  Result<TokenClaims> verify(std::string_view token, int64_t now_s) const;

 private:
  std::string secret_;
};

}  // namespace parley
