// Room kinds: public rooms anyone joins, private rooms joined only by invitation, direct
// rooms of exactly two users; membership checked on every read and write path.
#include "conversations.hpp"

namespace parley::test {
namespace {

namespace json = boost::json;

class RoomKinds : public ParleyTest {
protected:
  void SetUp() override {
    start_server();
    alice = connect("alice");
    bob = connect("bob");
    eve = connect("eve");
  }
  // Every way a non-member could read or write `room`: each must answer forbidden.
  void expect_locked_out(WsClient& c, const std::string& room) {
    EXPECT_EQ(code_of(request(c, "join", {{"room", room}})), "forbidden") << "join";
    EXPECT_EQ(code_of(request(c, "sync", {{"room", room}, {"after", 0}})), "forbidden") << "sync";
    EXPECT_EQ(code_of(request(c, "history", {{"room", room}})), "forbidden") << "history";
    EXPECT_EQ(code_of(request(c, "typing", {{"room", room}, {"active", true}})), "forbidden") << "typing";
    EXPECT_EQ(code_of(request(c, "read", {{"room", room}, {"seq", 1}})), "forbidden") << "read";
    EXPECT_EQ(code_of(request(c, "message", {{"room", room}, {"id", new_id()}, {"text", "x"}})), "forbidden") << "message";
    EXPECT_EQ(code_of(request(c, "search", {{"query", "secret"}, {"room", room}})), "forbidden") << "search";
    EXPECT_EQ(code_of(entry(c, "react", room, 1, {{"emoji", "x"}})), "forbidden") << "react";
    EXPECT_EQ(code_of(request(c, "invite", {{"room", room}, {"user", "eve"}})), "forbidden") << "invite";
  }
  std::unique_ptr<WsClient> alice, bob, eve;
};

TEST_F(RoomKinds, JoiningANewRoomMakesItPublicWithTheJoinerAsOwner) {
  auto j = join(*alice, "lobby");
  EXPECT_EQ(j.at("kind"), "public");
  EXPECT_EQ(j.at("role"), "owner");
  auto k = join(*bob, "lobby");
  EXPECT_EQ(k.at("role"), "member");
}

TEST_F(RoomKinds, PrivateRoomsAreJoinedOnlyByInvitation) {
  auto created = request(*alice, "create", {{"room", "team"}, {"kind", "private"}});
  ASSERT_EQ(created.at("type"), "joined") << json::serialize(created);
  EXPECT_EQ(created.at("kind"), "private");
  EXPECT_EQ(created.at("role"), "owner");
  send_message(*alice, "team", "secret plans");
  expect_locked_out(*eve, "team");

  EXPECT_EQ(request(*alice, "invite", {{"room", "team"}, {"user", "bob"}}).at("type"), "ok");
  auto joined = bob->expect(has({{"type", "joined"}, {"room", "team"}}), "bob's joined");
  EXPECT_EQ(joined.at("kind"), "private");
  EXPECT_EQ(joined.at("role"), "member");
  alice->expect(has({{"type", "member"}, {"room", "team"}, {"user", "bob"}, {"action", "invited"}, {"by", "alice"}}));
  EXPECT_EQ(sync(*bob, "team", 0).at("messages").as_array().size(), 1u);
  // A plain member cannot invite into a private room; the owner's moderator can.
  EXPECT_EQ(code_of(request(*bob, "invite", {{"room", "team"}, {"user", "eve"}})), "forbidden");
  EXPECT_EQ(request(*alice, "role", {{"room", "team"}, {"user", "bob"}, {"role", "moderator"}}).at("type"), "ok");
  EXPECT_EQ(request(*bob, "invite", {{"room", "team"}, {"user", "eve"}}).at("type"), "ok");
  eve->expect(has({{"type", "joined"}, {"room", "team"}}), "eve's joined");
  EXPECT_EQ(sync(*eve, "team", 0).at("messages").as_array().size(), 1u);
}

TEST_F(RoomKinds, CreatingAnExistingRoomIsAConflict) {
  join(*alice, "lobby");
  EXPECT_EQ(code_of(request(*bob, "create", {{"room", "lobby"}})), "conflict");
  EXPECT_EQ(code_of(request(*alice, "create", {{"room", "lobby"}})), "conflict");
  EXPECT_EQ(code_of(request(*alice, "create", {{"room", "x"}, {"kind", "secret"}})), "bad_request");
}

TEST_F(RoomKinds, CommandsPipelinedAfterARefusedJoinAreRefusedToo) {
  request(*alice, "create", {{"room", "team"}, {"kind", "private"}});
  send_message(*alice, "team", "secret plans");
  eve->send_json({{"type", "join"}, {"room", "team"}, {"ref", "j"}});
  eve->send_json({{"type", "sync"}, {"room", "team"}, {"after", 0}, {"ref", "s"}});
  eve->send_json({{"type", "message"}, {"room", "team"}, {"id", "m"}, {"text", "let me in"}, {"ref", "m"}});
  for (const char* ref : {"j", "s", "m"}) {
    EXPECT_EQ(code_of(eve->expect(has({{"ref", ref}}), ref)), "forbidden") << ref;
  }
  EXPECT_EQ(all_messages(*alice, "team").size(), 1u);
}

TEST_F(RoomKinds, DirectRoomsHoldExactlyTheirTwoUsers) {
  auto dm = request(*alice, "dm", {{"to", "bob"}});
  ASSERT_EQ(dm.at("type"), "joined") << json::serialize(dm);
  EXPECT_EQ(dm.at("kind"), "direct");
  EXPECT_EQ(dm.at("with"), "bob");
  const std::string room(dm.at("room").as_string());
  EXPECT_TRUE(room.starts_with("dm-")) << room;
  auto theirs = bob->expect(has({{"type", "joined"}, {"room", room}}), "bob's joined");
  EXPECT_EQ(theirs.at("with"), "alice");
  // One room per pair, whoever opens it.
  EXPECT_EQ(request(*bob, "dm", {{"to", "alice"}}).at("room").as_string(), room);

  send_message(*alice, room, "secret plans");
  bob->expect(has({{"type", "message"}, {"room", room}, {"text", "secret plans"}}));
  expect_locked_out(*eve, room);
  EXPECT_EQ(code_of(request(*alice, "invite", {{"room", room}, {"user", "eve"}})), "forbidden");
  EXPECT_EQ(code_of(request(*alice, "leave", {{"room", room}})), "forbidden");
  EXPECT_EQ(code_of(request(*alice, "kick", {{"room", room}, {"user", "bob"}})), "forbidden");
  EXPECT_EQ(code_of(request(*alice, "dm", {{"to", "alice"}})), "bad_request");
  EXPECT_EQ(code_of(request(*alice, "dm", {{"to", "Not A Name"}})), "bad_request");
  // Nobody can squat the reserved names.
  EXPECT_EQ(code_of(request(*eve, "join", {{"room", "dm-0123"}})), "forbidden");
  EXPECT_EQ(code_of(request(*eve, "create", {{"room", "dm-0123"}})), "forbidden");

  // After a restart the welcome still says what the room is.
  restart_server();
  auto again = connect("bob");
  bool found = false;
  const json::object welcome = welcome_of(*again);
  for (auto& r : welcome.at("rooms").as_array()) {
    if (r.as_object().at("room").as_string() != room) continue;
    found = true;
    EXPECT_EQ(r.as_object().at("kind"), "direct");
    EXPECT_EQ(r.as_object().at("with"), "alice");
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace parley::test
