// Operations in a cluster: /readyz names a stopped Redis ("bus") and a stopped PostgreSQL
// ("store") and recovers with them; the server API's changes made through one node reach
// the connections on every node (joined, left, messages in seq order, presence once); the
// bus-publish histogram and remote deliveries show in /metrics.
#include <boost/json/parse.hpp>
#include <thread>

#include "api_client.hpp"
#include "cluster_test.hpp"
#include "metrics_scrape.hpp"

namespace parley::test::cluster {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

const std::string kKey = "cluster-ops-key-61d0f3a9";

class ClusterOps : public ClusterTest {
protected:
  // Asks /readyz every 20 ms until `ok(status, body)` holds (a link going down or coming
  // back is noticed by the node on its own: there is nothing to wait on from outside).
  HttpResponse await_readyz(int node_index, const std::function<bool(const HttpResponse&)>& ok,
                            std::chrono::milliseconds timeout = 15s) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      HttpResponse r = http_get(node(node_index).port(), "/readyz");
      if (ok(r) || Clock::now() >= deadline) return r;
      std::this_thread::sleep_for(20ms);
    }
  }
  static bool ready(const HttpResponse& r) { return r.status == 200; }
  static std::function<bool(const HttpResponse&)> failed(const std::string& part) {
    return [part](const HttpResponse& r) {
      json::value v = r.json();
      return r.status == 503 && v.is_object() && v.as_object().contains("failed") &&
             v.at("failed").as_object().contains(part);
    };
  }
};

TEST_F(ClusterOps, ReadyzNamesAStoppedRedisOrPostgresAndRecovers) {
  // Servers of this test's own: stopping them leaves the suite's shared ones alone.
  PostgresServer pg(work_dir() / "own-pg");
  RedisServer redis_server(work_dir() / "own-redis");
  const std::string store = pg.create_database("ready");
  start_cluster({{"--store", store}, {"--redis", redis_server.url()}}, 1);

  HttpResponse r = await_readyz(0, ready);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json(), json::parse(R"({"status":"ready"})"));

  redis_server.stop();
  r = await_readyz(0, failed("bus"));
  ASSERT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(r.json().at("status"), "not_ready");
  EXPECT_FALSE(r.json().at("failed").as_object().contains("store")) << r.body;
  EXPECT_EQ(http_get(node(0).port(), "/healthz").status, 200) << "liveness does not depend on Redis";

  redis_server.start();
  r = await_readyz(0, ready);
  EXPECT_EQ(r.status, 200) << "not ready again after Redis came back: " << r.body;

  pg.stop();
  r = await_readyz(0, failed("store"));
  ASSERT_EQ(r.status, 503) << r.body;
  EXPECT_FALSE(r.json().at("failed").as_object().contains("bus")) << r.body;
  EXPECT_EQ(http_get(node(0).port(), "/healthz").status, 200);
}

TEST_F(ClusterOps, ApiChangesThroughOneNodeReachEveryNode) {
  start_cluster({{"--api-keys", kKey}});
  ApiClient api1(node(0).port(), kKey), api3(node(2).port(), kKey);
  api1.create_room("ops");
  auto bob = connect("bob", 0);
  join(*bob, "ops");
  auto alice2 = connect("alice", 1);
  auto alice3 = connect("alice", 2);

  // Added through node1: alice's connections on node2 and node3 get `joined`, bob sees her
  // come online once.
  api1.add_member("ops", "alice");
  for (WsClient* c : {alice2.get(), alice3.get()}) c->expect(has({{"type", "joined"}, {"room", "ops"}}), "joined", 10s);
  bob->expect(presence("ops", "alice", "online"), "alice online", 10s);

  // Published through node1 as bob and through node3 as the system: in seq order everywhere.
  ASSERT_TRUE(await_delivery(*bob, {alice2.get(), alice3.get()}, "ops"));
  json::object p1 = api1.publish("ops", {{"user", "bob"}, {"text", "from the backend"}, {"id", "c1"}});
  json::object p2 = api3.publish("ops", {{"system", true}, {"text", "notice"}, {"id", "c2"}});
  EXPECT_EQ(get_int(p2, "seq"), get_int(p1, "seq") + 1);
  for (WsClient* c : {bob.get(), alice2.get(), alice3.get()}) {
    json::object m1 = c->expect(message_with_id("c1"), "c1", 10s);
    json::object m2 = c->expect(message_with_id("c2"), "c2", 10s);
    EXPECT_EQ(m1.at("seq"), p1.at("seq"));
    EXPECT_EQ(m2.at("system"), true);
  }
  EXPECT_EQ(bob->count(presence("ops", "alice", "online")), 1u) << "presence announced by more than one node";
  ApiClient api2(node(1).port(), kKey);
  json::object online = body_of(api2.get("/api/v1/rooms/ops/online"));
  EXPECT_EQ(online.at("online"), json::parse(R"(["alice","bob"])"));

  // Removed through node3: her connections on node2 and node3 get `left` and may not send.
  ASSERT_EQ(api3.del("/api/v1/rooms/ops/members/alice").status, 200);
  for (WsClient* c : {alice2.get(), alice3.get()}) c->expect(has({{"type", "left"}, {"room", "ops"}}), "left", 10s);
  bob->expect(presence("ops", "alice", "offline"), "alice offline", 10s);
  const std::string id = post_message(*alice2, "ops", "still here?");
  alice2->expect(has({{"type", "error"}, {"code", "forbidden"}, {"id", id}}), "forbidden after removal");
}

