// HS256 JWTs minted by the tests themselves (the "your application mints tokens" path),
// plus the forgeries the server must reject.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

namespace parley::test {

std::string base64url_encode(std::string_view bytes);
std::string base64url_decode(std::string_view text);  // throws on malformed input

// Seconds since the Unix epoch, now.
std::int64_t unix_now();

// header.claims.signature. `alg` chooses the signature: "HS256" and "HS512" sign with
// `secret`, "none" leaves the signature empty. The header's "alg" field is taken from
// `header` as given, so a header can lie about the algorithm.
std::string sign_jwt(const boost::json::object& header, const boost::json::object& claims,
                     std::string_view secret, std::string_view alg);

// A valid-looking HS256 token {"sub":sub,"exp":exp} signed with `secret`.
std::string mint_token(std::string_view secret, std::string_view sub, std::int64_t exp);

// Forgeries.
std::string mint_alg_none(std::string_view sub, std::int64_t exp);        // {"alg":"none"}, no signature
std::string mint_hs512(std::string_view secret, std::string_view sub, std::int64_t exp);

// The claims of a token (no verification).
boost::json::object jwt_claims(std::string_view token);
boost::json::object jwt_header(std::string_view token);

}  // namespace parley::test
