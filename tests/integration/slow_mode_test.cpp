// Slow mode: a room's owner or moderators (or the backend) set how far apart each member's
// messages must be; a message too soon is refused with rate_limited and retry_after_ms, a
// resend of the message already taken is not, moderators and owners are exempt, every member
// hears the change, and the setting survives a restart.
#include <thread>

#include <boost/json.hpp>

#include "api_client.hpp"
#include "conversations.hpp"

namespace parley::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

const std::string kKey = "slow-mode-test-key-5d1f0a3c";

class SlowMode : public ParleyTest {
 protected:
  json::object send(WsClient& c, std::string_view room, std::string_view text, std::string id = {}) {
    if (id.empty()) id = new_id();
    return request(c, "message", {{"room", room}, {"id", id}, {"text", text}});
  }
};

TEST_F(SlowMode, MembersWaitBetweenMessagesAndModeratorsDoNot) {
  start_server();
  auto olga = connect("olga");
  auto bob = connect("bob");
  ASSERT_EQ(request(*olga, "create", {{"room", "board"}}).at("type"), "joined");
  ASSERT_EQ(join(*bob, "board").at("type"), "joined");
  EXPECT_EQ(code_of(request(*bob, "slow_mode", {{"room", "board"}, {"seconds", 60}})), "forbidden")
      << "a member cannot set it";
  EXPECT_EQ(code_of(request(*olga, "slow_mode", {{"room", "board"}, {"seconds", 21601}})), "bad_request");
  ASSERT_EQ(request(*olga, "slow_mode", {{"room", "board"}, {"seconds", 60}}).at("type"), "ok");
  auto told = bob->expect(is_type("slow_mode"), "members hear slow mode");
  EXPECT_EQ(told.at("room"), "board");
  EXPECT_EQ(told.at("seconds"), 60);
  EXPECT_EQ(told.at("by"), "olga");

  const std::string first = new_id();
  ASSERT_EQ(send(*bob, "board", "first", first).at("type"), "ack");
  auto refused = send(*bob, "board", "second");
  ASSERT_EQ(code_of(refused), "rate_limited") << to_string(refused);
  const int64_t wait = get_int(refused, "retry_after_ms");
  EXPECT_GT(wait, 55000);
  EXPECT_LE(wait, 60000);
  EXPECT_EQ(send(*bob, "board", "first", first).at("type"), "ack") << "a resend of the message taken is no new one";
  // Other rooms are not slowed, nor is the owner.
  join(*bob, "general");
  EXPECT_EQ(send(*bob, "general", "elsewhere").at("type"), "ack");
  EXPECT_EQ(send(*olga, "board", "one").at("type"), "ack");
  EXPECT_EQ(send(*olga, "board", "two").at("type"), "ack");
  // A newcomer's joined tells the room's slow mode.
  auto cleo = connect("cleo");
  EXPECT_EQ(get_int(join(*cleo, "board"), "slow_mode_s"), 60);
  // Off again: bob may post at once.
  ASSERT_EQ(request(*olga, "slow_mode", {{"room", "board"}, {"seconds", 0}}).at("type"), "ok");
  bob->expect(has({{"type", "slow_mode"}, {"seconds", 0}}), "slow mode off");
  EXPECT_EQ(send(*bob, "board", "now again").at("type"), "ack");
}

TEST_F(SlowMode, TheNextMessageIsTakenOnceTheWaitIsOver) {
  start_server();
  auto olga = connect("olga");
  auto bob = connect("bob");
  ASSERT_EQ(request(*olga, "create", {{"room", "board"}}).at("type"), "joined");
  join(*bob, "board");
  ASSERT_EQ(request(*olga, "slow_mode", {{"room", "board"}, {"seconds", 1}}).at("type"), "ok");
  bob->expect(is_type("slow_mode"), "slow mode on");
  ASSERT_EQ(send(*bob, "board", "first").at("type"), "ack");
  auto refused = send(*bob, "board", "second");
  ASSERT_EQ(code_of(refused), "rate_limited");
  // The rule is about time: wait as long as the server said, then the message is taken.
  std::this_thread::sleep_for(std::chrono::milliseconds(get_int(refused, "retry_after_ms") + 50));
  EXPECT_EQ(send(*bob, "board", "second").at("type"), "ack");
}

TEST_F(SlowMode, TheBackendSetsItAndItOutlivesARestart) {
  start_server({{"--api-keys", kKey}});
  ApiClient api(port(), kKey);
  auto olga = connect("olga");
  auto bob = connect("bob");
  ASSERT_EQ(request(*olga, "create", {{"room", "board"}}).at("type"), "joined");
  join(*bob, "board");
  auto bad = api.request("PUT", "/api/v1/rooms/board/slow_mode", R"({"seconds":-1})");
  EXPECT_EQ(bad.status, 400) << bad.body;
  auto r = api.request("PUT", "/api/v1/rooms/board/slow_mode", R"({"seconds":30})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(get_int(r.json().as_object(), "slow_mode_s"), 30);
  auto told = bob->expect(is_type("slow_mode"), "slow mode from the backend");
  EXPECT_EQ(told.at("system"), true);
  EXPECT_EQ(get_int(api.get("/api/v1/rooms/board").json().as_object(), "slow_mode_s"), 30);
  EXPECT_EQ(api.request("PUT", "/api/v1/rooms/nowhere/slow_mode", R"({"seconds":30})").status, 404);

  restart_server();
  ApiClient again(port(), kKey);
  auto bob2 = connect("bob");
  auto rooms = welcome_of(*bob2).at("rooms").as_array();
  ASSERT_EQ(rooms.size(), 1u);
  EXPECT_EQ(get_int(rooms[0].as_object(), "slow_mode_s"), 30);
  ASSERT_EQ(send(*bob2, "board", "first").at("type"), "ack");
  EXPECT_EQ(code_of(send(*bob2, "board", "second")), "rate_limited");
}

}  // namespace
}  // namespace parley::test
