// The server API's overview (docs/api.md → Overview): GET /api/v1/rooms lists every room in
// name order, a page at a time, with its kind, member count, last seq and the last hour's
// messages (deletions and other entries not counted); GET /api/v1/connections counts this
// node's live connections by user and follows disconnects.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "parley_test.hpp"

namespace parley::test {
namespace {

namespace json = boost::json;

const std::string kKey = "overview-test-key-5e2b7c19";

class ApiOverview : public ParleyTest {
protected:
  ApiClient start() {
    start_server({{"--api-keys", kKey}});
    return ApiClient(port(), kKey);
  }
};

TEST_F(ApiOverview, RoomsComePagedInNameOrderWithTheirCounts) {
  ApiClient api = start();
  api.create_room("lobby");
  api.create_room("general");
  ASSERT_EQ(api.post("/api/v1/rooms", json::object{{"room", "team"}, {"kind", "private"}}).status, 201);
  for (const char* u : {"alice", "bob", "carol"}) api.add_member("general", u);
  api.add_member("team", "alice");
  ASSERT_EQ(api.post("/api/v1/direct", json::object{{"users", json::array{"alice", "bob"}}}).status, 200);
  auto alice = connect("alice");
  join(*alice, "general");
  for (int i = 0; i < 3; ++i) send_message(*alice, "general", "hello " + std::to_string(i));
  // A deletion is an entry of the room (it takes a seq) but no message of the last hour.
  ASSERT_EQ(api.del("/api/v1/rooms/general/messages/1").status, 200);

  HttpResponse first = api.get("/api/v1/rooms?limit=2");
  ASSERT_EQ(first.status, 200) << first.body;
  json::object page = body_of(first);
  const json::array& rooms = page.at("rooms").as_array();
  ASSERT_EQ(rooms.size(), 2u) << first.body;
  // The direct room's name is the server's to choose: it is found by its kind.
  std::vector<std::string> names;
  json::array all(rooms.begin(), rooms.end());
  std::string next(page.at("next").as_string());
  EXPECT_EQ(next, std::string(rooms.at(1).at("room").as_string()));
  while (!next.empty()) {
    json::object more = body_of(api.get("/api/v1/rooms?limit=2&after=" + next));
    for (auto& r : more.at("rooms").as_array()) all.push_back(r);
    next = more.at("next").is_null() ? std::string() : std::string(more.at("next").as_string());
  }
  ASSERT_EQ(all.size(), 4u) << json::serialize(all);
  for (auto& r : all) names.emplace_back(r.at("room").as_string());
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end())) << json::serialize(all);
  auto find = [&](std::string_view kind, std::string_view name = {}) -> json::object {
    for (auto& r : all) {
      if (r.at("kind").as_string() == kind && (name.empty() || r.at("room").as_string() == name)) return r.as_object();
    }
    ADD_FAILURE() << "no " << kind << " room " << name << " in " << json::serialize(all);
    return {};
  };
  EXPECT_EQ(find("public", "general"),
            json::parse(R"({"room":"general","kind":"public","members":3,"last_seq":4,"messages_last_hour":3,"slow_mode_s":0})"));
  EXPECT_EQ(find("public", "lobby"),
            json::parse(R"({"room":"lobby","kind":"public","members":0,"last_seq":0,"messages_last_hour":0,"slow_mode_s":0})"));
  EXPECT_EQ(find("private", "team").at("members"), 1);
  EXPECT_EQ(find("direct").at("members"), 2);

  // The last page says so; bad limits are 400; the list is the backend's.
  json::object last = body_of(api.get("/api/v1/rooms?after=team"));
  EXPECT_TRUE(last.at("rooms").as_array().empty());
  EXPECT_TRUE(last.at("next").is_null());
  expect_api_error(api.get("/api/v1/rooms?limit=0"), 400, "bad_request");
  expect_api_error(api.get("/api/v1/rooms?limit=many"), 400, "bad_request");
  expect_api_error(ApiClient(port(), "not-the-key-000000000").get("/api/v1/rooms"), 401, "unauthorized");
  HttpResponse wrong = api.put("/api/v1/rooms");
  EXPECT_EQ(wrong.status, 405) << wrong.body;
  // Creating a room still works beside the list.
  EXPECT_EQ(api.post("/api/v1/rooms", json::object{{"room", "later"}}).status, 201);
}

TEST_F(ApiOverview, ConnectionsCountLiveOnesByUser) {
  ApiClient api = start();
  api.create_room("general");
  auto alice1 = connect("alice");
  auto alice2 = connect("alice");
  auto bob = connect("bob");
  join(*alice1, "general");
  join(*bob, "general");

  HttpResponse r = api.get("/api/v1/connections");
  ASSERT_EQ(r.status, 200) << r.body;
  json::object body = body_of(r);
  EXPECT_FALSE(body.at("node").as_string().empty());
  EXPECT_EQ(body.at("total"), 3);
  EXPECT_EQ(body.at("users_total"), 2);
  EXPECT_EQ(body.at("users"), json::parse(R"([{"user":"alice","connections":2},{"user":"bob","connections":1}])"));
  json::object one = body_of(api.get("/api/v1/connections?limit=1"));
  EXPECT_EQ(one.at("users"), json::parse(R"([{"user":"alice","connections":2}])"));
  EXPECT_EQ(one.at("total"), 3);

  // bob goes: once alice hears him go offline, the server no longer counts him.
  bob->close();
  alice1->expect(presence("general", "bob", "offline"), "bob offline");
  body = body_of(api.get("/api/v1/connections"));
  EXPECT_EQ(body.at("total"), 2);
  EXPECT_EQ(body.at("users"), json::parse(R"([{"user":"alice","connections":2}])"));
  expect_api_error(api.get("/api/v1/connections?limit=-1"), 400, "bad_request");
  EXPECT_EQ(api.request("POST", "/api/v1/connections", "{}").status, 405);
}

}  // namespace
}  // namespace parley::test
