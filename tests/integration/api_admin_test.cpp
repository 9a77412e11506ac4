// The server API's moderation and lookups (docs/api.md): mute and unmute, deleting a message,
// the roster, a user's rooms and search as a user, each through the hub under the WebSocket
// commands' rules and seen by the connected members.
#include <boost/json.hpp>

#include "conversations.hpp"

namespace parley::test {
namespace {

namespace json = boost::json;

const std::string kAdminKey = "admin-api-test-key-9c3e1a7b";

class ApiAdmin : public ParleyTest {
protected:
  void SetUp() override {
    start_server({{"--api-keys", kAdminKey}});
    api = std::make_unique<ApiClient>(port(), kAdminKey);
    alice = connect("alice");
    bob = connect("bob");
    join(*alice, "general");
    join(*bob, "general");
  }
  HttpResponse put_json(std::string_view target, const json::value& body) {
    return http_request(port(), "PUT", target, json::serialize(body),
                        {{"X-Parley-Api-Key", kAdminKey}, {"Content-Type", "application/json"}});
  }
  std::unique_ptr<ApiClient> api;
  std::unique_ptr<WsClient> alice, bob;
};

TEST_F(ApiAdmin, TheBackendMutesAndUnmutes) {
  auto r = put_json("/api/v1/rooms/general/members/bob/mute", json::object{{"seconds", 600}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body_of(r).at("muted"), true);
  auto notice = alice->expect(has({{"type", "member"}, {"user", "bob"}, {"action", "muted"}}), "muted");
  EXPECT_FALSE(notice.contains("by")) << "by the backend";
  EXPECT_EQ(code_of(request(*bob, "message", {{"room", "general"}, {"id", new_id()}, {"text", "hi"}})), "muted");
  EXPECT_EQ(api->del("/api/v1/rooms/general/members/bob/mute").status, 200);
  bob->expect(has({{"type", "member"}, {"user", "bob"}, {"action", "unmuted"}}), "unmuted");
  send_message(*bob, "general", "free again");
  expect_api_error(put_json("/api/v1/rooms/general/members/bob/mute", json::object{{"seconds", 0}}), 400, "bad_request");
  expect_api_error(put_json("/api/v1/rooms/general/members/nobody/mute", json::object{{"seconds", 5}}), 404, "not_found");
}

TEST_F(ApiAdmin, TheBackendDeletesAnyMessage) {
  auto seq = get_int(send_message(*alice, "general", "regrettable"), "seq");
  auto r = api->del("/api/v1/rooms/general/messages/" + std::to_string(seq));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(get_int(body_of(r), "seq"), seq);
  auto gone = bob->expect(has({{"type", "deleted"}, {"target", seq}}), "the deletion");
  EXPECT_TRUE(gone.contains("system") || !gone.contains("user")) << json::serialize(gone);
  auto page = history(*bob, "general", std::nullopt);
  auto& first = page.at("messages").as_array()[0].as_object();
  EXPECT_EQ(get_int(first, "seq"), seq);
  EXPECT_TRUE(first.at("deleted").as_bool());
  expect_api_error(api->del("/api/v1/rooms/general/messages/" + std::to_string(seq)), 404, "not_found");
  expect_api_error(api->del("/api/v1/rooms/general/messages/999"), 404, "not_found");
  expect_api_error(api->del("/api/v1/rooms/general/messages/x"), 400, "bad_request");
}

TEST_F(ApiAdmin, TheRosterAndAUsersRooms) {
  ASSERT_EQ(request(*alice, "role", {{"room", "general"}, {"user", "bob"}, {"role", "moderator"}}).at("type"), "ok");
  auto carol = connect("carol");
  join(*carol, "general");
  join(*carol, "random");
  auto seq = get_int(send_message(*alice, "general", "read me"), "seq");
  bob->send_json({{"type", "read"}, {"room", "general"}, {"seq", seq}});
  alice->expect(has({{"type", "read"}, {"user", "bob"}, {"seq", seq}}), "bob's read");
  auto roster = body_of(api->get("/api/v1/rooms/general/members?limit=2"));
  auto& page1 = roster.at("members").as_array();
  ASSERT_EQ(page1.size(), 2u);
  EXPECT_EQ(page1[0].at("user"), "alice");
  EXPECT_EQ(page1[0].at("role"), "owner");
  EXPECT_EQ(page1[1].at("user"), "bob");
  EXPECT_EQ(page1[1].at("role"), "moderator");
  EXPECT_EQ(get_int(page1[1].as_object(), "read_seq"), seq);
  ASSERT_EQ(roster.at("next"), "bob");
  auto rest = body_of(api->get("/api/v1/rooms/general/members?after=bob"));
  ASSERT_EQ(rest.at("members").as_array().size(), 1u);
  EXPECT_EQ(rest.at("members").as_array()[0].at("user"), "carol");
  EXPECT_TRUE(rest.at("next").is_null());
  expect_api_error(api->get("/api/v1/rooms/nowhere/members"), 404, "not_found");

  auto rooms = body_of(api->get("/api/v1/users/carol/rooms")).at("rooms").as_array();
  std::vector<std::string> names;
  for (auto& r : rooms) names.push_back(std::string(r.at("room").as_string()));
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"general", "random"}));
  EXPECT_TRUE(body_of(api->get("/api/v1/users/nobody/rooms")).at("rooms").as_array().empty());
  expect_api_error(api->get("/api/v1/users/Not%20A%20Name/rooms"), 400, "bad_request");
}

TEST_F(ApiAdmin, SearchFindsWhatTheUserWouldFind) {
  auto carol = connect("carol");
  join(*carol, "secret");
  send_message(*carol, "secret", "the treasure map");
  send_message(*alice, "general", "where is the treasure");
  ASSERT_EQ(request(*alice, "search", {{"query", "treasure"}}).at("type"), "results");  // indexed by now
  auto found = body_of(api->get("/api/v1/search?user=bob&q=treasure")).at("results").as_array();
  ASSERT_EQ(found.size(), 1u) << "bob is not in secret";
  EXPECT_EQ(found[0].at("room"), "general");
  EXPECT_EQ(found[0].at("text"), "where is the treasure");
  EXPECT_EQ(body_of(api->get("/api/v1/search?user=carol&q=treasure")).at("results").as_array().size(), 1u);
  EXPECT_EQ(body_of(api->get("/api/v1/search?user=carol&q=treasure&room=secret")).at("results").as_array()[0].at("text"),
            "the treasure map");
  expect_api_error(api->get("/api/v1/search?q=treasure"), 400, "bad_request");
  expect_api_error(api->get("/api/v1/search?user=bob"), 400, "bad_request");
  expect_api_error(http_request(port(), "GET", "/api/v1/search?user=bob&q=x", {}, {}), 401, "unauthorized");
}

}  // namespace
}  // namespace parley::test
