// join / leave: joined contents, online list, idempotent join, room name rules, and
// membership as a persistent fact of the user shared by all of the user's connections.
#include <algorithm>

#include "parley_test.hpp"

namespace parley::test {
namespace {

namespace json = boost::json;

class Rooms : public ParleyTest {
protected:
  void SetUp() override { start_server(); }
  static std::vector<std::string> online_of(const json::object& joined) {
    std::vector<std::string> out;
    for (const auto& u : joined.at("online").as_array()) out.emplace_back(u.as_string());
    std::sort(out.begin(), out.end());
    return out;
  }
};

TEST_F(Rooms, FirstJoinCreatesRoom) {
  auto a = connect("alice");
  json::object j = join(*a, "general");
  EXPECT_EQ(j.at("last_seq"), 0);
  ASSERT_TRUE(j.at("online").is_array());
  EXPECT_TRUE(j.at("online").as_array().empty()) << "online lists the joiner herself: " << to_string(j);
  send_message(*a, "general", "first");
}

TEST_F(Rooms, JoinedReportsLastSeqAndOnlineMembersOtherThanTheJoiner) {
  auto alice = connect("alice");
  join(*alice, "general");
  auto carol = connect("carol");
  join(*carol, "general");
  carol->close();  // carol stays a member, but offline
  alice->expect(presence("general", "carol", "offline"), "carol offline");
  send_message(*alice, "general", "one");
  send_message(*alice, "general", "two");
  auto bob = connect("bob");
  json::object j = join(*bob, "general");
  EXPECT_EQ(j.at("last_seq"), 2);
  EXPECT_EQ(online_of(j), std::vector<std::string>{"alice"}) << to_string(j);
}

TEST_F(Rooms, JoinIsIdempotent) {
  auto a = connect("alice");
  join(*a, "general");
  send_message(*a, "general", "x");
  json::object again = join(*a, "general");
  EXPECT_EQ(again.at("last_seq"), 1);
  a.reset();
  auto b = connect("alice");
  EXPECT_EQ(welcome_of(*b).at("rooms").as_array().size(), 1u) << to_string(welcome_of(*b));
}

TEST_F(Rooms, JoinedAndLeftGoToEveryConnectionOfTheUserRefOnlyToTheRequester) {
  auto d1 = connect("alice");
  auto d2 = connect("alice");
  d1->send_json({{"type", "join"}, {"room", "general"}, {"ref", "j1"}});
  EXPECT_EQ(d1->expect(is_type("joined"), "joined on d1").at("ref"), "j1");
  json::object other = d2->expect(is_type("joined"), "joined on d2");
  EXPECT_EQ(other.at("room"), "general");
  EXPECT_FALSE(other.contains("ref")) << "the other device got the requester's ref: " << to_string(other);
  d2->send_json({{"type", "leave"}, {"room", "general"}, {"ref", 7}});
  EXPECT_EQ(d2->expect(is_type("left"), "left on d2").at("ref"), 7);
  json::object left1 = d1->expect(is_type("left"), "left on d1");
  EXPECT_EQ(left1.at("room"), "general");
  EXPECT_FALSE(left1.contains("ref"));
}

TEST_F(Rooms, EveryConnectionOfAMemberReceivesRoomEvents) {
  auto before = connect("alice");  // connected before the join
  auto joiner = connect("alice");
  join(*joiner, "general");
  auto after = connect("alice");  // connected after the join, never joined itself
  auto bob = connect("bob");
  join(*bob, "general");
  const std::string id = new_id();
  send_message(*bob, "general", "to all devices", id);
  for (WsClient* c : {before.get(), joiner.get(), after.get()}) c->expect(message_with_id(id), "bob's message");
}

TEST_F(Rooms, AfterLeaveNoMoreEventsAndRequestsAreForbidden) {
  auto alice = connect("alice");
  auto bob = connect("bob");
  join(*alice, "general");
  join(*bob, "general");
  leave(*alice, "general");
  const std::string missed = new_id();
  send_message(*bob, "general", "after alice left", missed);
  post_message(*alice, "general", "not a member");
  alice->expect(error_with("forbidden"), "forbidden message after leave");
  alice->send_json({{"type", "sync"}, {"room", "general"}, {"after", 0}});
  alice->expect(error_with("forbidden"), "forbidden sync after leave");
  // Join again; bob's next message arrives, the one sent while alice was out never did.
  join(*alice, "general");
  const std::string seen = new_id();
  send_message(*bob, "general", "alice is back", seen);
  alice->expect(message_with_id(seen), "message after rejoin");
  EXPECT_EQ(alice->count(message_with_id(missed)), 0u) << alice->dump();
}

TEST_F(Rooms, LeavingARoomOneIsNotInIsForbidden) {
  auto a = connect("alice");
  a->send_json({{"type", "leave"}, {"room", "nowhere"}, {"ref", "l1"}});
  EXPECT_EQ(a->expect(error_with("forbidden"), "forbidden").at("ref"), "l1");
}

TEST_F(Rooms, ValidRoomNamesAreAccepted) {
  auto a = connect("alice");
  for (std::string name : {std::string("a"), std::string("0"), std::string("a_b-c9"), std::string("9-lives"),
                           std::string(64, 'x')}) {
    json::object j = join(*a, name);
    EXPECT_EQ(get_str(j, "room"), name);
  }
}

TEST_F(Rooms, InvalidRoomNamesAreBadRequest) {
  auto a = connect("alice");
  int n = 0;
  for (std::string name : {std::string(""), std::string("General"), std::string("-start"), std::string("_start"),
                           std::string("has space"), std::string("dot.ted"), std::string("caf\xc3\xa9"),
                           std::string(65, 'x'), std::string("a/b")}) {
    const std::string ref = "bad" + std::to_string(++n);
    a->send_json({{"type", "join"}, {"room", name}, {"ref", ref}});
    json::object e = a->expect(has({{"type", "error"}, {"ref", ref}}), "error for room '" + name + "'");
    // A malformed name is bad input on every face (the server API answers 400 bad_request).
    EXPECT_EQ(e.at("code"), "bad_request") << "room '" << name << "': " << to_string(e);
  }
  // The connection stays usable.
  join(*a, "fine");
}

TEST_F(Rooms, InvalidRoomNameIsBadRequestForEveryCommand) {
  auto a = connect("alice");
  const std::string bad = "Not Valid";
  const std::vector<json::object> reqs = {
      {{"type", "leave"}, {"room", bad}},
      {{"type", "message"}, {"room", bad}, {"id", new_id()}, {"text", "x"}},
      {{"type", "typing"}, {"room", bad}, {"active", true}},
      {{"type", "read"}, {"room", bad}, {"seq", 1}},
      {{"type", "sync"}, {"room", bad}, {"after", 0}},
      {{"type", "history"}, {"room", bad}}};
  int n = 0;
  for (json::object req : reqs) {
    const std::string ref = "cmd" + std::to_string(++n);
    req["ref"] = ref;
    a->send_json(req);
    json::object e = a->expect(has({{"type", "error"}, {"ref", ref}}), "error for " + to_string(req));
    EXPECT_EQ(e.at("code"), "bad_request") << to_string(req) << " -> " << to_string(e);
  }
}

TEST_F(Rooms, RoomOfWrongTypeIsBadRequest) {
  auto a = connect("alice");
  a->send_json({{"type", "join"}, {"room", 42}, {"ref", "n"}});
  EXPECT_EQ(a->expect(has({{"type", "error"}, {"ref", "n"}}), "error").at("code"), "bad_request");
  a->send_json({{"type", "join"}, {"ref", "m"}});
  EXPECT_EQ(a->expect(has({{"type", "error"}, {"ref", "m"}}), "error").at("code"), "bad_request");
}

}  // namespace
}  // namespace parley::test
