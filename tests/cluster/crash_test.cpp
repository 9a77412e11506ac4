// kill -9 of one node under load: nothing acked is lost (it was committed to PostgreSQL
// before the ack), its users go offline for the members on the other nodes within about two
// heartbeats, and its clients resume through nginx with their unacked messages exactly once.
#include <csignal>

#include "cluster_test.hpp"

namespace parley::test::cluster {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class ClusterCrash : public ClusterTest {};

TEST_F(ClusterCrash, Kill9LosesNothingAckedAndItsUsersGoOffline) {
  constexpr int kBurst = 150;
  start_cluster();
  auto v1 = connect("crash_a", 0);
  auto v2 = connect("crash_b", 0);  // idle, only on node1
  auto survivor = connect("survivor", 2);
  auto w2 = connect("w2", 1);
  auto w3 = connect("w3", 2);
  for (WsClient* c : {v1.get(), v2.get(), survivor.get(), w2.get(), w3.get()}) join(*c, "crash");
  // Everyone knows everyone is online before the crash.
  for (WsClient* w : {w2.get(), w3.get()})
    for (const char* u : {"crash_a", "crash_b"}) {
      const bool online_at_join = w->count(presence("crash", u, "online")) > 0 ||
                                  [&] {
                                    for (const auto& r : w->received())
                                      if (has({{"type", "joined"}, {"room", "crash"}})(r.obj))
                                        for (const auto& o : r.obj.at("online").as_array())
                                          if (o == u) return true;
                                    return false;
                                  }();
      EXPECT_TRUE(online_at_join) << w->name() << " does not know " << u << " is online";
    }

  Outbox a{"crash", {}, {}}, s{"crash", {}, {}};
  a.post(*v1, kBurst, "crash_a");
  s.post(*survivor, kBurst, "survivor");
  v1->expect(is_type("ack"), "first ack on node1", 20s);
  const auto t0 = Clock::now();
  ExitStatus st = node(0).kill9();
  expect_node_down(0);
  EXPECT_EQ(st.signal, SIGKILL);

  // Its users go offline for the others, within ~2 heartbeats.
  const auto limit = std::chrono::milliseconds(2 * kHeartbeatMs + 2500);
  const auto deadline = t0 + limit + 3s;
  bool a_offline = true;
  for (WsClient* w : {w2.get(), w3.get()})
    for (const char* u : {"crash_a", "crash_b"}) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      auto r = w->wait_for(presence("crash", u, "offline"), std::max(left, 0ms));
      if (!r) {
        ADD_FAILURE() << w->name() << " never saw " << u << " go offline after node1 died (node1 had run for "
                      << std::chrono::duration_cast<std::chrono::milliseconds>(t0 - started_at(0)).count() << " ms)";
        if (std::string(u) == "crash_a") a_offline = false;
        continue;
      }
      const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(r->at - t0);
      EXPECT_LE(took, limit) << u << " went offline for " << w->name() << " only after " << took.count() << " ms";
    }
  v1->wait_closed(5s);
  v2->wait_closed(5s);

  // crash_a reconnects through nginx and resends what it has no ack for.
  a.collect(*v1);
  ASSERT_FALSE(a.acked.empty());
  auto again = connect("crash_a", kLb);
  if (a_offline) w2->expect(presence("crash", "crash_a", "online"), "crash_a back online", 10s);
  const std::vector<std::string> missing = a.unacked();
  for (const auto& id : missing) post_message(*again, "crash", "resent", id);
  for (const auto& [id, seq] : expect_acks(*again, missing, 60s)) a.acked[id] = seq;
  s.acked = expect_acks(*survivor, s.ids, 60s);

  // Every acked message is stored once at its seq, nothing else, no gap.
  expect_history_is_exactly(*w2, "crash", {&a, &s});
  // Live deliveries to the watchers were never doubled or reordered. (Messages node1 stored
  // but had not published when it died reach them through sync: the bus is at most once.)
  for (WsClient* w : {w2.get(), w3.get()}) expect_live_order(*w, "crash", /*gap_free=*/false);
}

TEST_F(ClusterCrash, UsersOfANodeKilledRightAfterItStartedGoOffline) {
  // A node that crashes moments after it started (a crash loop, a bad deploy) still had
  // users; they must not stay online forever.
  start_cluster();
  auto watcher = connect("watcher", 1);
  join(*watcher, "young");
  const int young = add_node();
  auto early = connect("early_bird", young);
  join(*early, "young");
  watcher->expect(presence("young", "early_bird", "online"), "early_bird online on the new node", 10s);
  const auto t0 = Clock::now();
  node(young).kill9();
  expect_node_down(young);
  auto r = watcher->wait_for(presence("young", "early_bird", "offline"), std::chrono::milliseconds(3 * kHeartbeatMs + 5000));
  ASSERT_TRUE(r.has_value()) << "early_bird is still online " << 3 * kHeartbeatMs + 5000
                             << " ms after its node was killed (it had run for "
                             << std::chrono::duration_cast<std::chrono::milliseconds>(t0 - started_at(young)).count()
                             << " ms)";
  EXPECT_LE(r->at - t0, std::chrono::milliseconds(2 * kHeartbeatMs + 2500));
  auto newcomer = connect("newcomer", 2);
  json::object j = join(*newcomer, "young");
  EXPECT_EQ(j.at("online").as_array().size(), 1u) << "online list still holds the dead node's user: " << to_string(j);
}

}  // namespace
}  // namespace parley::test::cluster
