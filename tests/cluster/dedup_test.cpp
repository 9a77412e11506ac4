// Exactly once across nodes: a message id already stored, resent through another node (the
// client reconnected elsewhere), gets the original ack and is neither stored nor broadcast
// again — also when the two sends race on two nodes.
#include <thread>

#include "cluster_test.hpp"

namespace parley::test::cluster {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class ClusterDedup : public ClusterTest {};

TEST_F(ClusterDedup, ResendThroughAnotherNodeReturnsTheOriginalAck) {
  start_cluster();
  auto alice1 = connect("alice", 0);
  auto bob = connect("bob", 2);
  join(*alice1, "dup");
  join(*bob, "dup");
  const std::string id = new_id();
  json::object first = send_message(*alice1, "dup", "once", id);
  bob->expect(message_with_id(id), "the original", 10s);
  alice1->close(1000);

  // alice reconnects on node2 and, not knowing the ack arrived, resends it.
  auto alice2 = connect("alice", 1);
  json::object again = send_message(*alice2, "dup", "once (resent)", id);
  EXPECT_EQ(get_int(again, "seq"), get_int(first, "seq"));
  EXPECT_EQ(get_int(again, "ts"), get_int(first, "ts"));
  EXPECT_EQ(get_str(again, "room"), "dup");
  // And once more through nginx.
  auto alice3 = connect("alice", kLb);
  EXPECT_EQ(get_int(send_message(*alice3, "dup", "once (again)", id), "seq"), get_int(first, "seq"));

  // A later message is delivered after any duplicate broadcast would have been.
  json::object next = send_message(*alice2, "dup", "next");
  EXPECT_EQ(get_int(next, "seq"), get_int(first, "seq") + 1) << "the resends took a seq";
  bob->expect(message_with_id(get_str(next, "id")), "the next message", 10s);
  EXPECT_EQ(bob->count(message_with_id(id)), 1u) << "the resend was broadcast again:\n" << bob->dump();
  EXPECT_EQ(alice2->count(message_with_id(id)), 0u) << "the resend was broadcast to the sender";

  std::vector<json::object> stored = all_messages(*bob, "dup");
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(get_str(stored[0], "id"), id);
  EXPECT_EQ(get_str(stored[0], "text"), "once") << "the resend's text replaced the original";
}

TEST_F(ClusterDedup, SameIdRacingOnTwoNodesIsStoredOnce) {
  start_cluster();
  auto watcher = connect("watcher", 2);
  join(*watcher, "dup");
  auto a = connect("ivan", 0);
  auto b = connect("ivan", 1);
  join(*a, "dup");
  b->expect(has({{"type", "joined"}, {"room", "dup"}}), "joined on the other device", 10s);
  constexpr int kRounds = 20;
  std::vector<std::string> ids;
  for (int i = 0; i < kRounds; ++i) ids.push_back(new_id());
  // Both connections send the same ids at the same time, one through node1, one through node2.
  {
    std::thread ta([&] {
      for (const auto& id : ids) post_message(*a, "dup", "from node1", id);
    });
    std::thread tb([&] {
      for (const auto& id : ids) post_message(*b, "dup", "from node2", id);
    });
    ta.join();
    tb.join();
  }
  auto acks_a = expect_acks(*a, ids, 30s);
  auto acks_b = expect_acks(*b, ids, 30s);
  for (const auto& id : ids) EXPECT_EQ(acks_a[id], acks_b[id]) << "two seqs for one id " << id;

  json::object marker = send_message(*a, "dup", "marker");
  watcher->expect(message_with_id(get_str(marker, "id")), "marker", 10s);
  for (const auto& id : ids) EXPECT_EQ(watcher->count(message_with_id(id)), 1u) << "id " << id << " broadcast twice or never";
  expect_live_order(*watcher, "dup", /*gap_free=*/true);

  std::vector<json::object> stored = all_messages(*watcher, "dup");
  EXPECT_EQ(stored.size(), static_cast<std::size_t>(kRounds + 1)) << "a racing duplicate was stored";
  for (std::size_t n = 0; n < stored.size(); ++n) EXPECT_EQ(get_int(stored[n], "seq"), static_cast<std::int64_t>(n + 1));
}

}  // namespace
}  // namespace parley::test::cluster
