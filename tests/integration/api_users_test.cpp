// The server API's users: creating accounts, signing tokens, revoking them, disabling and
// deleting users — each through the real binary, seen by the user's open connections (4001,
// 4003), by new upgrades (401, 403), by logins and by the rooms.
#include <boost/json.hpp>

#include "conversations.hpp"
#include "jwt.hpp"

namespace parley::test {
namespace {

namespace json = boost::json;

const std::string kAdminKey = "users-api-test-key-4b7e9d21";

class ApiUsers : public ParleyTest {
protected:
  void start(Flags more = {}) {
    Flags flags{{"--api-keys", kAdminKey}};
    flags.insert(more.begin(), more.end());
    start_server(flags);
    api = std::make_unique<ApiClient>(port(), kAdminKey);
  }
  // A token the application signs itself, with a token version.
  std::string token_v(std::string_view user, int64_t ver) const {
    return sign_jwt({{"alg", "HS256"}, {"typ", "JWT"}}, {{"sub", user}, {"exp", unix_now() + 3600}, {"ver", ver}},
                    kSecret, "HS256");
  }
  int upgrade_status(const std::string& token) {
    WsClient c("probe");
    ConnectOptions o;
    o.token = token;
    return try_connect(c, o).status;
  }
  HttpResponse login(std::string_view user, std::string_view password) {
    return http_post_json(port(), "/api/login", {{"user", user}, {"password", password}});
  }
  std::unique_ptr<ApiClient> api;
};

TEST_F(ApiUsers, CreatedAccountsLogInAndTokensAreSignedForThem) {
  start();
  auto made = api->post("/api/v1/users", json::object{{"user", "dana"}, {"password", "correct horse"}});
  ASSERT_EQ(made.status, 201) << made.body;
  EXPECT_EQ(body_of(made).at("account"), true);
  EXPECT_EQ(login("dana", "correct horse").status, 200) << "the backend's account logs in";
  expect_api_error(api->post("/api/v1/users", json::object{{"user", "dana"}}), 409, "conflict");
  expect_api_error(api->post("/api/v1/users", json::object{{"user", "Dana!"}}), 400, "bad_request");
  expect_api_error(api->post("/api/v1/users", json::object{{"user", "erin"}, {"password", "short"}}), 400, "bad_request");
  // Without a password: an account for tokens only; no password logs in.
  ASSERT_EQ(api->post("/api/v1/users", json::object{{"user", "erin"}}).status, 201);
  EXPECT_EQ(login("erin", "").status, 401);
  EXPECT_EQ(login("erin", "anything-at-all").status, 401);

  auto signed_token = api->post("/api/v1/users/erin/tokens", json::object{{"ttl_s", 600}});
  ASSERT_EQ(signed_token.status, 201) << signed_token.body;
  auto t = body_of(signed_token);
  const int64_t exp = get_int(t, "expires_at");
  EXPECT_NEAR(static_cast<double>(exp / 1000 - unix_now()), 600, 5);
  ConnectOptions o;
  o.token = std::string(t.at("token").as_string());
  auto erin = connect("erin", o);
  EXPECT_EQ(welcome_of(*erin).at("user"), "erin");
  expect_api_error(api->post("/api/v1/users/erin/tokens", json::object{{"ttl_s", 0}}), 400, "bad_request");

  auto info = body_of(api->get("/api/v1/users/erin"));
  EXPECT_EQ(info.at("disabled"), false);
  EXPECT_EQ(get_int(info, "token_version"), 0);
  // A user who only ever had the application's tokens has a standing too, without an account.
  auto stranger = body_of(api->get("/api/v1/users/frank"));
  EXPECT_EQ(stranger.at("account"), false);
}

TEST_F(ApiUsers, RevokingClosesTheUsersConnectionsAndRefusesTheirOldTokens) {
  start();
  auto alice = connect("alice");
  auto alice2 = connect("alice");
  auto bob = connect("bob");
  const std::string old = token("alice");
  auto r = api->post("/api/v1/users/alice/revoke", json::object{});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(get_int(body_of(r), "token_version"), 1);
  for (auto* c : {alice.get(), alice2.get()}) {
    auto closed = c->wait_closed();
    EXPECT_EQ(closed.code, 4001) << closed.describe();
  }
  EXPECT_TRUE(bob->is_open()) << "another user is not touched";
  EXPECT_EQ(upgrade_status(old), 401) << "a token signed before the revocation";
  EXPECT_EQ(upgrade_status(token_v("alice", 0)), 401);
  EXPECT_EQ(upgrade_status(token_v("alice", 1)), 101) << "a token of the new version";
  auto fresh = body_of(api->post("/api/v1/users/alice/tokens", json::object{}));
  EXPECT_EQ(get_int(fresh, "token_version"), 1);
  ConnectOptions o;
  o.token = std::string(fresh.at("token").as_string());
  auto again = connect("alice", o);
  // An old token is refused on reauth too: the open connection keeps its newer one.
  auto reply = request(*again, "auth", {{"token", old}});
  EXPECT_EQ(code_of(reply), "unauthorized");
  EXPECT_TRUE(again->is_open());
  // Revoking again revokes the version just signed, and a login gets the newest.
  ASSERT_EQ(api->post("/api/v1/users/alice/revoke", json::object{}).status, 200);
  EXPECT_EQ(again->wait_closed().code, 4001);
}

TEST_F(ApiUsers, ADisabledUserCannotConnectOrLogInUntilEnabled) {
  start();
  ASSERT_EQ(http_post_json(port(), "/api/register", {{"user", "gus"}, {"password", "gus-password"}}).status, 201);
  auto gus = connect("gus");
  auto r = api->post("/api/v1/users/gus/disable", json::object{});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body_of(r).at("disabled"), true);
  EXPECT_EQ(gus->wait_closed().code, 4003);
  EXPECT_EQ(upgrade_status(token("gus")), 403);
  EXPECT_EQ(login("gus", "gus-password").status, 403) << "the right password, a disabled account";
  expect_api_error(api->post("/api/v1/users/gus/tokens", json::object{}), 403, "forbidden");
  ASSERT_EQ(api->post("/api/v1/users/gus/enable", json::object{}).status, 200);
  EXPECT_EQ(upgrade_status(token("gus")), 101) << "enabling revokes nothing";
  EXPECT_EQ(login("gus", "gus-password").status, 200);
  expect_api_error(api->get("/api/v1/users/gus/disable"), 405, "method_not_allowed");
}

TEST_F(ApiUsers, ADeletedUserLeavesTheRoomsKeepsTheirMessagesAndTheNameStaysTaken) {
  start();
  ASSERT_EQ(http_post_json(port(), "/api/register", {{"user", "hal"}, {"password", "hal-password"}}).status, 201);
  auto hal = connect("hal");
  auto ivy = connect("ivy");
  join(*hal, "general");
  join(*ivy, "general");
  auto seq = get_int(send_message(*hal, "general", "goodbye all"), "seq");
  ASSERT_EQ(request(*hal, "dm", {{"to", "ivy"}}).at("type"), "joined");
  auto r = api->del("/api/v1/users/hal");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body_of(r).at("deleted"), true);
  auto closed = hal->wait_closed();
  EXPECT_EQ(closed.code, 4003);
  EXPECT_EQ(closed.reason, "account closed");
  ivy->expect(has({{"type", "presence"}, {"room", "general"}, {"user", "hal"}, {"status", "offline"}}), "hal offline");
  auto roster = body_of(api->get("/api/v1/rooms/general/members")).at("members").as_array();
  ASSERT_EQ(roster.size(), 1u);
  EXPECT_EQ(roster[0].at("user"), "ivy");
  // keep (the default): the message stays as written.
  auto page = history(*ivy, "general", std::nullopt);
  EXPECT_EQ(page.at("messages").as_array()[0].at("text"), "goodbye all");
  EXPECT_EQ(get_int(page.at("messages").as_array()[0].as_object(), "seq"), seq);
  EXPECT_EQ(upgrade_status(token("hal")), 403);
  EXPECT_EQ(login("hal", "hal-password").status, 401);
  EXPECT_EQ(http_post_json(port(), "/api/register", {{"user", "hal"}, {"password", "new-hal-pass"}}).status, 409)
      << "nobody takes a deleted user's name";
  expect_api_error(api->del("/api/v1/users/hal"), 404, "not_found");
  expect_api_error(api->post("/api/v1/users/hal/revoke", json::object{}), 404, "not_found");
  expect_api_error(api->del("/api/v1/users/ivy?messages=shred"), 400, "bad_request");
}

