// GET /metrics: the Prometheus page, and each counter moved by exactly its share of a scripted
// run (read before and after, compare the deltas): messages in and out, acks, joins,
// connections, errors by code, resumes, the delivery-latency and store histograms, queue
// bytes, dropped typing/presence and the close codes the server sent (1007, 1009, 1013).
#include <fstream>
#include <regex>
#include <set>

#include <boost/json/parse.hpp>

#include "parley_test.hpp"

namespace parley::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

const std::string kIn = "parley_messages_in_total";
const std::string kOut = "parley_messages_out_total";
const std::string kAcks = "parley_acks_total";
const std::string kJoins = "parley_joins_total";
const std::string kConns = "parley_connections";
const std::string kOpened = "parley_connections_opened_total";
const std::string kResumes = "parley_resumes_total";
const std::string kQueue = "parley_outbound_queue_bytes";
const std::string kDropped = "parley_ephemeral_dropped_total";
const std::string kSlow = "parley_slow_consumer_closes_total";
const std::string kLatencyCount = "parley_delivery_latency_seconds_count";
const std::string kBatchCount = "parley_store_batch_size_count";
const std::string kBatchSum = "parley_store_batch_size_sum";
const std::string kCommitCount = "parley_store_commit_seconds_count";
const std::string kBusCount = "parley_bus_publish_seconds_count";

std::string error_series(const std::string& code) { return series("parley_errors_total", "code", code); }
std::string close_series(const std::string& code) { return series("parley_closes_total", "code", code); }

double delta(const MetricsPage& before, const MetricsPage& after, const std::string& s) { return after.at(s) - before.at(s); }

class Metrics : public ParleyTest {
protected:
  // A request with a reply, answered after every frame queued before it has been written:
  // the connection writes one frame at a time, in order.
  static void round_trip(WsClient& c, std::string_view room) { history(c, room, std::nullopt, 1); }
};

TEST_F(Metrics, PageIsPrometheusTextWithEveryFamily) {
  start_server();
  HttpResponse r = http_get(port(), "/metrics");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  const std::vector<std::pair<std::string, std::string>> families = {
      {"parley_connections", "gauge"},
      {"parley_connections_opened_total", "counter"},
      {"parley_joins_total", "counter"},
      {"parley_messages_in_total", "counter"},
      {"parley_messages_out_total", "counter"},
      {"parley_acks_total", "counter"},
      {"parley_resumes_total", "counter"},
      {"parley_delivery_latency_seconds", "histogram"},
      {"parley_outbound_queue_bytes", "gauge"},
      {"parley_ephemeral_dropped_total", "counter"},
      {"parley_slow_consumer_closes_total", "counter"},
      {"parley_errors_total", "counter"},
      {"parley_closes_total", "counter"},
      {"parley_store_batch_size", "histogram"},
      {"parley_store_commit_seconds", "histogram"},
      {"parley_bus_publish_seconds", "histogram"}};
  for (const auto& [name, type] : families) {
    EXPECT_NE(r.body.find("\n# TYPE " + name + " " + type + "\n"), std::string::npos) << name << " " << type;
    EXPECT_NE(r.body.find("# HELP " + name + " "), std::string::npos) << name;
  }
  MetricsPage page = scrape_metrics(port());
  // Every error code and close code is a series from the start (dashboards see zeros).
  for (const char* code : {"bad_request", "forbidden", "too_large", "rate_limited", "limit_exceeded", "unavailable",
                           "unauthorized"})
    EXPECT_TRUE(page.has(error_series(code))) << code;
  for (const char* code : {"1008", "1009", "1011", "1012", "1013", "4001"}) EXPECT_TRUE(page.has(close_series(code)));
  // A histogram's buckets are cumulative, end at +Inf, and +Inf equals the count.
  EXPECT_EQ(page.at("parley_delivery_latency_seconds_bucket{le=\"0.0001\"}"), 0);
  EXPECT_EQ(page.at("parley_delivery_latency_seconds_bucket{le=\"+Inf\"}"), page.at(kLatencyCount));
  EXPECT_EQ(http_request(port(), "POST", "/metrics").status, 405);
}

