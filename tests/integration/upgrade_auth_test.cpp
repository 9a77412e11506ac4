// GET /ws: token checks answered with HTTP 401 before any upgrade, and the Origin
// allow-list answered with 403.
#include "parley_test.hpp"

namespace parley::test {
namespace {

class UpgradeAuth : public ParleyTest {
protected:
  // The HTTP status the server answers the upgrade with.
  int status_for(ConnectOptions opts) {
    WsClient c("probe");
    ConnectResult r = c.connect(port(), opts);
    if (r.status == 0) ADD_FAILURE() << "no HTTP response to the upgrade: " << r.error;
    return r.status;
  }
  std::string own_origin() { return "http://127.0.0.1:" + std::to_string(port()); }
};

TEST_F(UpgradeAuth, ValidTokenInQueryUpgrades) {
  start_server();
  auto c = connect("alice");
  EXPECT_EQ(welcome_of(*c).at("user"), "alice");
}

TEST_F(UpgradeAuth, ValidTokenInAuthorizationHeaderUpgrades) {
  start_server();
  auto c = connect("alice", {.bearer = token("alice")});
  EXPECT_EQ(welcome_of(*c).at("user"), "alice");
}

TEST_F(UpgradeAuth, MissingTokenIs401) {
  start_server();
  EXPECT_EQ(status_for({}), 401);
  EXPECT_EQ(status_for({.target = "/ws?token="}), 401);
}

TEST_F(UpgradeAuth, MalformedTokenIs401) {
  start_server();
  EXPECT_EQ(status_for({.token = "not-a-jwt"}), 401);
  EXPECT_EQ(status_for({.token = "a.b.c"}), 401);
  const std::string good = token("alice");
  EXPECT_EQ(status_for({.token = good.substr(0, good.rfind('.'))}), 401) << "token without signature part";
  EXPECT_EQ(status_for({.bearer = "garbage"}), 401);
}

TEST_F(UpgradeAuth, WrongSignatureIs401) {
  start_server();
  EXPECT_EQ(status_for({.token = mint_token("some-other-secret", "alice", unix_now() + 600)}), 401);
  EXPECT_EQ(status_for({.bearer = mint_token("some-other-secret", "alice", unix_now() + 600)}), 401);
  // A valid signature over different claims: swap the payload of two tokens.
  const std::string a = token("alice"), m = token("mallory");
  const auto a1 = a.find('.'), a2 = a.rfind('.'), m1 = m.find('.'), m2 = m.rfind('.');
  const std::string spliced = a.substr(0, a1) + m.substr(m1, m2 - m1) + a.substr(a2);
  EXPECT_EQ(status_for({.token = spliced}), 401) << "payload swapped under another token's signature";
}

TEST_F(UpgradeAuth, AlgNoneIs401) {
  start_server();
  EXPECT_EQ(status_for({.token = mint_alg_none("alice", unix_now() + 600)}), 401);
  // "none" in the header with a real HS256 signature attached.
  const std::string hs = token("alice");
  const std::string none = mint_alg_none("alice", unix_now() + 600);
  EXPECT_EQ(status_for({.token = none + hs.substr(hs.rfind('.') + 1)}), 401);
}

TEST_F(UpgradeAuth, OtherAlgorithmWithTheRightSecretIs401) {
  start_server();
  EXPECT_EQ(status_for({.token = mint_hs512(kSecret, "alice", unix_now() + 600)}), 401);
}

TEST_F(UpgradeAuth, ExpiredTokenIs401) {
  start_server();
  EXPECT_EQ(status_for({.token = mint_token(kSecret, "alice", unix_now() - 120)}), 401);
  EXPECT_EQ(status_for({.bearer = mint_token(kSecret, "alice", unix_now() - 120)}), 401);
}

TEST_F(UpgradeAuth, TokenWithoutSubOrExpIs401) {
  start_server();
  const boost::json::object hdr{{"alg", "HS256"}, {"typ", "JWT"}};
  EXPECT_EQ(status_for({.token = sign_jwt(hdr, {{"exp", unix_now() + 600}}, kSecret, "HS256")}), 401) << "no sub";
  EXPECT_EQ(status_for({.token = sign_jwt(hdr, {{"sub", "alice"}}, kSecret, "HS256")}), 401) << "no exp";
}

TEST_F(UpgradeAuth, ForeignOriginIs403ByDefault) {
  start_server();
  EXPECT_EQ(status_for({.token = token("alice"), .origin = "https://evil.example"}), 403);
  EXPECT_EQ(status_for({.token = token("alice"), .origin = "http://localhost:1"}), 403);
}

TEST_F(UpgradeAuth, OwnOriginAndNoOriginAreAllowedByDefault) {
  start_server();
  auto with_own = connect("alice", {.origin = own_origin()});
  EXPECT_TRUE(with_own->is_open());
  auto without = connect("bob");
  EXPECT_TRUE(without->is_open());
}

TEST_F(UpgradeAuth, WildcardAllowsAnyOrigin) {
  start_server({{"--allowed-origins", "*"}});
  auto c = connect("alice", {.origin = "https://evil.example"});
  EXPECT_TRUE(c->is_open());
}

TEST_F(UpgradeAuth, ListedOriginsAreAllowedOthersAre403) {
  start_server({{"--allowed-origins", "https://app.example.com,https://chat.example.org"}});
  auto a = connect("alice", {.origin = "https://app.example.com"});
  auto b = connect("bob", {.origin = "https://chat.example.org"});
  EXPECT_TRUE(a->is_open());
  EXPECT_TRUE(b->is_open());
  EXPECT_EQ(status_for({.token = token("carol"), .origin = "https://evil.example"}), 403);
  EXPECT_EQ(status_for({.token = token("carol"), .origin = "https://app.example.com.evil.example"}), 403);
}

TEST_F(UpgradeAuth, RejectedUpgradeLeavesNoTrace) {
  // A refused connection must not count as the user being online.
  start_server();
  auto bob = connect("bob");
  join(*bob, "general");
  auto a = connect("alice");
  join(*a, "general");
  a->close();
  bob->expect(presence("general", "alice", "offline"), "alice offline");
  const std::size_t online_before = bob->count(presence("general", "alice", "online"));
  EXPECT_EQ(status_for({.token = mint_token(kSecret, "alice", unix_now() - 10)}), 401);
  EXPECT_EQ(status_for({.token = token("alice"), .origin = "https://evil.example"}), 403);
  // bob's own message comes back after anything the refused attempts could have caused.
  send_message(*bob, "general", "marker");
  bob->expect(has({{"type", "message"}, {"text", "marker"}}));
  EXPECT_EQ(bob->count(presence("general", "alice", "online")), online_before) << bob->dump();
}

}  // namespace
}  // namespace parley::test
