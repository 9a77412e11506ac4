// One set of rules behind both faces (docs/api.md → "The backend and the rules"): the server
// API's publish as a user is refused, masked or let through exactly as that user's own
// `message` command is — the word filter and the mute included — and a malformed room name is
// the same error on both. The one deliberate difference, the rate limit, is checked too.
#include <boost/json.hpp>

#include "conversations.hpp"

namespace parley::test {
namespace {

namespace json = boost::json;

const std::string kKey = "faces-test-key-7a31c9e2";

class Faces : public ParleyTest {
protected:
  ApiClient start(Flags extra = {}) {
    extra["--api-keys"] = kKey;
    start_server(std::move(extra));
    ApiClient api(port(), kKey);
    api.create_room("general");
    return api;
  }
  static HttpResponse publish(const ApiClient& api, const std::string& user, const std::string& text,
                              const std::string& room = "general") {
    return api.post("/api/v1/rooms/" + room + "/messages", json::object{{"user", user}, {"text", text}});
  }
};

TEST_F(Faces, InvalidRoomNameIsBadRequestOnBothFaces) {
  ApiClient api = start();
  auto alice = connect("alice");
  json::object ws = request(*alice, "join", {{"room", "Not Valid"}});
  EXPECT_EQ(code_of(ws), "bad_request") << to_string(ws);
  HttpResponse http = api.get("/api/v1/rooms/Not%20Valid");
  expect_api_error(http, 400, "bad_request");
  EXPECT_EQ(body_of(http).at("error"), ws.at("message")) << "one text for one rule";
  // A name only direct rooms take is forbidden on both.
  EXPECT_EQ(code_of(request(*alice, "create", {{"room", "dm-0123"}})), "forbidden");
  EXPECT_EQ(api.post("/api/v1/rooms", json::object{{"room", "dm-0123"}}).status, 403);
}

TEST_F(Faces, PublishAsAUserGoesThroughTheWordFilter) {
  ApiClient api = start({{"--word-filter", "darn"}, {"--word-filter-mode", "reject"}});
  api.add_member("general", "alice");
  auto alice = connect("alice");
  EXPECT_EQ(code_of(request(*alice, "message", {{"room", "general"}, {"id", new_id()}, {"text", "darn"}})), "filtered");
  expect_api_error(publish(api, "alice", "well darn it"), 422, "filtered");
  // Nothing refused was stored; a clean text goes through.
  EXPECT_EQ(api.publish("general", {{"user", "alice"}, {"text", "fine"}}).at("seq"), 1);
  // The backend's own system messages are its words, not a user's: not filtered.
  EXPECT_EQ(api.publish("general", {{"system", true}, {"text", "darn maintenance"}}).at("seq"), 2);
}

TEST_F(Faces, PublishAsAUserMasksLikeTheirOwnMessage) {
  ApiClient api = start({{"--word-filter", "heck"}});
  api.add_member("general", "alice");
  auto alice = connect("alice");
  api.publish("general", {{"user", "alice"}, {"text", "what the heck"}});
  alice->expect(has({{"type", "message"}, {"text", "what the ****"}}), "masked as for the user's own message");
}

TEST_F(Faces, PublishAsAMutedUserIsRefusedUntilTheMuteEnds) {
  ApiClient api = start();
  auto owner = connect("olga");
  json::object created = request(*owner, "create", {{"room", "board"}});
  ASSERT_EQ(created.at("type"), "joined") << to_string(created);
  api.add_member("board", "bob");
  auto bob = connect("bob");
  ASSERT_EQ(request(*owner, "mute", {{"room", "board"}, {"user", "bob"}, {"seconds", 600}}).at("type"), "ok");
  bob->expect(has({{"type", "member"}, {"user", "bob"}, {"action", "muted"}}));
  json::object ws = request(*bob, "message", {{"room", "board"}, {"id", new_id()}, {"text", "hello"}});
  EXPECT_EQ(code_of(ws), "muted");
  HttpResponse http = publish(api, "bob", "hello", "board");
  expect_api_error(http, 403, "muted");
  EXPECT_EQ(body_of(http).at("until"), ws.at("until")) << "the same end of the mute on both faces";
  ASSERT_EQ(request(*owner, "mute", {{"room", "board"}, {"user", "bob"}, {"seconds", 0}}).at("type"), "ok");
  EXPECT_EQ(publish(api, "bob", "hello again", "board").status, 201);
}

TEST_F(Faces, TheBackendIsNotRateLimitedButTheUserIs) {
  ApiClient api = start({{"--rate-per-sec", "1"}, {"--rate-burst", "2"}});
  api.add_member("general", "alice");
  auto alice = connect("alice");
  int refused = 0;
  for (int i = 0; i < 5; ++i) {
    if (code_of(request(*alice, "message", {{"room", "general"}, {"id", new_id()}, {"text", "x"}})) == "rate_limited") {
      ++refused;
    }
  }
  EXPECT_GE(refused, 2) << "a burst of 2 at 1/s: most of five quick messages are refused";
  for (int i = 0; i < 10; ++i) EXPECT_EQ(publish(api, "alice", "from the backend").status, 201) << i;
}

}  // namespace
}  // namespace parley::test
