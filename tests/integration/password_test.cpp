// POST /api/password: a user changes their password with their current one; every token
// signed before is revoked (open connections close with 4001, old tokens are refused on
// upgrade) and a fresh token is answered. Guessing the current password here is throttled
// like a login.
#include "parley_test.hpp"

namespace parley::test {
namespace {

using namespace std::chrono_literals;

class Password : public ParleyTest {
 protected:
  std::string sign_up(std::string_view user, std::string_view password) {
    auto r = http_post_json(port(), "/api/register", {{"user", user}, {"password", password}});
    if (r.status != 201) throw std::runtime_error("register: " + r.body);
    return std::string(r.json().at("token").as_string());
  }
  HttpResponse change(const std::string& token, std::string_view current, std::string_view fresh) {
    const std::string body = R"({"password":")" + std::string(current) + R"(","new_password":")" + std::string(fresh) + R"("})";
    Headers h{{"Content-Type", "application/json"}};
    if (!token.empty()) h.emplace_back("Authorization", "Bearer " + token);
    return http_request(port(), "POST", "/api/password", body, h);
  }
  int upgrade_status(const std::string& token) {
    WsClient c("probe");
    return c.connect(port(), {.token = token}).status;
  }
};

TEST_F(Password, ChangingItRevokesEarlierTokensAndAnswersAFreshOne) {
  start_server();
  const std::string old_token = sign_up("alice", "old-password");
  auto phone = connect("alice", {.token = old_token});
  auto bob = connect("bob");
  auto r = change(old_token, "old-password", "new-password");
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string fresh(r.json().at("token").as_string());
  EXPECT_EQ(r.json().at("user"), "alice");
  auto closed = phone->wait_closed();
  EXPECT_EQ(closed.code, 4001) << closed.describe();
  EXPECT_EQ(upgrade_status(old_token), 401);
  EXPECT_EQ(upgrade_status(fresh), 101);
  EXPECT_TRUE(bob->is_open()) << "other users are not touched";
  EXPECT_EQ(http_post_json(port(), "/api/login", {{"user", "alice"}, {"password", "old-password"}}).status, 401);
  EXPECT_EQ(http_post_json(port(), "/api/login", {{"user", "alice"}, {"password", "new-password"}}).status, 200);
  // The revoked token cannot change it again.
  EXPECT_EQ(change(old_token, "new-password", "third-password").status, 401);
}

TEST_F(Password, AWrongCurrentPasswordIsRefusedAndThrottledLikeALogin) {
  start_server({{"--login-ip-burst", "2"}});
  const std::string token = sign_up("alice", "right-password");
  EXPECT_EQ(change(token, "guess-one", "new-password").status, 403);
  EXPECT_EQ(change(token, "guess-two", "new-password").status, 403);
  auto third = change(token, "right-password", "new-password");
  EXPECT_EQ(third.status, 429) << third.body;
  EXPECT_FALSE(third.header("Retry-After").empty());
  // Nothing changed: the token still works and the password is the old one.
  EXPECT_EQ(upgrade_status(token), 101);
}

TEST_F(Password, BadRequestsAreRefusedWithTheirStatus) {
  start_server();
  const std::string token = sign_up("alice", "right-password");
  EXPECT_EQ(change("", "right-password", "new-password").status, 401);
  EXPECT_EQ(change(token, "right-password", "short").status, 400);
  EXPECT_EQ(http_request(port(), "POST", "/api/password", "{", {{"Authorization", "Bearer " + token}}).status, 400);
  EXPECT_EQ(http_request(port(), "GET", "/api/password", "", {{"Authorization", "Bearer " + token}}).status, 405);
  // A token of a user who never registered (a backend's own token) has no password to change.
  EXPECT_EQ(change(this->token("mallory"), "anything-at-all", "new-password").status, 404);
  EXPECT_EQ(upgrade_status(token), 101);
}

}  // namespace
}  // namespace parley::test
