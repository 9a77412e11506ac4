// The bus contract on the Redis bus (src/bus/bus.hpp), and the event forms of a rolling
// upgrade (docs/cluster.md → "Rolling upgrades"):
// - the sender's own copy of a message arrives before its ack, also when other nodes are
//   subscribed (the node delivers to its own connections before it publishes, and drops its
//   own events when Redis hands them back: nothing arrives twice);
// - events in the current form carrying fields of a later release are delivered;
// - a cluster publishing the version-1 form (bus_write_version = 1, while version-1 nodes
//   are still running) keeps delivering, and no node takes its own events for another's.
#include "cluster_test.hpp"
#include "redis_client.hpp"

namespace parley::test::cluster {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class ClusterBus : public ClusterTest {
protected:
  // The channel carrying `room` on whichever instance has it (both nodes subscribed).
  std::pair<int, std::string> room_channel(const std::string& room) {
    for (int i = 0; i < 2; ++i) {
      for (const auto& ch : redis_channels(redis(i).port(), "*room*" + room)) {
        if (ch.size() > room.size() && ch.compare(ch.size() - room.size() - 1, std::string::npos, ":" + room) == 0) {
          return {i, ch};
        }
      }
    }
    return {-1, {}};
  }
  static std::size_t count_of(const WsClient& c, const json::object& pattern) { return c.count(has(pattern)); }
};

TEST_F(ClusterBus, TheSendersOwnCopyArrivesBeforeItsAckOnTheRedisBus) {
  start_cluster();
  auto alice = connect("alice", 0);
  auto alice2 = connect("alice", 0);
  auto bob = connect("bob", 1);
  join(*alice, "order");
  join(*bob, "order");
  std::vector<std::string> ids;
  for (int i = 0; i < 30; ++i) ids.push_back(post_message(*alice, "order", "m" + std::to_string(i)));
  expect_acks(*alice, ids, 10s);
  expect_messages(*bob, ids, 10s);
  expect_messages(*alice2, ids, 10s);
  const auto frames = alice->received();
  for (const auto& id : ids) {
    auto pos = [&](std::string_view type) {
      for (std::size_t i = 0; i < frames.size(); ++i) {
        const auto& o = frames[i].obj;
        const auto* t = o.if_contains("type");
        const auto* i_d = o.if_contains("id");
        if (t && t->is_string() && t->as_string() == type && i_d && i_d->is_string() && i_d->as_string() == id) return i;
      }
      return frames.size();
    };
    EXPECT_LT(pos("message"), pos("ack")) << "message " << id << ": the ack came before the sender's own copy";
  }
  for (const auto& id : ids) {
    EXPECT_EQ(count_of(*alice2, {{"type", "message"}, {"id", id}}), 1u) << id << " twice on the sender's node";
  }
}

TEST_F(ClusterBus, EventsWithFieldsOfALaterReleaseAreDelivered) {
  start_cluster();
  auto alice = connect("alice", 0);
  auto bob = connect("bob", 1);
  join(*alice, "later");
  join(*bob, "later");
  json::object ack = send_message(*alice, "later", "first");
  bob->expect(message_with_id(get_str(ack, "id")), "the first message", 10s);
  auto [inst, channel] = room_channel("later");
  ASSERT_GE(inst, 0) << "no channel for the room";
  const std::string payload =
      R"({"v":2,"k":"message","o":"node9","seq":2,"ts":1,"user":"carol","id":"from-later","text":"from a later release",)"
      R"("entry":0,"rx":1,"thread":"t-1","priority":"high"})";
  RedisReply r = redis_command(redis(inst).port(), {"PUBLISH", channel, payload});
  EXPECT_EQ(r.num, 2) << "both nodes subscribed";
  for (WsClient* c : {alice.get(), bob.get()}) {
    json::object m = c->expect(message_with_id("from-later"), "the event with fields of a later release", 10s);
    EXPECT_EQ(m.at("seq"), 2);
    EXPECT_EQ(m.at("text"), "from a later release");
  }
  // An event kind this release does not know is skipped, and the room keeps working. (A
  // typing event: the injected message above took a seq the store never gave out.)
  redis_command(redis(inst).port(), {"PUBLISH", channel, R"({"v":2,"k":"poll","o":"node9","question":"?"})"});
  bob->send_json({{"type", "typing"}, {"room", "later"}, {"active", true}});
  alice->expect(typing("later", "bob", true), "an event after the unknown kind", 10s);
}

TEST_F(ClusterBus, AClusterWritingVersionOneKeepsDeliveringWithoutEchoes) {
  start_cluster({{"--bus-write-version", "1"}});
  auto alice = connect("alice", 0);
  auto bob = connect("bob", 0);   // alice's node: would get a typing twice if node1 took its own back
  auto carol = connect("carol", 1);
  join(*carol, "roll");
  join(*alice, "roll");
  join(*bob, "roll");
  carol->expect(presence("roll", "bob", "online"), "presence across nodes", 10s);
  alice->send_json({{"type", "typing"}, {"room", "roll"}, {"active", true}});
  carol->expect(typing("roll", "alice", true), "typing on the other node", 10s);
  bob->expect(typing("roll", "alice", true), "typing on the same node", 10s);
  json::object ack = send_message(*alice, "roll", "hello over version 1");
  carol->expect(message_with_id(get_str(ack, "id")), "the message on the other node", 10s);
  bob->expect(message_with_id(get_str(ack, "id")), "the message on the same node", 10s);
  // Membership changes go as version-1 user events: alice's other device on node2 hears them.
  auto alice_elsewhere = connect("alice", 2);
  join(*alice, "roll-two");
  alice_elsewhere->expect(has({{"type", "joined"}, {"room", "roll-two"}}), "joined on alice's other node", 10s);
  // A round trip on bob's connection: whatever node1 would have echoed has arrived by now.
  sync(*bob, "roll", 0);
  EXPECT_EQ(count_of(*bob, {{"type", "typing"}, {"user", "alice"}, {"active", true}}), 1u) << "an echo was delivered";
  EXPECT_EQ(count_of(*bob, {{"type", "message"}, {"id", get_str(ack, "id")}}), 1u);
}

}  // namespace
}  // namespace parley::test::cluster
