// Presence: online when a user's first connection opens, offline only when the last one
// closes (gracefully, abruptly), per room, to the other members only.
#include "parley_test.hpp"

namespace parley::test {
namespace {

namespace json = boost::json;

class Presence : public ParleyTest {
protected:
  void SetUp() override {
    start_server();
    bob = connect("bob");
    join(*bob, "general");
    // alice becomes a member, then goes offline; bob sees that.
    auto a = connect("alice");
    join(*a, "general");
    bob->expect(presence("general", "alice", "online"), "alice online after joining");
    a->close();
    bob->expect(presence("general", "alice", "offline"), "alice offline after setup");
  }
  // bob has received every presence change made before this.
  void marker() { await_presence(*bob, "general"); }
  std::size_t online_count() { return bob->count(presence("general", "alice", "online")); }
  std::size_t offline_count() { return bob->count(presence("general", "alice", "offline")); }

  std::unique_ptr<WsClient> bob;
};

TEST_F(Presence, OnlineOnFirstConnectionOfflineAfterLast) {
  const std::size_t online0 = online_count(), offline0 = offline_count();
  auto d1 = connect("alice");
  bob->expect(presence("general", "alice", "online"), "alice online");
  auto d2 = connect("alice");
  marker();
  EXPECT_EQ(online_count(), online0 + 1) << "second device announced again:\n" << bob->dump();

  d1->close();
  marker();
  EXPECT_EQ(offline_count(), offline0) << "offline while a device is still connected:\n" << bob->dump();

  d2->close();
  bob->expect(presence("general", "alice", "offline"), "alice offline after the last device");
}

TEST_F(Presence, AbruptDisconnectClearsPresence) {
  auto d1 = connect("alice");
  bob->expect(presence("general", "alice", "online"), "alice online");
  d1->abort();  // TCP gone, no close frame
  bob->expect(presence("general", "alice", "offline"), "alice offline after abrupt disconnect");
}

TEST_F(Presence, NotSentToTheUsersOwnConnections) {
  auto d1 = connect("alice");
  bob->expect(presence("general", "alice", "online"), "alice online");
  auto d2 = connect("alice");
  d2->close();
  // d1 is a member like any other for other users' presence...
  bob->close();
  d1->expect(presence("general", "bob", "offline"), "bob offline on alice's connection");
  // ...but hears nothing about alice herself.
  await_presence(*d1, "general");
  EXPECT_EQ(d1->count(has({{"type", "presence"}, {"user", "alice"}})), 0u) << d1->dump();
}

TEST_F(Presence, PerRoomToMembersOnly) {
  // carol shares only "random" with alice; dave shares nothing.
  {
    auto a = connect("alice");
    bob->expect(presence("general", "alice", "online"), "alice online");
    join(*a, "random");
    a->close();
    bob->expect(presence("general", "alice", "offline"), "alice offline");
  }
  auto carol = connect("carol");
  join(*carol, "random");
  join(*bob, "random");
  auto dave = connect("dave");
  join(*dave, "elsewhere");
  auto alice = connect("alice");
  bob->expect(presence("general", "alice", "online"), "online in general");
  bob->expect(presence("random", "alice", "online"), "online in random");
  json::object c = carol->expect(presence("random", "alice", "online"), "carol: online in random");
  EXPECT_EQ(c.at("room"), "random");
  // Markers in each room, then check what carol and dave did not get.
  const std::string in_random = new_id();
  send_message(*alice, "random", "marker", in_random);
  carol->expect(message_with_id(in_random), "marker");
  send_message(*dave, "elsewhere", "dave marker");
  EXPECT_EQ(carol->count(has({{"type", "presence"}, {"room", "general"}})), 0u) << carol->dump();
  EXPECT_EQ(dave->count(is_type("presence")), 0u) << dave->dump();
}

}  // namespace
}  // namespace parley::test
