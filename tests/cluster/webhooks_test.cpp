// Webhooks in a cluster: three nodes share the outbox in PostgreSQL, and each endpoint's lease
// lets one of them send at a time, so a receiver counting by event id sees every event once,
// not once per node, whichever node took the change in.
#include "cluster_test.hpp"
#include "conversations.hpp"
#include "metrics_scrape.hpp"
#include "webhook_receiver.hpp"

#include <map>

namespace parley::test::cluster {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr std::string_view kHookSecret = "cluster-webhooks-signing-secret";

class Webhooks : public ClusterTest {
protected:
  WebhookReceiver receiver;
};

TEST_F(Webhooks, EveryEventIsDeliveredOnceFromThreeNodes) {
  start_cluster({{"--webhooks", "app=" + receiver.url() + " message.created member.joined"},
                 {"--webhook-secret", std::string(kHookSecret)},
                 {"--webhook-poll-ms", "20"}});
  std::vector<std::unique_ptr<WsClient>> users;
  for (int n = 0; n < 3; ++n) {
    users.push_back(connect("user" + std::to_string(n), n));
    join(*users.back(), "general");
  }
  constexpr int kPerNode = 15;
  std::map<std::string, int> sent;  // text -> node
  for (int i = 0; i < kPerNode; ++i) {
    for (int n = 0; n < 3; ++n) {
      const std::string text = "n" + std::to_string(n) + "-" + std::to_string(i);
      send_message(*users[static_cast<std::size_t>(n)], "general", text);
      sent[text] = n;
    }
  }
  const std::size_t events = 3 * kPerNode + 3;  // the messages and three joins
  auto got = receiver.delivered(events, 30s);
  // Every node's sender has nothing left to send: a second delivery would have happened by now.
  for (int n = 0; n < 3; ++n) await_metric(port_of(n), "parley_webhook_pending", [](double v) { return v == 0; }, 10s);
  auto all = receiver.requests();
  std::map<std::string, int> by_id;
  std::map<std::string, int> texts;
  for (auto& r : all) {
    EXPECT_EQ(r.header("webhook-signature"), expected_signature(kHookSecret, r));
    ++by_id[r.header("webhook-id")];
    auto e = r.event();
    if (e.at("type") == "message.created") ++texts[std::string(e.at("message").at("text").as_string())];
  }
  EXPECT_EQ(all.size(), events) << "no event twice, none lost";
  EXPECT_EQ(by_id.size(), events);
  for (auto& [id, n] : by_id) EXPECT_EQ(n, 1) << id;
  EXPECT_EQ(texts.size(), sent.size());
  for (auto& [text, node] : sent) EXPECT_EQ(texts[text], 1) << text << " through node " << node + 1;
  double attempts = 0;
  for (int n = 0; n < 3; ++n) {
    attempts += scrape_metrics(port_of(n)).at(series("parley_webhook_attempts_total", "result", "delivered"));
  }
  EXPECT_EQ(attempts, static_cast<double>(events)) << "the nodes together sent each event once";
}

}  // namespace
}  // namespace parley::test::cluster
