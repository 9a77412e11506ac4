// The server API's rooms and members (docs/api.md), seen by WebSocket clients: a created
// room is joinable at seq 0; an added member's connections get `joined` and may send at
// once; a removed member's connections get `left` and can no longer send; the online list
// follows connections; bad names and unknown rooms get 400/404 with a JSON error.
#include <boost/json/parse.hpp>

#include "parley_test.hpp"

namespace parley::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

const std::string kKey = "rooms-test-key-93c1e0a7";

class ApiRooms : public ParleyTest {
protected:
  ApiClient start() {
    start_server({{"--api-keys", kKey}});
    return ApiClient(port(), kKey);
  }
  static std::vector<std::string> online_of(const ApiClient& api, const std::string& room) {
    HttpResponse r = api.get("/api/v1/rooms/" + room + "/online");
    if (r.status != 200) throw std::runtime_error("online: HTTP " + std::to_string(r.status) + " " + r.body);
    const json::object body = body_of(r);
    std::vector<std::string> out;
    for (const auto& u : body.at("online").as_array()) out.emplace_back(u.as_string());
    return out;
  }
};

TEST_F(ApiRooms, CreateRoomOnceThenItExists) {
  ApiClient api = start();
  HttpResponse created = api.post("/api/v1/rooms", json::object{{"room", "general"}});
  EXPECT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(body_of(created), json::parse(R"({"room":"general","created":true})"));
  HttpResponse again = api.post("/api/v1/rooms", json::object{{"room", "general"}});
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(body_of(again).at("created"), false);
  HttpResponse info = api.get("/api/v1/rooms/general");
  EXPECT_EQ(info.status, 200) << info.body;
  EXPECT_EQ(body_of(info), json::parse(R"({"room":"general","last_seq":0,"kind":"public","slow_mode_s":0})"));
  auto alice = connect("alice");
  EXPECT_EQ(get_int(join(*alice, "general"), "last_seq"), 0);
  send_message(*alice, "general", "first");
  EXPECT_EQ(body_of(api.get("/api/v1/rooms/general")).at("last_seq"), 1);
}

TEST_F(ApiRooms, BadRoomRequestsGetJsonErrors) {
  ApiClient api = start();
  expect_api_error(api.post("/api/v1/rooms", json::object{{"room", "Not A Name"}}), 400, "bad_request");
  expect_api_error(api.post("/api/v1/rooms", json::object{{"room", 7}}), 400, "bad_request");
  expect_api_error(api.post("/api/v1/rooms", json::object{}), 400, "bad_request");
  expect_api_error(api.request("POST", "/api/v1/rooms", "{\"room\":"), 400, "bad_request");
  expect_api_error(api.request("POST", "/api/v1/rooms", "[\"general\"]"), 400, "bad_request");
  expect_api_error(api.get("/api/v1/rooms/nowhere"), 404, "not_found");
  expect_api_error(api.get("/api/v1/rooms/BAD"), 400, "bad_request");
  expect_api_error(api.get("/api/v1/rooms/nowhere/online"), 404, "not_found");
  expect_api_error(api.put("/api/v1/rooms/nowhere/members/alice"), 404, "not_found");
  expect_api_error(api.get("/api/v1/nothing"), 404, "not_found");
  expect_api_error(api.request("PATCH", "/api/v1/rooms/general"), 405, "method_not_allowed");
  // The server keeps serving.
  EXPECT_EQ(api.post("/api/v1/rooms", json::object{{"room", "general"}}).status, 201);
  EXPECT_EQ(http_get(port(), "/healthz").status, 200);
}

TEST_F(ApiRooms, AddedMemberGetsJoinedOnEveryConnectionAndMaySend) {
  ApiClient api = start();
  api.create_room("general");
  auto bob = connect("bob");
  join(*bob, "general");
  auto phone = connect("alice");
  auto laptop = connect("alice");

  HttpResponse r = api.put("/api/v1/rooms/general/members/alice");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body_of(r), json::parse(R"({"room":"general","user":"alice","last_seq":0,"read_seq":0})"));
  for (WsClient* c : {phone.get(), laptop.get()}) {
    json::object j = c->expect(has({{"type", "joined"}, {"room", "general"}}), "joined from the API");
    EXPECT_EQ(j.at("online"), json::parse(R"(["bob"])")) << to_string(j);
    EXPECT_FALSE(j.contains("ref"));
  }
  bob->expect(presence("general", "alice", "online"), "alice online in general");
  // Sending needs no join of her own.
  const std::string id = new_id();
  send_message(*laptop, "general", "added by the backend", id);
  bob->expect(message_with_id(id));
  // And a new connection has the room in its welcome.
  auto third = connect("alice");
  json::array rooms = welcome_of(*third).at("rooms").as_array();
  ASSERT_EQ(rooms.size(), 1u);
  EXPECT_EQ(rooms[0].at("room"), "general");
}