TEST_F(ClusterOps, MetricsShowBusPublishesAndRemoteDeliveries) {
  start_cluster();
  auto alice = connect("alice", 0);
  auto bob = connect("bob", 1);
  join(*alice, "metrics");
  join(*bob, "metrics");
  ASSERT_TRUE(await_delivery(*alice, {bob.get()}, "metrics"));
  history(*bob, "metrics", std::nullopt, 1);  // bob's queue is empty: his counters are final
  const MetricsPage before1 = scrape_metrics(node(0).port());
  const MetricsPage before2 = scrape_metrics(node(1).port());

  constexpr int kMessages = 5;
  std::vector<std::string> ids;
  for (int i = 0; i < kMessages; ++i) ids.push_back(get_str(send_message(*alice, "metrics", "m"), "id"));
  for (const auto& id : ids) bob->expect(message_with_id(id), "message at bob", 10s);
  history(*bob, "metrics", std::nullopt, 1);

  const MetricsPage after1 = await_metric(node(0).port(), "parley_bus_publish_seconds_count", [&](double v) {
    return v >= before1.at("parley_bus_publish_seconds_count") + kMessages;
  });
  EXPECT_GE(after1.at("parley_bus_publish_seconds_count") - before1.at("parley_bus_publish_seconds_count"), kMessages)
      << "each message is published once on the bus";
  const MetricsPage after2 = scrape_metrics(node(1).port());
  EXPECT_EQ(after2.at("parley_messages_out_total") - before2.at("parley_messages_out_total"), kMessages);
  EXPECT_EQ(after2.at("parley_delivery_latency_seconds_count") - before2.at("parley_delivery_latency_seconds_count"),
            kMessages)
      << "node2 times deliveries of messages node1 received";
  EXPECT_EQ(after2.at("parley_messages_in_total") - before2.at("parley_messages_in_total"), 0);
}

// The overview through PostgreSQL: every node lists the rooms any node created, with their
// counts; each node counts its own connections.
TEST_F(ClusterOps, EveryNodeListsTheRoomsAndCountsItsOwnConnections) {
  start_cluster({{"--api-keys", kKey}});
  ApiClient api1(node(0).port(), kKey), api3(node(2).port(), kKey);
  api1.create_room("beta");
  api1.create_room("alpha");
  api1.add_member("alpha", "alice");
  api1.add_member("alpha", "bob");
  auto alice = connect("alice", 0);
  auto bob = connect("bob", 2);
  join(*alice, "alpha");
  send_message(*alice, "alpha", "one");
  send_message(*alice, "alpha", "two");
  HttpResponse r = api3.get("/api/v1/rooms?limit=1");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json(), json::parse(R"({"rooms":[{"room":"alpha","kind":"public","members":2,"last_seq":2,"messages_last_hour":2,"slow_mode_s":0}],"next":"alpha"})"));
  EXPECT_EQ(api3.get("/api/v1/rooms?after=alpha").json().at("rooms").at(0).at("room"), "beta");
  EXPECT_EQ(api1.get("/api/v1/connections").json().at("users"), json::parse(R"([{"user":"alice","connections":1}])"));
  EXPECT_EQ(api3.get("/api/v1/connections").json().at("users"), json::parse(R"([{"user":"bob","connections":1}])"));
}

}  // namespace
}  // namespace parley::test::cluster
