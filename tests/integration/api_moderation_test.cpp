// The server API's room kinds and moderation (docs/api.md): private and direct rooms created
// by the backend, kick and ban as the backend (the owner included), with their effects on
// the WebSocket clients; the key is required as for every other endpoint.
#include <boost/json.hpp>

#include "conversations.hpp"

namespace parley::test {
namespace {

namespace json = boost::json;

const std::string kKey = "moderation-test-key-5d2e9b1c";

class ApiModeration : public ParleyTest {
protected:
  void SetUp() override {
    start_server({{"--api-keys", kKey}});
    api = std::make_unique<ApiClient>(port(), kKey);
  }
  std::unique_ptr<ApiClient> api;
};

TEST_F(ApiModeration, PrivateRoomsCreatedByTheBackendAreJoinedOnlyWhenAdded) {
  HttpResponse created = api->post("/api/v1/rooms", json::object{{"room", "board"}, {"kind", "private"}});
  EXPECT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(body_of(api->get("/api/v1/rooms/board")).at("kind"), "private");
  auto alice = connect("alice");
  EXPECT_EQ(code_of(request(*alice, "join", {{"room", "board"}})), "forbidden");
  EXPECT_EQ(api->put("/api/v1/rooms/board/members/alice").status, 200);
  auto joined = alice->expect(has({{"type", "joined"}, {"room", "board"}}), "joined");
  EXPECT_EQ(joined.at("kind"), "private");
  send_message(*alice, "board", "hello");
  EXPECT_EQ(api->post("/api/v1/rooms", json::object{{"room", "x"}, {"kind", "direct"}}).status, 400);
  // A name only direct rooms take: forbidden, as a join or create of it over WebSocket is.
  EXPECT_EQ(api->post("/api/v1/rooms", json::object{{"room", "dm-abc"}}).status, 403);
}

TEST_F(ApiModeration, TheBackendGivesRoles) {
  EXPECT_EQ(api->post("/api/v1/rooms", json::object{{"room", "board"}, {"kind", "private"}}).status, 201);
  auto alice = connect("alice");
  auto bob = connect("bob");
  EXPECT_EQ(api->put("/api/v1/rooms/board/members/alice").status, 200);
  alice->expect(has({{"type", "joined"}, {"room", "board"}}), "joined");
  EXPECT_EQ(code_of(request(*alice, "invite", {{"room", "board"}, {"user", "bob"}})), "forbidden") << "a plain member";
  HttpResponse made = api->request("PUT", "/api/v1/rooms/board/members/alice/role", R"({"role":"owner"})");
  EXPECT_EQ(made.status, 200) << made.body;
  alice->expect(has({{"type", "member"}, {"user", "alice"}, {"action", "role"}, {"role", "owner"}, {"system", true}}));
  EXPECT_EQ(request(*alice, "invite", {{"room", "board"}, {"user", "bob"}}).at("type"), "ok") << "now the owner";
  bob->expect(has({{"type", "joined"}, {"room", "board"}}), "bob's joined");
  EXPECT_EQ(api->request("PUT", "/api/v1/rooms/board/members/alice/role", R"({"role":"member"})").status, 403)
      << "an owner stays owner";
  EXPECT_EQ(api->request("PUT", "/api/v1/rooms/board/members/carol/role", R"({"role":"moderator"})").status, 404);
  EXPECT_EQ(api->request("PUT", "/api/v1/rooms/board/members/bob/role", R"({"role":"king"})").status, 400);
}

TEST_F(ApiModeration, KickAndBanAsTheBackend) {
  auto olga = connect("olga");
  auto bob = connect("bob");
  join(*olga, "general");  // olga owns it; the backend may still act on her
  join(*bob, "general");
  HttpResponse kicked = api->post("/api/v1/rooms/general/members/bob/kick", json::object{});
  EXPECT_EQ(kicked.status, 200) << kicked.body;
  EXPECT_EQ(body_of(kicked).at("was_member"), true);
  bob->expect(has({{"type", "left"}, {"room", "general"}, {"reason", "kicked"}}));
  olga->expect(has({{"type", "member"}, {"user", "bob"}, {"action", "kicked"}, {"system", true}}));
  EXPECT_EQ(api->post("/api/v1/rooms/general/members/bob/kick", json::object{}).status, 404) << "no longer a member";

  EXPECT_EQ(api->put("/api/v1/rooms/general/bans/olga").status, 200);
  olga->expect(has({{"type", "left"}, {"room", "general"}, {"reason", "banned"}}));
  EXPECT_EQ(code_of(request(*olga, "join", {{"room", "general"}})), "forbidden");
  EXPECT_EQ(api->put("/api/v1/rooms/general/members/olga").status, 403) << "unban first";
  EXPECT_EQ(api->del("/api/v1/rooms/general/bans/olga").status, 200);
  join(*olga, "general");
  EXPECT_EQ(api->put("/api/v1/rooms/nowhere/bans/olga").status, 404);
  EXPECT_EQ(api->put("/api/v1/rooms/general/bans/Not%20A%20User").status, 400);
}

TEST_F(ApiModeration, DirectRoomsOpenedByTheBackend) {
  auto alice = connect("alice");
  auto bob = connect("bob");
  HttpResponse opened = api->post("/api/v1/direct", json::object{{"users", json::array{"alice", "bob"}}});
  ASSERT_EQ(opened.status, 200) << opened.body;
  const std::string room(body_of(opened).at("room").as_string());
  EXPECT_EQ(alice->expect(has({{"type", "joined"}, {"room", room}}), "alice's joined").at("with"), "bob");
  EXPECT_EQ(bob->expect(has({{"type", "joined"}, {"room", room}}), "bob's joined").at("with"), "alice");
  EXPECT_EQ(request(*bob, "dm", {{"to", "alice"}}).at("room").as_string(), room) << "the same room as dm";
  send_message(*alice, room, "from the backend's room");
  auto eve = connect("eve");
  EXPECT_EQ(code_of(request(*eve, "join", {{"room", room}})), "forbidden");
  EXPECT_EQ(api->put("/api/v1/rooms/" + room + "/members/eve").status, 403);
  EXPECT_EQ(api->post("/api/v1/direct", json::object{{"users", json::array{"alice", "alice"}}}).status, 400);
  EXPECT_EQ(api->post("/api/v1/direct", json::object{{"users", json::array{"alice"}}}).status, 400);
  EXPECT_EQ(api->post("/api/v1/direct", json::object{{"users", json::array{"alice", "No One"}}}).status, 400);
}

TEST_F(ApiModeration, EveryModerationEndpointNeedsTheKey) {
  ApiClient keyless(port(), "");
  ApiClient wrong(port(), "wrong-key-wrong-key-wrong");
  for (const ApiClient* c : {&keyless, &wrong}) {
    EXPECT_EQ(c->post("/api/v1/rooms/general/members/bob/kick", json::object{}).status, 401);
    EXPECT_EQ(c->put("/api/v1/rooms/general/bans/bob").status, 401);
    EXPECT_EQ(c->request("PUT", "/api/v1/rooms/general/members/bob/role", R"({"role":"owner"})").status, 401);
    EXPECT_EQ(c->del("/api/v1/rooms/general/bans/bob").status, 401);
    EXPECT_EQ(c->post("/api/v1/direct", json::object{{"users", json::array{"alice", "bob"}}}).status, 401);
  }
}

}  // namespace
}  // namespace parley::test
