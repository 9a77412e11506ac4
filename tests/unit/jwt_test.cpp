#include "auth/jwt.hpp"

#include <gtest/gtest.h>
#include <openssl/hmac.h>
#include <sodium.h>

using namespace parley;

namespace {
std::string b64(std::string_view s) {
  std::string out(sodium_base64_ENCODED_LEN(s.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(s.data()), s.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(strlen(out.c_str()));
  return out;
}

// An HS256 token of `payload` under `key`, whatever the payload says.
std::string hs256(const std::string& key, const std::string& payload) {
  const std::string input = b64(R"({"alg":"HS256","typ":"JWT"})") + "." + b64(payload);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(input.data()),
       input.size(), mac, &len);
  return input + "." + b64(std::string_view(reinterpret_cast<char*>(mac), len));
}
}  // namespace

TEST(Jwt, SignThenVerify) {
  JwtCodec jwt("0123456789abcdef0123456789abcdef");
  auto token = jwt.sign({"alice", 2000});
  auto r = jwt.verify(token, 1000);
  ASSERT_TRUE(r.ok()) << r.status.message();
  EXPECT_EQ(r.value.sub, "alice");
  EXPECT_EQ(r.value.exp, 2000);
}

TEST(Jwt, Expired) {
  JwtCodec jwt("0123456789abcdef0123456789abcdef");
  EXPECT_FALSE(jwt.verify(jwt.sign({"alice", 1000}), 1000).ok());
}

TEST(Jwt, WrongSecret) {
  JwtCodec a("0123456789abcdef0123456789abcdef"), b("fedcba9876543210fedcba9876543210");
  EXPECT_FALSE(b.verify(a.sign({"alice", 2000}), 1000).ok());
}

TEST(Jwt, AlgNoneAndOtherAlgsAreRefused) {
  JwtCodec jwt("0123456789abcdef0123456789abcdef");
  std::string payload = b64(R"({"sub":"alice","exp":2000})");
  EXPECT_FALSE(jwt.verify(b64(R"({"alg":"none"})") + "." + payload + ".", 1000).ok());
  // A valid HS256 signature under a header that claims another algorithm is still refused.
  auto good = jwt.sign({"alice", 2000});
  auto sig = good.substr(good.rfind('.') + 1);
  EXPECT_FALSE(jwt.verify(b64(R"({"alg":"HS512","typ":"JWT"})") + "." + payload + "." + sig, 1000).ok());
}

TEST(Jwt, MalformedTokens) {
  JwtCodec jwt("0123456789abcdef0123456789abcdef");
  for (auto t : {"", "abc", "a.b", "a.b.c.d", "!!.??.**"}) EXPECT_FALSE(jwt.verify(t, 0).ok()) << t;
}

TEST(Jwt, SubjectMustBeAUserName) {
  JwtCodec jwt("0123456789abcdef0123456789abcdef");
  EXPECT_FALSE(jwt.verify(jwt.sign({"Robert'); DROP", 2000}), 1000).ok());
}

TEST(Jwt, TheTokenVersionIsCarriedAndChecked) {
  JwtCodec jwt("0123456789abcdef0123456789abcdef");
  EXPECT_EQ(jwt.verify(jwt.sign({"alice", 2000}), 1000).value.ver, 0) << "absent: version 0";
  auto r = jwt.verify(jwt.sign({"alice", 2000, 3}), 1000);
  ASSERT_TRUE(r.ok()) << r.status.message();
  EXPECT_EQ(r.value.ver, 3);
  // A version that is not a non-negative integer is refused, signed or not.
  const std::string key = "0123456789abcdef0123456789abcdef";
  auto signed_token = [&](const std::string& payload) { return hs256(key, payload); };
  ASSERT_EQ(jwt.verify(signed_token(R"({"sub":"alice","exp":2000,"ver":7})"), 1000).value.ver, 7);
  for (auto ver : {R"("3")", "-1", "1.5", "null"}) {
    auto t = signed_token(std::string(R"({"sub":"alice","exp":2000,"ver":)") + ver + "}");
    EXPECT_FALSE(jwt.verify(t, 1000).ok()) << ver;
  }
}

TEST(Jwt, EveryTokenSignedHereHasItsOwnId) {
  JwtCodec jwt("0123456789abcdef0123456789abcdef");
  auto a = jwt.verify(jwt.sign({"alice", 2000}), 1000);
  auto b = jwt.verify(jwt.sign({"alice", 2000}), 1000);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a.value.jti.size(), 22u) << "16 random bytes in base64url";
  EXPECT_NE(a.value.jti, b.value.jti);
  TokenClaims given{"alice", 2000, 0, "device-7"};
  EXPECT_EQ(jwt.verify(jwt.sign(given), 1000).value.jti, "device-7");
}

TEST(Jwt, ATokenWithoutAnIdIsKnownByItsSignature) {
  const std::string key = "0123456789abcdef0123456789abcdef";
  JwtCodec jwt(key);
  auto sign = [&](const std::string& payload) { return hs256(key, payload); };
  const std::string token = sign(R"({"sub":"alice","exp":2000})");
  auto r = jwt.verify(token, 1000);
  ASSERT_TRUE(r.ok()) << r.status.message();
  EXPECT_EQ(r.value.jti, "sig:" + token.substr(token.rfind('.') + 1));
  // An id that is not a short string is refused.
  const std::string too_long = "\"" + std::string(65, 'x') + "\"";
  for (const std::string jti : {std::string(R"("")"), std::string("7"), std::string("null"), too_long}) {
    EXPECT_FALSE(jwt.verify(sign(std::string(R"({"sub":"alice","exp":2000,"jti":)") + jti + "}"), 1000).ok()) << jti;
  }
  EXPECT_TRUE(jwt.verify(sign(R"({"sub":"alice","exp":2000,"jti":")" + std::string(64, 'x') + "\"}"), 1000).ok());
}
