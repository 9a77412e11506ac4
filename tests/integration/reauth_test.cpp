// Token lifetime on an open connection: the server asks for a fresh token (`reauth`) before
// the current one expires, the client answers with `auth`; without a valid answer within the
// grace period the connection is closed with 4001.
#include "parley_test.hpp"

namespace parley::test {
namespace {

using namespace std::chrono_literals;

class Reauth : public ParleyTest {
 protected:
  // Tokens expire in whole seconds: with reauth asked 2 s ahead, a token living 2 s is asked
  // for at once, one living 3 s about a second later.
  void start() { start_server({{"--reauth-before-ms", "2000"}, {"--reauth-grace-ms", "700"}}); }
  std::string token_for(std::string_view user, int64_t ttl_s) { return mint_token(kSecret, user, unix_now() + ttl_s); }
};

TEST_F(Reauth, AFreshTokenKeepsTheConnectionAndArmsTheNextReauth) {
  start();
  auto alice = connect("alice", {.token = token_for("alice", 2)});
  alice->expect(is_type("reauth"), "reauth before the token expires");
  const std::string fresh = token_for("alice", 3);
  alice->send_json({{"type", "auth"}, {"token", fresh}, {"ref", 1}});
  auto authed = alice->expect(is_type("authed"), "authed");
  EXPECT_EQ(authed.at("ref"), 1);
  EXPECT_GT(authed.at("expires_at").as_int64(), unix_now() * 1000);
  // The connection outlived the first grace period: the next reauth, for the fresh token,
  // arrives on the same connection.
  alice->expect(is_type("reauth"), "second reauth for the fresh token", 5s);
  EXPECT_TRUE(alice->is_open()) << alice->close_info().describe();
  join(*alice, "general");
  send_message(*alice, "general", "still connected");
}

TEST_F(Reauth, NoAnswerClosesWith4001) {
  start();
  auto alice = connect("alice", {.token = token_for("alice", 2)});
  alice->expect(is_type("reauth"), "reauth");
  auto closed = alice->wait_closed(5s);
  ASSERT_TRUE(closed.closed);
  EXPECT_EQ(closed.code, 4001) << closed.describe();
}

TEST_F(Reauth, AnotherUsersTokenIsRefusedAndDoesNotCount) {
  start();
  auto alice = connect("alice", {.token = token_for("alice", 2)});
  alice->expect(is_type("reauth"), "reauth");
  alice->send_json({{"type", "auth"}, {"token", token_for("mallory", 3600)}});
  EXPECT_EQ(alice->expect(is_type("error"), "error").at("code"), "unauthorized");
  alice->send_json({{"type", "auth"}, {"token", mint_token("wrong-secret", "alice", unix_now() + 3600)}});
  EXPECT_EQ(alice->expect(is_type("error"), "error").at("code"), "unauthorized");
  auto closed = alice->wait_closed(5s);
  EXPECT_EQ(closed.code, 4001) << closed.describe();
}

TEST_F(Reauth, LongLivedTokensAreNotAskedEarly) {
  start();
  auto alice = connect("alice");  // one hour
  join(*alice, "general");
  send_message(*alice, "general", "hello");
  EXPECT_EQ(alice->count(is_type("reauth")), 0u);
}

}  // namespace
}  // namespace parley::test
