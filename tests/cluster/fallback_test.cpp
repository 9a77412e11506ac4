// The HTTP fallback transport in a cluster needs no sticky sessions: a stream is held by one
// node while its POSTs may reach any node (nginx round-robin, or each node in turn); the
// commands reach the session through the bus, in the order they were posted.
#include "cluster_test.hpp"
#include "sse_client.hpp"

namespace parley::test::cluster {
namespace {

namespace json = boost::json;

class ClusterFallback : public ClusterTest {};

TEST_F(ClusterFallback, PostsThroughAnyNodeReachTheSessionInOrder) {
  start_cluster();
  auto bob = connect("bob", 2);
  join(*bob, "general");
  SseClient alice("alice/sse@1");
  ASSERT_EQ(alice.open(port_of(0), {{"Authorization", "Bearer " + token("alice")}}), 200) << alice.body();
  alice.expect(is_type("welcome"), "welcome");
  // Joined through node 2 for a stream held by node 1.
  auto r = alice.post({{{"type", "join"}, {"room", "general"}, {"ref", 0}}}, token("alice"), port_of(1));
  ASSERT_EQ(r.status, 202) << r.body;
  alice.expect(has({{"type", "joined"}, {"ref", 0}}), "joined");
  // Each message through the next node (2, 3, 1, 2, ...): acks and bob's copies in post order.
  constexpr int kMessages = 18;
  for (int i = 1; i <= kMessages; ++i) {
    json::object m{{"type", "message"}, {"room", "general"}, {"id", "m-" + std::to_string(i)},
                   {"text", "through node " + std::to_string(i % kNodes + 1)}, {"ref", i}};
    auto posted = alice.post({m}, token("alice"), port_of(i % kNodes));
    ASSERT_EQ(posted.status, 202) << "message " << i << ": " << posted.body;
  }
  int64_t last = 0;
  for (int i = 1; i <= kMessages; ++i) {
    auto ack = alice.expect(has({{"type", "ack"}, {"ref", i}}), "ack " + std::to_string(i));
    EXPECT_GT(get_int(ack, "seq"), last) << "ack " << i << " out of order";
    last = get_int(ack, "seq");
  }
  std::vector<std::string> order;
  for (int i = 1; i <= kMessages; ++i) {
    auto m = bob->expect([](const json::object& o) { return o.at("type") == "message" && o.at("user") == "alice"; },
                         "alice's message");
    order.push_back(get_str(m, "id"));
  }
  for (int i = 1; i <= kMessages; ++i) EXPECT_EQ(order[static_cast<std::size_t>(i - 1)], "m-" + std::to_string(i));
  // Another user's token reaches no session of theirs through any node: nothing runs.
  auto stolen = alice.post({{{"type", "message"}, {"room", "general"}, {"id", "x"}, {"text", "x"}}}, token("mallory"), port_of(2));
  EXPECT_EQ(stolen.status, 202) << "another node cannot tell; the holder drops it";
  auto probe = alice.post({{{"type", "typing"}, {"room", "general"}, {"active", true}, {"ref", 99}}}, token("alice"), port_of(2));
  ASSERT_EQ(probe.status, 202);
  bob->expect(has({{"type", "typing"}, {"user", "alice"}}), "alice's typing after the stolen post");
  EXPECT_EQ(bob->count(has({{"type", "message"}, {"id", "x"}})), 0u) << bob->dump();
}

TEST_F(ClusterFallback, AStreamAndItsPostsThroughRoundRobinNginx) {
  start_cluster();
  auto bob = connect("bob", 0);
  join(*bob, "general");
  SseClient alice("alice/sse@lb");
  ASSERT_EQ(alice.open(port_of(kLb), {{"Authorization", "Bearer " + token("alice")}}), 200) << alice.body();
  alice.expect(is_type("welcome"), "welcome through nginx");
  ASSERT_EQ(alice.post({{{"type", "join"}, {"room", "general"}, {"ref", 0}}}, token("alice"), port_of(kLb)).status, 202);
  alice.expect(has({{"type", "joined"}, {"ref", 0}}), "joined");
  for (int i = 1; i <= 6; ++i) {
    json::object m{{"type", "message"}, {"room", "general"}, {"id", "lb-" + std::to_string(i)}, {"text", "hi"}, {"ref", i}};
    ASSERT_EQ(alice.post({m}, token("alice"), port_of(kLb)).status, 202);
    alice.expect(has({{"type", "ack"}, {"ref", i}}), "ack");
    bob->expect(has({{"type", "message"}, {"id", "lb-" + std::to_string(i)}}));
  }
  // bob's messages come down the stream through nginx unbuffered.
  send_message(*bob, "general", "to the stream", "b-1");
  alice.expect(has({{"type", "message"}, {"id", "b-1"}}), "bob's message through nginx");
}

}  // namespace
}  // namespace parley::test::cluster
