// The welcome frame: user, the user's rooms with last_seq/read_seq, heartbeat_ms; and
// the wire shape every server frame shares (one JSON object, "type" first).
#include "parley_test.hpp"

namespace parley::test {
namespace {

namespace json = boost::json;

class Welcome : public ParleyTest {
protected:
  // The welcome's entry for `room` (fails the test if absent).
  static json::object room_entry(const json::object& welcome, std::string_view room) {
    for (const auto& r : welcome.at("rooms").as_array())
      if (get_str(r.as_object(), "room") == room) return r.as_object();
    ADD_FAILURE() << "room " << room << " not in welcome " << to_string(welcome);
    return {};
  }
};

TEST_F(Welcome, NewUserGetsEmptyRoomListAndHeartbeat) {
  start_server({{"--heartbeat-ms", "4321"}});
  auto c = connect("alice");
  const json::object w = welcome_of(*c);
  EXPECT_EQ(w.at("user"), "alice");
  ASSERT_TRUE(w.at("rooms").is_array());
  EXPECT_TRUE(w.at("rooms").as_array().empty());
  EXPECT_EQ(get_int(w, "heartbeat_ms"), 4321);
  // The welcome is the first frame.
  EXPECT_EQ(c->received().front().obj.at("type"), "welcome");
}

TEST_F(Welcome, ListsRoomsWithLastSeqAndReadSeq) {
  start_server();
  {
    auto alice = connect("alice");
    auto bob = connect("bob");
    join(*alice, "general");
    join(*alice, "quiet");
    join(*bob, "general");
    for (int i = 0; i < 3; ++i) send_message(*bob, "general", "m" + std::to_string(i));
    alice->send_json({{"type", "read"}, {"room", "general"}, {"seq", 2}});
    alice->expect(has({{"type", "read"}, {"user", "alice"}, {"seq", 2}}));
  }
  auto check = [&](std::string_view when) {
    SCOPED_TRACE(when);
    auto alice = connect("alice");
    const json::object w = welcome_of(*alice);
    EXPECT_EQ(w.at("rooms").as_array().size(), 2u) << to_string(w);
    const json::object general = room_entry(w, "general");
    EXPECT_EQ(general.at("last_seq"), 3) << to_string(general);
    EXPECT_EQ(general.at("read_seq"), 2) << to_string(general);
    const json::object quiet = room_entry(w, "quiet");
    EXPECT_EQ(quiet.at("last_seq"), 0) << to_string(quiet);
    EXPECT_EQ(quiet.at("read_seq"), 0) << to_string(quiet);
  };
  check("after reconnect");
  restart_server();
  check("after restart");
}

TEST_F(Welcome, LeftRoomsAreNotListed) {
  start_server();
  {
    auto alice = connect("alice");
    join(*alice, "general");
    join(*alice, "other");
    leave(*alice, "other");
  }
  auto alice = connect("alice");
  const json::object w = welcome_of(*alice);
  ASSERT_EQ(w.at("rooms").as_array().size(), 1u) << to_string(w);
  EXPECT_EQ(w.at("rooms").as_array()[0].as_object().at("room"), "general");
}

TEST_F(Welcome, EveryServerFrameIsAnObjectWithTypeFirst) {
  start_server({{"--typing-timeout-ms", "200"}});
  auto alice = connect("alice");
  auto bob = connect("bob");
  join(*alice, "general");
  join(*bob, "general");
  alice->send_json({{"type", "typing"}, {"room", "general"}, {"active", true}});
  bob->expect(typing("general", "alice", true), "typing");
  bob->expect(typing("general", "alice", false), "typing timeout");
  const auto ack = send_message(*alice, "general", "hello");
  alice->send_json({{"type", "read"}, {"room", "general"}, {"seq", get_int(ack, "seq")}});
  bob->expect(has({{"type", "read"}, {"user", "alice"}}));
  sync(*alice, "general", 0);
  history(*alice, "general", std::nullopt);
  alice->send_text("{broken");
  alice->expect(error_with("bad_request"), "bad_request");
  join(*bob, "other");
  leave(*bob, "other");
  bob->close();
  alice->expect(presence("general", "bob", "offline"), "bob offline");
  for (WsClient* c : {alice.get(), bob.get()}) {
    for (const Received& r : c->received()) {
      ASSERT_FALSE(r.obj.contains("__invalid_json")) << c->name() << " got a non-object frame: " << to_string(r.obj);
      ASSERT_FALSE(r.obj.contains("__binary")) << c->name() << " got a binary frame";
      ASSERT_FALSE(r.obj.empty());
      EXPECT_EQ(r.obj.begin()->key(), "type") << c->name() << ": 'type' is not the first field of "
                                              << to_string(r.obj);
    }
  }
}

}  // namespace
}  // namespace parley::test
