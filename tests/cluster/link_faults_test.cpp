// Faults on one link of the cluster, a LinkProxy between one node and Redis: what a node
// misses on the bus while its subscription is not yet (or no longer) in place comes from the
// store, so no stored message is lost to a slow or broken link.
#include "cluster_test.hpp"
#include "link_proxy.hpp"
#include "metrics_scrape.hpp"

namespace parley::test::cluster {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class LinkFaults : public ClusterTest {
protected:
  // node2 (index 1) reaches both Redis instances through proxies.
  void start_with_proxied_redis() {
    redis_links_[0] = std::make_unique<LinkProxy>(redis(0).port());
    redis_links_[1] = std::make_unique<LinkProxy>(redis(1).port());
    set_node_flags(1, {{"--redis", "redis://127.0.0.1:" + std::to_string(redis_links_[0]->port()) +
                                       ",redis://127.0.0.1:" + std::to_string(redis_links_[1]->port())}});
    start_cluster();
  }
  void stall_redis() {
    for (auto& l : redis_links_) l->stall();
  }
  void resume_redis() {
    for (auto& l : redis_links_) l->resume();
  }
  void drop_redis() {
    for (auto& l : redis_links_) l->drop();
  }
  double catchups(int node_index) {
    return scrape_metrics(node(node_index).port()).at("parley_bus_catchup_messages_total");
  }

  std::array<std::unique_ptr<LinkProxy>, 2> redis_links_;
};

TEST_F(LinkFaults, AMessagePublishedBeforeANodesSubscriptionTookEffectStillReachesIt) {
  start_with_proxied_redis();
  auto alice = connect("alice", 0);
  auto dave = connect("dave", 2);  // node3 follows the room: it proves Redis passed the message on
  join(*alice, "late");
  join(*dave, "late");
  ASSERT_TRUE(await_delivery(*alice, {dave.get()}, "late")) << "node3 never followed the room";
  {
    auto first = connect("carol", 0);
    join(*first, "late");
  }
  const double before = catchups(1);

  // node2 sends carol her welcome (last_seq included) while its SUBSCRIBE to the room waits
  // in the stalled link; the message after it is published before the subscription exists.
  stall_redis();
  auto carol = connect("carol", 1);
  json::object ack = send_message(*alice, "late", "sent before node2 subscribed");
  EXPECT_EQ(get_int(ack, "seq"),
            get_int(welcome_of(*carol).at("rooms").as_array().at(0).as_object(), "last_seq") + 1);
  dave->expect(message_with_id(get_str(ack, "id")), "the message on node3: Redis has published it", 10s);
  EXPECT_FALSE(carol->wait_for(message_with_id(get_str(ack, "id")), 0ms).has_value());

  resume_redis();
  carol->expect(message_with_id(get_str(ack, "id")), "the message published before the subscription", 10s);
  EXPECT_GE(catchups(1), before + 1);
  // And live delivery goes on after it, in order.
  json::object next = send_message(*alice, "late", "after the subscription");
  carol->expect(message_with_id(get_str(next, "id")), "the next message, live", 10s);
  expect_live_order(*carol, "late", /*gap_free=*/true, get_int(ack, "seq"));
}

TEST_F(LinkFaults, MessagesLostWithABrokenRedisLinkAreFetchedOnceItIsBack) {
  start_with_proxied_redis();
  auto alice = connect("alice", 0);
  auto bob = connect("bob", 1);
  auto dave = connect("dave", 2);
  for (WsClient* c : {alice.get(), bob.get(), dave.get()}) join(*c, "outage");
  ASSERT_TRUE(await_delivery(*alice, {bob.get(), dave.get()}, "outage")) << "the nodes never followed the room";
  const double before = catchups(1);

  // Redis writes the messages to node2's subscription; the stalled link holds them, and the
  // drop throws them away with the connection.
  stall_redis();
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(get_str(send_message(*alice, "outage", "during the outage"), "id"));
  for (const auto& id : ids) dave->expect(message_with_id(id), "published, on node3", 10s);
  drop_redis();
  resume_redis();

  // node2 reconnects, subscribes again and fetches what it missed: bob gets all five, in order.
  expect_messages(*bob, ids, 20s);
  EXPECT_GE(catchups(1), before + 5);
  expect_live_order(*bob, "outage", /*gap_free=*/true);
}

}  // namespace
}  // namespace parley::test::cluster
