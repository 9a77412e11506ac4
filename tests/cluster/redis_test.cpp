// The Redis side of the cluster, observed from Redis itself (PUBSUB) and from clients:
// rooms' channels are spread over both instances, a node subscribes to a room's channel only
// while it has local members, and after an instance restarts (empty, same port) the nodes
// subscribe again and delivery resumes.
#include <algorithm>
#include <thread>

#include "cluster_test.hpp"
#include "redis_client.hpp"

namespace parley::test::cluster {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class ClusterRedis : public ClusterTest {
protected:
  // The instances (0, 1) carrying a channel for `room`: a channel whose name ends with
  // ":<room>" (the node's naming scheme is its own; the room name is in it).
  std::vector<int> instances_of(const std::string& room) {
    std::vector<int> out;
    for (int i = 0; i < 2; ++i)
      for (const auto& ch : redis_channels(redis(i).port(), "*" + room))
        if (ch.size() > room.size() && ch.compare(ch.size() - room.size() - 1, std::string::npos, ":" + room) == 0 &&
            ch.find("room") != std::string::npos)
          out.push_back(i);
    return out;
  }
  std::string channel_of(const std::string& room, int instance) {
    for (const auto& ch : redis_channels(redis(instance).port(), "*" + room))
      if (ch.size() > room.size() && ch.compare(ch.size() - room.size() - 1, std::string::npos, ":" + room) == 0 &&
          ch.find("room") != std::string::npos)
        return ch;
    return {};
  }
  // Waits until `ok(subscribers)` holds for the channel, asking Redis every 20 ms (pub/sub
  // state has no notification to wait on). Returns the last count.
  std::int64_t await_numsub(int instance, const std::string& channel, const std::function<bool(std::int64_t)>& ok,
                            std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      std::int64_t n = -1;
      try {
        n = redis_numsub(redis(instance).port(), channel);
      } catch (const std::exception&) {
      }
      if (ok(n) || Clock::now() >= deadline) return n;
      std::this_thread::sleep_for(20ms);
    }
  }
};

TEST_F(ClusterRedis, RoomsAreSpreadOverBothInstancesAndSubscriptionsFollowLocalMembers) {
  constexpr int kRooms = 16;
  start_cluster();
  auto alice = connect("alice", 0);
  auto bob = connect("bob", 1);
  auto carol = connect("carol", 2);  // in no room: node3 subscribes to none of them
  std::vector<std::string> rooms;
  for (int r = 0; r < kRooms; ++r) {
    rooms.push_back("spread" + std::to_string(r));
    join(*alice, rooms.back());
    join(*bob, rooms.back());
  }
  // A message through each room proves both nodes are subscribed by now.
  for (const auto& room : rooms) {
    json::object ack = send_message(*alice, room, "hi");
    bob->expect(message_with_id(get_str(ack, "id")), "message in " + room, 10s);
  }
  std::array<int, 2> per_instance{0, 0};
  for (const auto& room : rooms) {
    const std::vector<int> on = instances_of(room);
    ASSERT_EQ(on.size(), 1u) << "room " << room << " has a channel on " << on.size() << " instances";
    ++per_instance[on[0]];
    EXPECT_EQ(redis_numsub(redis(on[0]).port(), channel_of(room, on[0])), 2)
        << "room " << room << ": expected node1 and node2 subscribed, not node3";
  }
  EXPECT_GT(per_instance[0], 0) << "no room on the first Redis instance";
  EXPECT_GT(per_instance[1], 0) << "no room on the second Redis instance";

  // bob was node2's only member of spread0: once he is gone node2 unsubscribes (the node may
  // linger a few seconds before it does), node1 stays.
  const int inst = instances_of(rooms[0]).at(0);
  const std::string channel = channel_of(rooms[0], inst);
  bob->close(1000);
  EXPECT_EQ(await_numsub(inst, channel, [](std::int64_t n) { return n == 1; }, 15s), 1)
      << "node2 still subscribed to " << channel << " without local members";
  // And subscribes again when a member comes back.
  auto bob_again = connect("bob", 1);
  EXPECT_EQ(await_numsub(inst, channel, [](std::int64_t n) { return n == 2; }, 10s), 2)
      << "node2 did not subscribe again to " << channel;
  json::object ack = send_message(*alice, rooms[0], "welcome back");
  bob_again->expect(message_with_id(get_str(ack, "id")), "message after resubscribing", 10s);
}