TEST_F(Metrics, DashboardQueriesOnlyServedMetrics) {
  // deploy/grafana-dashboard.json: every parley_* name in its queries is a series of the page.
  start_server();
  const MetricsPage page = scrape_metrics(port());
  std::set<std::string> served;
  for (const auto& [s, v] : page.samples) served.insert(s.substr(0, s.find('{')));
  const std::string dashboard = read_file(std::filesystem::path(PARLEY_SOURCE_DIR) / "deploy" / "grafana-dashboard.json");
  ASSERT_FALSE(dashboard.empty());
  const json::value d = json::parse(dashboard);
  std::set<std::string> queried;
  const std::regex name("parley_[a-z_]+");
  for (const auto& panel : d.at("panels").as_array()) {
    if (!panel.as_object().contains("targets")) continue;
    for (const auto& t : panel.at("targets").as_array()) {
      const std::string expr(t.at("expr").as_string());
      for (std::sregex_iterator it(expr.begin(), expr.end(), name), end; it != end; ++it) queried.insert(it->str());
    }
  }
  EXPECT_GE(queried.size(), 10u);
  for (const auto& q : queried) EXPECT_TRUE(served.count(q)) << "the dashboard queries " << q << ", which /metrics lacks";
}

TEST_F(Metrics, ScriptedRunMovesEachCounterByItsShare) {
  start_server({{"--rate-per-sec", "1000"}, {"--rate-burst", "1000"}});
  constexpr int kMembers = 3, kMessages = 7;
  const MetricsPage before = scrape_metrics(port());

  std::vector<std::unique_ptr<WsClient>> members;
  for (const char* user : {"alice", "bob", "carol"}) {
    members.push_back(connect(user));
    join(*members.back(), "general");
  }
  std::vector<std::string> ids;
  for (int i = 0; i < kMessages; ++i) {
    ids.push_back(new_id());
    send_message(*members[0], "general", "m" + std::to_string(i), ids.back());
  }
  for (auto& m : members) {
    for (const auto& id : ids) m->expect(message_with_id(id), "message " + id);
    round_trip(*m, "general");
  }
  // Errors by code: invalid JSON (bad_request) and a room bob is not in (forbidden).
  members[1]->send_text("{not json");
  members[1]->expect(error_with("bad_request"));
  members[1]->send_json({{"type", "history"}, {"room", "secret"}});
  members[1]->expect(error_with("forbidden"));
  // Two resumes.
  sync(*members[2], "general", 0);
  sync(*members[2], "general", 3);

  const MetricsPage after = scrape_metrics(port());
  EXPECT_EQ(delta(before, after, kIn), kMessages);
  EXPECT_EQ(delta(before, after, kOut), kMessages * kMembers) << "one per message per member connection";
  EXPECT_EQ(delta(before, after, kLatencyCount), kMessages * kMembers) << "one latency sample per delivery";
  EXPECT_EQ(delta(before, after, kAcks), kMessages);
  EXPECT_EQ(delta(before, after, kJoins), kMembers);
  EXPECT_EQ(delta(before, after, kConns), kMembers);
  EXPECT_EQ(delta(before, after, kOpened), kMembers);
  EXPECT_EQ(delta(before, after, error_series("bad_request")), 1);
  EXPECT_EQ(delta(before, after, error_series("forbidden")), 1);
  EXPECT_EQ(delta(before, after, error_series("rate_limited")), 0);
  EXPECT_EQ(delta(before, after, kResumes), 2);
  // Every write went through a group commit: the joins and the appends, nothing else.
  EXPECT_EQ(delta(before, after, kBatchSum), kMembers + kMessages);
  EXPECT_GE(delta(before, after, kBatchCount), 1);
  EXPECT_EQ(delta(before, after, kCommitCount), delta(before, after, kBatchCount));
  EXPECT_EQ(delta(before, after, kBusCount), 0) << "no Redis on a single node";

  // Closing the connections takes them off the gauge; their queues were empty.
  for (auto& m : members) m->close();
  MetricsPage closed = await_metric(port(), kConns, [&](double v) { return v == before.at(kConns); });
  EXPECT_EQ(closed.at(kConns), before.at(kConns));
  EXPECT_EQ(closed.at(kQueue), 0);
}

