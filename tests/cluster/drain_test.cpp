// Graceful drain of one node under load: SIGTERM closes its connections with 1012 and it
// exits 0 within 10 s; its clients reconnect through nginx (to the other nodes), resend what
// was not acked with the same ids, and nothing is lost or doubled.
#include <csignal>

#include "cluster_test.hpp"

namespace parley::test::cluster {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class ClusterDrain : public ClusterTest {};

TEST_F(ClusterDrain, SigtermClosesWith1012AndClientsResumeThroughNginxLosingNothing) {
  constexpr int kBurst = 150;
  start_cluster();
  // Three senders on node1 (the one to drain), one on node2; watchers on node2 and node3.
  std::vector<std::unique_ptr<WsClient>> victims;
  std::vector<Outbox> out(4, Outbox{"drain", {}, {}});
  for (int i = 0; i < 3; ++i) {
    victims.push_back(connect("v" + std::to_string(i), 0));
    join(*victims.back(), "drain");
  }
  auto steady = connect("steady", 1);
  join(*steady, "drain");
  auto w2 = connect("w2", 1);
  auto w3 = connect("w3", 2);
  join(*w2, "drain");
  join(*w3, "drain");

  for (int i = 0; i < 3; ++i) out[i].post(*victims[i], kBurst, victims[i]->name());
  out[3].post(*steady, kBurst, "steady");
  // Drain as soon as acks start coming on node1: most of the burst is still in flight.
  victims[0]->expect(is_type("ack"), "first ack on node1", 20s);
  const auto t0 = Clock::now();
  node(0).signal(SIGTERM);
  expect_node_down(0);

  for (auto& v : victims) {
    CloseInfo ci = v->wait_closed(12s);
    EXPECT_TRUE(ci.closed) << v->name() << " still open 12 s after SIGTERM";
    EXPECT_TRUE(ci.close_frame) << v->name() << ": " << ci.describe();
    EXPECT_EQ(ci.code, 1012) << v->name() << ": " << ci.describe();
  }
  auto st = node(0).wait_exit(12s);
  ASSERT_TRUE(st.has_value()) << "node1 still running 12 s after SIGTERM";
  EXPECT_TRUE(st->ok()) << st->describe();
  EXPECT_LE(Clock::now() - t0, 10s) << "node1 took more than 10 s to drain";

  // Reconnect through nginx (node1 is gone, so the others), resend everything unacked.
  std::vector<std::map<std::string, std::int64_t>> first_acks;
  for (int i = 0; i < 3; ++i) first_acks.push_back(acks_received(*victims[i]));
  // The room's last seq once node1 is gone: what it stored, acked or not, is at or below it.
  const std::int64_t last_seq_at_drain = [&] {
    auto probe = connect("probe", 2);
    const json::object welcome = welcome_of(*probe);
    join(*probe, "drain");
    std::vector<json::object> all = all_messages(*probe, "drain");
    return all.empty() ? std::int64_t{0} : get_int(all.back(), "seq");
  }();
  std::vector<std::unique_ptr<WsClient>> again;
  for (int i = 0; i < 3; ++i) {
    out[i].collect(*victims[i]);
    again.push_back(connect("v" + std::to_string(i), kLb));
    bool member = false;
    const json::object welcome = welcome_of(*again.back());
    for (const auto& r : welcome.at("rooms").as_array())
      member = member || r.as_object().at("room") == "drain";
    EXPECT_TRUE(member) << "membership lost with the node";
    const std::vector<std::string> missing = out[i].unacked();
    for (const auto& id : missing) post_message(*again.back(), "drain", "resent", id);
    for (const auto& [id, seq] : expect_acks(*again.back(), missing, 60s)) out[i].acked[id] = seq;
  }
  // A resend of an id acked before the drain gets its original seq back.
  ASSERT_FALSE(acks_received(*victims[0]).empty());
  const auto [old_id, old_seq] = *acks_received(*victims[0]).begin();
  EXPECT_EQ(get_int(send_message(*again[0], "drain", "resent", old_id), "seq"), old_seq);

  out[3].acked = expect_acks(*steady, out[3].ids, 60s);
  std::vector<std::string> all_ids;
  for (const auto& o : out) all_ids.insert(all_ids.end(), o.ids.begin(), o.ids.end());
  // The watchers on the surviving nodes got every message live, once, in one gap-free order.
  for (WsClient* w : {w2.get(), w3.get()}) {
    const std::vector<std::string> missing = missing_messages(*w, all_ids, 10s);
    if (!missing.empty()) {
      // Tell which: acked by node1 before it closed, stored by node1 but acked only on the
      // resend (the original ack was lost with the connection), or stored only by the resend.
      int acked_before = 0, resend_deduped = 0, other = 0;
      std::string seqs;
      for (const auto& id : missing) {
        for (int i = 0; i < 3; ++i) {
          if (!out[i].acked.count(id)) continue;
          if (first_acks[i].count(id)) ++acked_before;
          else if (out[i].acked[id] <= last_seq_at_drain) ++resend_deduped;
          else ++other;
          if (seqs.size() < 200) seqs += " " + std::to_string(out[i].acked[id]);
        }
      }
      ADD_FAILURE() << w->name() << " never received " << missing.size() << " of " << all_ids.size()
                    << " messages live: " << acked_before << " acked by node1 before it closed, " << resend_deduped
                    << " stored by node1 while draining and acked only on the resend (same seq), " << other
                    << " others; seqs:" << seqs;
    }
    expect_live_order(*w, "drain", /*gap_free=*/true);
  }
  expect_history_is_exactly(*w3, "drain", {&out[0], &out[1], &out[2], &out[3]});
}

}  // namespace
}  // namespace parley::test::cluster