TEST_F(ClusterRedis, RestartOfAnInstanceResubscribesAndDeliveryResumes) {
  start_cluster();
  auto alice = connect("alice", 0);
  auto bob = connect("bob", 1);
  std::vector<std::string> rooms;
  for (int r = 0; r < 8; ++r) rooms.push_back("rr" + std::to_string(r));
  for (const auto& room : rooms) {
    join(*alice, room);
    join(*bob, room);
  }
  for (const auto& room : rooms) {
    json::object ack = send_message(*alice, room, "before");
    bob->expect(message_with_id(get_str(ack, "id")), "before the restart in " + room, 10s);
  }
  // The instance that carries rr0 is the one to restart.
  const std::vector<int> on = instances_of(rooms[0]);
  ASSERT_EQ(on.size(), 1u);
  const int victim = on[0];
  const std::string channel = channel_of(rooms[0], victim);
  std::vector<std::string> victim_rooms;
  for (const auto& room : rooms)
    if (instances_of(room) == std::vector<int>{victim}) victim_rooms.push_back(room);

  redis(victim).kill9();
  // While it is down, messages are still stored and acked (PostgreSQL holds them).
  json::object during = send_message(*alice, rooms[0], "while redis is down");
  redis(victim).start();

  // Both nodes subscribe again on the restarted (empty) instance.
  EXPECT_EQ(await_numsub(victim, channel, [](std::int64_t n) { return n == 2; }, 20s), 2)
      << "the nodes did not subscribe again to " << channel << " after the restart";

  // Delivery resumes both ways in every room of the restarted instance, in seq order.
  for (const auto& room : victim_rooms) {
    std::vector<std::string> from_alice, from_bob;
    for (int k = 0; k < 5; ++k) {
      from_alice.push_back(get_str(send_message(*alice, room, "after a" + std::to_string(k)), "id"));
      from_bob.push_back(get_str(send_message(*bob, room, "after b" + std::to_string(k)), "id"));
    }
    expect_messages(*bob, from_alice, 15s);
    expect_messages(*alice, from_bob, 15s);
    expect_live_order(*alice, room, /*gap_free=*/false);
    expect_live_order(*bob, room, /*gap_free=*/false);
  }
  // The message sent during the outage is in the history (bob recovers it with sync).
  std::vector<json::object> stored = all_messages(*bob, rooms[0]);
  bool found = false;
  for (std::size_t n = 0; n < stored.size(); ++n) {
    EXPECT_EQ(get_int(stored[n], "seq"), static_cast<std::int64_t>(n + 1));
    found = found || get_str(stored[n], "id") == get_str(during, "id");
  }
  EXPECT_TRUE(found) << "the message acked while Redis was down is not stored";
}

TEST_F(ClusterRedis, PresenceIsRightAgainAfterARestart) {
  start_cluster();
  auto alice = connect("alice", 0);
  auto bob = connect("bob", 1);
  join(*alice, "pr");
  join(*bob, "pr");
  alice->expect(presence("pr", "bob", "online"), "bob online", 10s);
  // Restart both instances: whatever presence state lived in Redis is gone.
  for (int i = 0; i < 2; ++i) {
    redis(i).kill9();
    redis(i).start();
  }
  // Delivery is back (the bus resubscribed) ...
  ASSERT_TRUE(await_delivery(*alice, {bob.get()}, "pr"))
      << "no delivery between node1 and node2 within 20 s of the Redis restarts";
  // ... and a newcomer sees both online users, and they see it, across nodes.
  auto carol = connect("carol", 2);
  json::object j = join(*carol, "pr");
  std::vector<std::string> online;
  for (const auto& v : j.at("online").as_array()) online.emplace_back(v.as_string());
  std::sort(online.begin(), online.end());
  EXPECT_EQ(online, (std::vector<std::string>{"alice", "bob"})) << "presence state lost with the Redis restart";
  alice->expect(presence("pr", "carol", "online"), "carol online after the restart", 10s);
  bob->close(1000);
  alice->expect(presence("pr", "bob", "offline"), "bob offline after the restart", 10s);
  carol->expect(presence("pr", "bob", "offline"), "bob offline after the restart (carol)", 10s);
}

}  // namespace
}  // namespace parley::test::cluster

namespace parley::test::cluster {
namespace {

// A room event whose header carries a field this release does not know (as a later release
// may add) is delivered, not dropped as malformed: nodes of different releases keep talking
// during a rolling upgrade.
TEST_F(ClusterRedis, EventsWithUnknownHeaderFieldsAreDelivered) {
  start_cluster();
  auto alice = connect("alice", 0);
  auto bob = connect("bob", 1);
  join(*alice, "future");
  join(*bob, "future");
  json::object ack = send_message(*alice, "future", "from this release");
  bob->expect(message_with_id(get_str(ack, "id")), "the first message", 10s);
  const int inst = instances_of("future").at(0);
  const std::string frame =
      R"({"type":"message","room":"future","seq":2,"ts":1,"user":"carol","id":"from-later","text":"from a later release"})";
  // Kind 0 (message), seq 2, no connection's user skipped, receipt time, then a new field.
  RedisReply r = redis_command(redis(inst).port(),
                               {"PUBLISH", channel_of("future", inst), "R0|2||1|some-later-field\n" + frame});
  EXPECT_EQ(r.num, 2) << "both nodes subscribed";
  json::object m = bob->expect(message_with_id("from-later"), "the event with an extra header field", 10s);
  EXPECT_EQ(m.at("seq"), 2);
  alice->expect(message_with_id("from-later"), "on the other node too", 10s);
}

}  // namespace
}  // namespace parley::test::cluster
