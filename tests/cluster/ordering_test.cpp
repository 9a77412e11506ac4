// One gap-free order per room across the cluster: concurrent senders on all three nodes,
// every member connection (on every node) receives the same strictly increasing sequence
// 1..n, acks agree with it, each sender's messages keep its sending order, and sync from
// any node returns the same history.
#include <thread>

#include "cluster_test.hpp"

namespace parley::test::cluster {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class ClusterOrdering : public ClusterTest {};

TEST_F(ClusterOrdering, ConcurrentSendersOnAllNodesSeeOneGapFreeOrder) {
  constexpr int kPerNode = 2, kPerSender = 40;
  constexpr int kTotal = kNodes * kPerNode * kPerSender;
  start_cluster();
  std::vector<std::unique_ptr<WsClient>> senders, observers;
  std::vector<Outbox> out(kNodes * kPerNode);
  for (int n = 0; n < kNodes; ++n) {
    for (int k = 0; k < kPerNode; ++k) {
      senders.push_back(connect("s" + std::to_string(n) + "_" + std::to_string(k), n));
      join(*senders.back(), "race");
    }
    observers.push_back(connect("watch" + std::to_string(n), n));
    join(*observers.back(), "race");
  }
  for (auto& o : out) o.room = "race";
  // Every sender pipelines its messages from its own thread, all at once.
  {
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < senders.size(); ++i)
      threads.emplace_back([&, i] { out[i].post(*senders[i], kPerSender, senders[i]->name()); });
    for (auto& t : threads) t.join();
  }
  for (std::size_t i = 0; i < senders.size(); ++i) {
    out[i].acked = expect_acks(*senders[i], out[i].ids, 60s);
    std::int64_t prev = 0;
    for (const auto& id : out[i].ids) {
      EXPECT_GT(out[i].acked[id], prev) << senders[i]->name() << "'s messages were sequenced out of sending order";
      prev = out[i].acked[id];
    }
  }
  std::vector<std::string> all_ids;
  for (const auto& o : out) all_ids.insert(all_ids.end(), o.ids.begin(), o.ids.end());
  ASSERT_EQ(all_ids.size(), static_cast<std::size_t>(kTotal));

  // Every connection on every node gets all of them, in one gap-free order.
  std::vector<WsClient*> everyone;
  for (auto& c : senders) everyone.push_back(c.get());
  for (auto& c : observers) everyone.push_back(c.get());
  for (WsClient* c : everyone) expect_messages(*c, all_ids, 30s);

  auto order_of = [](const WsClient& c) {
    std::vector<std::string> ids;
    for (const json::object& m : messages_received(c, "race")) ids.push_back(get_str(m, "id"));
    return ids;
  };
  const std::vector<std::string> reference = order_of(*observers[0]);
  for (WsClient* c : everyone) {
    expect_live_order(*c, "race", /*gap_free=*/true);
    EXPECT_EQ(order_of(*c), reference) << c->name() << " saw another order than " << observers[0]->name();
  }
  std::map<std::string, std::int64_t> acked;
  for (const auto& o : out) acked.insert(o.acked.begin(), o.acked.end());
  for (std::size_t n = 0; n < reference.size(); ++n)
    EXPECT_EQ(acked[reference[n]], static_cast<std::int64_t>(n + 1)) << "ack seq differs from broadcast seq";

  // Stored history, read through each node, is that same order.
  std::vector<const Outbox*> boxes;
  for (const auto& o : out) boxes.push_back(&o);
  for (auto& c : observers) {
    expect_history_is_exactly(*c, "race", boxes);
    std::vector<json::object> stored = all_messages(*c, "race");
    ASSERT_EQ(stored.size(), reference.size());
    for (std::size_t n = 0; n < stored.size(); ++n) EXPECT_EQ(get_str(stored[n], "id"), reference[n]);
  }
}

TEST_F(ClusterOrdering, RoomsAreSequencedIndependently) {
  start_cluster();
  auto a = connect("alice", 0);
  auto b = connect("bob", 1);
  auto c = connect("carol", 2);
  for (WsClient* x : {a.get(), b.get(), c.get()})
    for (const char* room : {"red", "green", "blue"}) join(*x, room);
  constexpr int kPer = 30;
  std::vector<Outbox> out;
  for (const char* room : {"red", "green", "blue"})
    for (int s = 0; s < 3; ++s) out.push_back(Outbox{room, {}, {}});
  {
    std::vector<std::thread> threads;
    WsClient* who[3] = {a.get(), b.get(), c.get()};
    for (int s = 0; s < 3; ++s)
      threads.emplace_back([&, s] {
        for (int k = 0; k < kPer; ++k)
          for (int r = 0; r < 3; ++r) out[r * 3 + s].post(*who[s], 1, who[s]->name());
      });
    for (auto& t : threads) t.join();
  }
  WsClient* who[3] = {a.get(), b.get(), c.get()};
  for (int r = 0; r < 3; ++r)
    for (int s = 0; s < 3; ++s) out[r * 3 + s].acked = expect_acks(*who[s], out[r * 3 + s].ids, 60s);
  for (int r = 0; r < 3; ++r) {
    const std::string room = out[r * 3].room;
    std::vector<std::string> ids;
    for (int s = 0; s < 3; ++s) ids.insert(ids.end(), out[r * 3 + s].ids.begin(), out[r * 3 + s].ids.end());
    for (WsClient* x : who) {
      expect_messages(*x, ids, 30s);
      expect_live_order(*x, room, /*gap_free=*/true);
    }
    expect_history_is_exactly(*b, room, {&out[r * 3], &out[r * 3 + 1], &out[r * 3 + 2]});
  }
}

}  // namespace
}  // namespace parley::test::cluster