TEST_F(ApiRooms, AddingAnOfflineUserShowsInTheirWelcome) {
  ApiClient api = start();
  api.create_room("general");
  api.add_member("general", "carol");
  api.add_member("general", "carol");  // a member already: fine
  auto carol = connect("carol");
  json::array rooms = welcome_of(*carol).at("rooms").as_array();
  ASSERT_EQ(rooms.size(), 1u);
  EXPECT_EQ(rooms[0].at("room"), "general");
  expect_api_error(api.put("/api/v1/rooms/general/members/Carol!"), 400, "bad_request");
}

TEST_F(ApiRooms, AddingRespectsTheRoomLimit) {
  start_server({{"--api-keys", kKey}, {"--max-rooms-per-user", "1"}});
  ApiClient api(port(), kKey);
  api.create_room("one");
  api.create_room("two");
  api.add_member("one", "alice");
  expect_api_error(api.put("/api/v1/rooms/two/members/alice"), 409, "limit_exceeded");
}

TEST_F(ApiRooms, RemovedMemberGetsLeftAndCanNoLongerSend) {
  ApiClient api = start();
  api.create_room("general");
  auto alice = connect("alice");
  auto alice2 = connect("alice");
  auto bob = connect("bob");
  join(*alice, "general");
  alice2->expect(has({{"type", "joined"}, {"room", "general"}}), "joined on alice's second connection");
  join(*bob, "general");

  HttpResponse r = api.del("/api/v1/rooms/general/members/alice");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body_of(r), json::parse(R"({"room":"general","user":"alice","removed":true})"));
  for (WsClient* c : {alice.get(), alice2.get()}) c->expect(has({{"type", "left"}, {"room", "general"}}), "left");
  bob->expect(presence("general", "alice", "offline"), "alice offline in general");

  const std::string id = post_message(*alice, "general", "still here?");
  alice->expect(has({{"type", "error"}, {"code", "forbidden"}, {"id", id}}), "forbidden after removal");
  // Her messages reach nobody; bob's still flow.
  const std::string later = new_id();
  send_message(*bob, "general", "after the removal", later);
  bob->expect(message_with_id(later));
  EXPECT_EQ(bob->count(message_with_id(id)), 0u);
  EXPECT_EQ(alice->count(message_with_id(later)), 0u);
  expect_api_error(api.del("/api/v1/rooms/general/members/alice"), 404, "not_found");
}

TEST_F(ApiRooms, OnlineListsConnectedMembers) {
  ApiClient api = start();
  api.create_room("general");
  api.add_member("general", "alice");
  api.add_member("general", "bob");
  EXPECT_TRUE(online_of(api, "general").empty());
  auto alice = connect("alice");
  // The server reads a connection's first command once its presence is recorded: a reply
  // proves it.
  history(*alice, "general", std::nullopt, 1);
  EXPECT_EQ(online_of(api, "general"), (std::vector<std::string>{"alice"}));
  auto bob = connect("bob");
  alice->expect(presence("general", "bob", "online"));
  EXPECT_EQ(online_of(api, "general"), (std::vector<std::string>{"alice", "bob"}));
  auto dave = connect("dave");  // not a member: not listed
  alice->close();
  bob->expect(presence("general", "alice", "offline"));
  EXPECT_EQ(online_of(api, "general"), (std::vector<std::string>{"bob"}));
}

TEST_F(ApiRooms, OnlineComesInPagesWithTheCount) {
  ApiClient api = start();
  api.create_room("general");
  std::vector<std::unique_ptr<WsClient>> conns;
  for (const char* u : {"ann", "ben", "cat", "dan", "eve"}) {
    api.add_member("general", u);
    conns.push_back(connect(u));
    history(*conns.back(), "general", std::nullopt, 1);  // its presence is recorded
  }
  HttpResponse r = api.get("/api/v1/rooms/general/online?limit=2");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body), json::parse(R"({"room":"general","online":["ann","ben"],"online_count":5,"next":"ben"})"));
  r = api.get("/api/v1/rooms/general/online?limit=2&after=ben");
  EXPECT_EQ(json::parse(r.body), json::parse(R"({"room":"general","online":["cat","dan"],"online_count":5,"next":"dan"})"));
  r = api.get("/api/v1/rooms/general/online?limit=2&after=dan");
  EXPECT_EQ(json::parse(r.body), json::parse(R"({"room":"general","online":["eve"],"online_count":5})"));
  expect_api_error(api.get("/api/v1/rooms/general/online?limit=two"), 400, "bad_request");
}

}  // namespace
}  // namespace parley::test
