// Faults on one link of the cluster, a LinkProxy between one node and Redis or PostgreSQL:
// what a node misses on the bus while its subscription is not yet (or no longer) in place
// comes from the store, so no stored message is lost to a slow or broken link; a store that
// falls behind refuses new messages with a hint when to send them again, and takes them then.
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
  // node1 reaches PostgreSQL through `link` (with `extra` flags); alice on node1 and bob on
  // node2 are members of `room`.
  std::pair<std::unique_ptr<WsClient>, std::unique_ptr<WsClient>> start_with_proxied_store(LinkProxy& link,
                                                                                          const std::string& room,
                                                                                          NodeFlags extra = {}) {
    extra["--store"] = "postgres://postgres@127.0.0.1:" + std::to_string(link.port()) + "/" + db_name();
    set_node_flags(0, std::move(extra));
    start_cluster();
    auto alice = connect("alice", 0);
    auto bob = connect("bob", 1);
    join(*alice, room);
    join(*bob, room);
    return {std::move(alice), std::move(bob)};
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

TEST_F(LinkFaults, AStoreThatFallsBehindRefusesMessagesWithAHintAndTakesThemLater) {
  // node1 reaches PostgreSQL through a proxy; it refuses appends once its writer is 300 ms behind.
  LinkProxy pg_link(pg().port());
  auto [alice, bob] =
      start_with_proxied_store(pg_link, "busy", {{"--store-backlog-ms", "300"}, {"--store-connections", "2"}});

  // PostgreSQL stops answering node1: its writer waits, and what alice sends queues behind it,
  // until a message finds the queue more than 300 ms old and is refused at once.
  pg_link.stall();
  std::vector<std::string> queued;
  std::optional<json::object> refused;
  for (int i = 0; i < 100 && !refused; ++i) {
    const std::string id = new_id();
    post_message(*alice, "busy", "while the store is behind #" + std::to_string(i), id);
    if (auto e = alice->wait_for(has({{"type", "error"}, {"id", id}}), 100ms)) {
      refused = e->obj;
    } else {
      queued.push_back(id);
    }
  }
  ASSERT_TRUE(refused.has_value()) << "no message was refused while the store was stalled";
  EXPECT_EQ(get_str(*refused, "code"), "unavailable");
  EXPECT_GE(get_int(*refused, "retry_after_ms"), 100);
  EXPECT_FALSE(queued.empty());

  // The store answers again: everything queued is acked, and the refused message, sent again
  // with its id, is stored once like the others.
  pg_link.resume();
  auto acks = expect_acks(*alice, queued, 30s);
  const std::string again = get_str(*refused, "id");
  post_message(*alice, "busy", "sent again", again);
  acks.merge(expect_acks(*alice, {again}, 30s));
  std::vector<std::string> all = queued;
  all.push_back(again);
  expect_messages(*bob, all, 30s);
  json::object h = sync(*bob, "busy", 0, 200);
  std::vector<std::int64_t> seqs = seqs_of(h);
  ASSERT_EQ(seqs.size(), all.size()) << "each message stored exactly once";
  for (std::size_t k = 0; k < seqs.size(); ++k) EXPECT_EQ(seqs[k], static_cast<std::int64_t>(k + 1));
}

TEST_F(LinkFaults, WritesCutOffFromPostgresMidBatchAreStoredOnceAfterTheReconnect) {
  LinkProxy pg_link(pg().port());
  auto [alice, bob] = start_with_proxied_store(pg_link, "cut");
  // A batch on its way to PostgreSQL (or its COMMIT) when the link drops: node1 cannot know
  // whether it committed, reconnects and runs it again; (user, id) makes that idempotent.
  pg_link.stall();
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) ids.push_back(post_message(*alice, "cut", "cut off #" + std::to_string(i)));
  pg_link.drop();
  pg_link.resume();
  expect_acks(*alice, ids, 30s);
  expect_messages(*bob, ids, 30s);
  std::vector<std::int64_t> seqs = seqs_of(sync(*bob, "cut", 0, 200));
  ASSERT_EQ(seqs.size(), ids.size()) << "each message stored exactly once";
  EXPECT_GE(pg_link.accepted(), 5) << "node1 reconnected";
}

}  // namespace
}  // namespace parley::test::cluster
