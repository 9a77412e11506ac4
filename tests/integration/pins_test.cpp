// Pinned messages and others' read positions (docs/protocol.md → Pins, Read positions):
// owners and moderators pin live messages (at most 50 per room), every member sees the
// pinned event and joined lists the pins; a deleted message loses its pin. joined carries
// the other members' read positions (a first page, in name order) so read ticks survive a
// reload, and the reads command pages the rest.
#include "conversations.hpp"

namespace parley::test {
namespace {

namespace json = boost::json;

class Pins : public ParleyTest {
protected:
  void SetUp() override {
    start_server();
    alice = connect("alice");  // the owner
    bob = connect("bob");
    join(*alice, "general");
    join(*bob, "general");
    seq = get_int(send_message(*alice, "general", "the plan"), "seq");
  }
  json::object pin(WsClient& c, std::int64_t at, bool on = true) {
    return request(c, on ? "pin" : "unpin", {{"room", "general"}, {"seq", at}});
  }
  // The pins a fresh joined of `user` lists, as seqs.
  std::vector<std::int64_t> pins_of(std::string_view user) {
    auto c = connect(user);
    auto joined = join(*c, "general");
    std::vector<std::int64_t> out;
    for (auto& p : joined.at("pins").as_array()) out.push_back(get_int(p.as_object(), "seq"));
    return out;
  }
  std::unique_ptr<WsClient> alice, bob;
  std::int64_t seq = 0;
};

TEST_F(Pins, OwnersPinAndEveryMemberSeesIt) {
  EXPECT_EQ(code_of(pin(*bob, seq)), "forbidden") << "a member may not pin";
  ASSERT_EQ(pin(*alice, seq).at("type"), "ok");
  auto seen = bob->expect(has({{"type", "pinned"}, {"seq", seq}}), "the pinned event");
  EXPECT_TRUE(seen.at("pinned").as_bool());
  EXPECT_EQ(seen.at("by"), "alice");
  EXPECT_EQ(pins_of("bob"), (std::vector<std::int64_t>{seq}));
  ASSERT_EQ(request(*alice, "role", {{"room", "general"}, {"user", "bob"}, {"role", "moderator"}}).at("type"), "ok");
  ASSERT_EQ(pin(*bob, seq, false).at("type"), "ok") << "a moderator may unpin";
  seen = alice->expect(has({{"type", "pinned"}, {"seq", seq}, {"pinned", false}}), "the unpinned event");
  EXPECT_EQ(seen.at("by"), "bob");
  EXPECT_TRUE(pins_of("bob").empty());
}

TEST_F(Pins, OnlyLiveMessagesArePinnedAndNewestComesFirst) {
  EXPECT_EQ(code_of(pin(*alice, 99)), "not_found");
  auto edit = entry(*alice, "edit", "general", seq, {{"text", "the new plan"}});
  EXPECT_EQ(code_of(pin(*alice, get_int(edit, "seq"))), "not_found") << "an edit is no message";
  auto second = get_int(send_message(*alice, "general", "the date"), "seq");
  ASSERT_EQ(pin(*alice, seq).at("type"), "ok");
  ASSERT_EQ(pin(*alice, second).at("type"), "ok");
  ASSERT_EQ(pin(*alice, seq).at("type"), "ok") << "pinning twice is no error";
  EXPECT_EQ(bob->count(has({{"type", "pinned"}, {"seq", seq}})), 1u) << "and tells nobody twice";
  EXPECT_EQ(pins_of("bob"), (std::vector<std::int64_t>{second, seq}));
  ASSERT_EQ(entry(*alice, "delete", "general", second).at("type"), "ack");
  EXPECT_EQ(pins_of("bob"), (std::vector<std::int64_t>{seq})) << "a deleted message loses its pin";
  restart_server();
  EXPECT_EQ(pins_of("bob"), (std::vector<std::int64_t>{seq})) << "after a restart";
}

TEST_F(Pins, ARoomHoldsAtMostFiftyPins) {
  stop_server();
  start_server({{"--rate-per-sec", "1000"}, {"--rate-burst", "1000"}});
  alice = connect("alice");
  for (int i = 0; i < 50; ++i) {
    auto s = get_int(send_message(*alice, "general", "m" + std::to_string(i)), "seq");
    ASSERT_EQ(pin(*alice, s).at("type"), "ok");
  }
  EXPECT_EQ(code_of(pin(*alice, seq)), "limit_exceeded");
}

TEST_F(Pins, EitherMemberOfADirectRoomPins) {
  auto dm = request(*bob, "dm", {{"to", "alice"}});
  ASSERT_EQ(dm.at("type"), "joined") << to_string(dm);
  const std::string room = get_str(dm, "room");
  auto s = get_int(send_message(*bob, room, "our secret"), "seq");
  auto answer = request(*alice, "pin", {{"room", room}, {"seq", s}});
  EXPECT_EQ(answer.at("type"), "ok") << to_string(answer);
}

TEST_F(Pins, JoinedCarriesTheOthersReadPositions) {
  auto carol = connect("carol");
  join(*carol, "general");
  auto last = get_int(send_message(*alice, "general", "read me"), "seq");
  bob->send_json({{"type", "read"}, {"room", "general"}, {"seq", last}});
  alice->expect(has({{"type", "read"}, {"user", "bob"}, {"seq", last}}), "bob's read");
  // A reload: a new connection's joined knows how far the others read.
  auto again = connect("alice");
  auto joined = join(*again, "general");
  EXPECT_EQ(joined.at("reads"), (json::array{json::object{{"user", "bob"}, {"seq", last}},
                                            json::object{{"user", "carol"}, {"seq", 0}}}));
  EXPECT_FALSE(joined.contains("reads_next"));
}

TEST_F(Pins, ReadPositionsPageInNameOrder) {
  stop_server();
  start_server({{"--presence-limit", "2"}});
  std::vector<std::unique_ptr<WsClient>> members;
  for (std::string name : {"dan", "eve", "fay", "gus"}) {
    members.push_back(connect(name));
    join(*members.back(), "general");
  }
  alice = connect("alice");
  auto joined = join(*alice, "general");
  ASSERT_EQ(joined.at("reads").as_array().size(), 2u) << to_string(joined);
  EXPECT_EQ(joined.at("reads").as_array()[0].at("user"), "bob");
  EXPECT_EQ(joined.at("reads_next"), "dan");
  auto page = request(*alice, "reads", {{"room", "general"}, {"after", "dan"}, {"limit", 2}});
  ASSERT_EQ(page.at("type"), "reads") << to_string(page);
  EXPECT_EQ(page.at("reads").as_array()[0].at("user"), "eve");
  EXPECT_EQ(page.at("reads").as_array()[1].at("user"), "fay");
  EXPECT_EQ(page.at("next"), "fay");
  auto rest = request(*alice, "reads", {{"room", "general"}, {"after", "fay"}});
  EXPECT_EQ(rest.at("reads"), (json::array{json::object{{"user", "gus"}, {"seq", 0}}}));
  EXPECT_FALSE(rest.contains("next"));
  auto roster = request(*alice, "members", {{"room", "general"}, {"limit", 2}});
  ASSERT_EQ(roster.at("type"), "members") << to_string(roster);
  EXPECT_EQ(roster.at("members"), (json::array{json::object{{"user", "alice"}, {"role", "owner"}, {"read_seq", 0}},
                                               json::object{{"user", "bob"}, {"role", "member"}, {"read_seq", 0}}}));
  EXPECT_EQ(roster.at("next"), "bob");
  auto outsider = connect("zed");
  EXPECT_EQ(code_of(request(*outsider, "reads", {{"room", "general"}})), "forbidden");
  EXPECT_EQ(code_of(request(*outsider, "members", {{"room", "general"}})), "forbidden");
}

}  // namespace
}  // namespace parley::test