TEST_F(ApiUsers, EraseTurnsADeletedUsersMessagesIntoTombstones) {
  start({{"--deleted-user-messages", "erase"}});
  auto jo = connect("jo");
  auto kim = connect("kim");
  join(*jo, "general");
  join(*kim, "general");
  send_message(*jo, "general", "my secret plan");
  send_message(*kim, "general", "kim stays");
  ASSERT_EQ(request(*kim, "search", {{"query", "secret"}}).at("messages").as_array().size(), 1u);
  ASSERT_EQ(api->del("/api/v1/users/jo").status, 200);
  EXPECT_EQ(jo->wait_closed().code, 4003);
  auto page = history(*kim, "general", std::nullopt).at("messages").as_array();
  ASSERT_EQ(page.size(), 2u);
  EXPECT_TRUE(page[0].as_object().at("deleted").as_bool());
  EXPECT_FALSE(page[0].as_object().contains("text") && !page[0].at("text").as_string().empty());
  EXPECT_EQ(page[1].at("text"), "kim stays");
  EXPECT_TRUE(request(*kim, "search", {{"query", "secret"}}).at("messages").as_array().empty());
  // ?messages=keep overrides the configured erase.
  auto lee = connect("lee");
  join(*lee, "general");
  send_message(*lee, "general", "lee was here");
  ASSERT_EQ(api->del("/api/v1/users/lee?messages=keep").status, 200);
  EXPECT_EQ(history(*kim, "general", std::nullopt).at("messages").as_array().back().at("text"), "lee was here");
}

}  // namespace
}  // namespace parley::test