TEST_F(Metrics, ProtocolViolationClosesAreCountedByCode) {
  start_server({{"--max-frame-bytes", "1024"}});
  const MetricsPage before = scrape_metrics(port());

  // Beast fails the connection itself (close frame, then the TCP teardown): the read that
  // reports the code ends once the client has closed its side too.
  RawSocket utf8(port());
  ASSERT_EQ(utf8.upgrade("/ws?token=" + token("alice")), 101);
  utf8.send_frame(0x1, "{\"type\":\"join\",\"room\":\"\xC3\x28\"}");
  EXPECT_EQ(utf8.read_until_close(5s).close_code(), 1007);
  utf8.close();

  RawSocket big(port());
  ASSERT_EQ(big.upgrade("/ws?token=" + token("bob")), 101);
  big.send_frame(0x1, std::string(2000, 'x'));
  EXPECT_EQ(big.read_until_close(5s).close_code(), 1009);
  big.close();

  await_metric(port(), close_series("1007"), [&](double v) { return v > before.at(close_series("1007")); });
  MetricsPage after = await_metric(port(), close_series("1009"), [&](double v) { return v > before.at(close_series("1009")); });
  EXPECT_EQ(delta(before, after, close_series("1007")), 1);
  EXPECT_EQ(delta(before, after, close_series("1009")), 1);
  EXPECT_EQ(delta(before, after, close_series("1013")), 0);
}

// The most a TCP send buffer can grow to (tcp_wmem max), 4 MiB if unknown.
std::size_t kernel_send_buffer_max() {
  std::ifstream in("/proc/sys/net/ipv4/tcp_wmem");
  std::size_t lo = 0, def = 0, hi = 0;
  if (in >> lo >> def >> hi && hi > 0) return hi;
  return 4u << 20;
}

TEST_F(Metrics, SlowConsumerQueueDropsAndCloseAreCounted) {
  constexpr std::size_t kSoft = 65536, kHard = 1u << 20, kChars = 50'000;
  start_server({{"--queue-soft-bytes", std::to_string(kSoft)},
                {"--queue-hard-bytes", std::to_string(kHard)},
                {"--max-text-chars", "60000"},
                {"--max-frame-bytes", "131072"},
                {"--rate-per-sec", "100000"},
                {"--rate-burst", "100000"}});
  {
    auto c = connect("carol");
    join(*c, "general");
    c->close();
  }
  auto bob = connect("bob");
  join(*bob, "general");
  auto dave = connect("dave");
  join(*dave, "general");
  // carol: upgraded, then reading nothing through a small window.
  RawSocket carol(port(), 4096);
  ASSERT_EQ(carol.upgrade("/ws?token=" + token("carol")), 101);
  dave->expect(presence("general", "carol", "online"), "carol online");
  const MetricsPage before = scrape_metrics(port());

  // Flood until carol's server-side queue is over the soft cap, as the gauge shows. After
  // each batch bob (who has his acks) and dave (after a round trip) have empty queues: the
  // gauge is carol's backlog alone.
  const std::string text(kChars, 'f');
  auto flood_batch = [&] {
    std::vector<std::string> ids;
    for (int i = 0; i < 4; ++i) ids.push_back(post_message(*bob, "general", text));
    for (auto& id : ids) bob->expect(has({{"type", "ack"}, {"id", id}}), "flood ack", 20s);
    for (auto& id : ids) dave->expect(message_with_id(id), "flood message at dave", 20s);
    round_trip(*dave, "general");
  };
  const std::size_t cap = kernel_send_buffer_max() + 4 * kHard;
  std::size_t sent = 0;
  MetricsPage page = before;
  while (page.at(kQueue) <= static_cast<double>(kSoft) && sent < cap) {
    flood_batch();
    sent += 4 * kChars;
    page = scrape_metrics(port());
  }
  ASSERT_GT(page.at(kQueue), static_cast<double>(kSoft)) << "the queue gauge never showed carol's backlog";

  // Typing to a member over the soft cap is dropped (dave, who reads, still gets it).
  bob->send_json({{"type", "typing"}, {"room", "general"}, {"active", true}});
  dave->expect(typing("general", "bob", true), "typing at dave");
  page = await_metric(port(), kDropped, [&](double v) { return v > before.at(kDropped); });
  EXPECT_EQ(delta(before, page, kDropped), 1);

  // On to the hard cap: carol is closed with 1013.
  while (page.at(kSlow) == before.at(kSlow) && sent < cap + 4 * kHard) {
    flood_batch();
    sent += 4 * kChars;
    page = scrape_metrics(port());
  }
  EXPECT_EQ(delta(before, page, kSlow), 1) << "carol was never cut off";
  EXPECT_EQ(delta(before, page, close_series("1013")), 1);
  dave->expect(presence("general", "carol", "offline"), "carol offline after the cut", 10s);
  // Her queue was let go with her (bob's and dave's drain on their own).
  page = await_metric(port(), kQueue, [](double v) { return v == 0; }, 10s);
  EXPECT_EQ(page.at(kQueue), 0);
}

}  // namespace
}  // namespace parley::test
