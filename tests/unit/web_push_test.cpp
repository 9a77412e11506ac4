// Web Push encryption against RFC 8291's own example (Appendix A), opened again as a browser
// would, and VAPID's ES256 JWT (RFC 8292) checked under the key it names.
#include "webhooks/web_push.hpp"

#include <gtest/gtest.h>

#include "jwt.hpp"
#include "push_check.hpp"

using namespace parley;
using namespace parley::webhooks;

namespace {

std::string b(std::string_view text) { return from_b64url(text).value(); }

// RFC 8291, Appendix A.
const std::string kPlaintext = "When I grow up, I want to be a watermelon";
const std::string kUaPrivate = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94";
const std::string kUaPublic = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
const std::string kAsPrivate = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw";
const std::string kAsPublic = "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8";
const std::string kAuth = "BTBZMqHH6r4Tts7J_aSIgg";
const std::string kSalt = "DGv6ra1nlYgDCS1FRnbzlw";
const std::string kBody =
    "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_"
    "yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN";

}  // namespace

TEST(WebPush, TheRfc8291ExampleEncryptsByteForByte) {
  auto sender = p256_from_private(b(kAsPrivate));
  ASSERT_TRUE(sender);
  EXPECT_EQ(b64url(sender->public_key), kAsPublic) << "the public point of the private scalar";
  PushTarget target{"https://push.example.net/p/JzLQ3raZJfFBR0aqvOMsLrt54w4rJUsV", b(kUaPublic), b(kAuth)};
  auto body = encrypt_push(target, kPlaintext, &*sender, b(kSalt));
  ASSERT_TRUE(body);
  EXPECT_EQ(b64url(*body), kBody);
}

TEST(WebPush, AFreshBodyOpensWithTheSubscriptionsKeysOnly) {
  auto ua = generate_p256();
  ASSERT_TRUE(ua);
  const std::string auth = "0123456789abcdef";
  PushTarget target{"https://push.example.net/x", ua->public_key, auth};
  auto one = encrypt_push(target, R"({"room":"general","text":"hi"})");
  auto two = encrypt_push(target, R"({"room":"general","text":"hi"})");
  ASSERT_TRUE(one && two);
  EXPECT_NE(*one, *two) << "a fresh salt and sender key each time";
  EXPECT_EQ(test::decrypt_push(*one, ua->private_key, ua->public_key, auth), R"({"room":"general","text":"hi"})");
  EXPECT_FALSE(test::decrypt_push(*one, ua->private_key, ua->public_key, "fedcba9876543210")) << "another auth secret";
  std::string altered = *one;
  altered[altered.size() - 20] ^= 1;
  EXPECT_FALSE(test::decrypt_push(altered, ua->private_key, ua->public_key, auth)) << "the tag catches a change";
  // Keys that are not a subscription's are refused, not encrypted to.
  EXPECT_FALSE(encrypt_push(PushTarget{"x", std::string(65, '\x04'), auth}, "hi")) << "a point off the curve";
  EXPECT_FALSE(encrypt_push(PushTarget{"x", ua->public_key, "short"}, "hi"));
  EXPECT_FALSE(p256_from_private(std::string(32, '\0')));
  EXPECT_FALSE(p256_from_private(std::string(31, '\x01')));
}

TEST(WebPush, VapidSignsForTheEndpointsOrigin) {
  auto vapid = generate_p256();
  ASSERT_TRUE(vapid);
  const std::string header =
      vapid_authorization(*vapid, "https://push.example.net:8443/wpush/v2/abc?x=1", 1800000000, "mailto:ops@example.com");
  auto check = test::check_vapid(header);
  EXPECT_TRUE(check.valid) << check.error;
  EXPECT_EQ(check.public_key, b64url(vapid->public_key));
  EXPECT_EQ(check.claims.at("aud"), "https://push.example.net:8443");
  EXPECT_EQ(check.claims.at("exp").as_int64(), 1800000000);
  EXPECT_EQ(check.claims.at("sub"), "mailto:ops@example.com");
  // Under another key the same signature fails.
  auto other = generate_p256();
  std::string forged = header.substr(0, header.find(", k=")) + ", k=" + b64url(other->public_key);
  EXPECT_FALSE(test::check_vapid(forged).valid);
}
