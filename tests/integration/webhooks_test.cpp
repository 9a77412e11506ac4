// Webhooks (docs/api.md → Webhooks): every event type reaches a real HTTP receiver started by
// the test, signed; per endpoint in the order of the changes; retried after failures and
// timeouts with backoff; dead after the last attempt, listed and replayed through the server
// API; and recorded with the change, so that a kill -9 with deliveries pending loses none.
#include <algorithm>
#include <set>

#include "conversations.hpp"
#include "webhook_receiver.hpp"

namespace parley::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr std::string_view kKey = "webhooks-test-api-key-0123456789";
constexpr std::string_view kHookSecret = "webhooks-test-signing-secret-42";

std::string type_of(const ReceivedHook& r) { return std::string(r.event().at("type").as_string()); }

class Webhooks : public ParleyTest {
protected:
  WebhookReceiver receiver;

  // parleyd with endpoint "app" at the receiver (all types unless `spec` says otherwise).
  void start_with(std::string spec = {}, Flags extra = {}) {
    Flags f{{"--api-keys", std::string(kKey)},
            {"--webhooks", spec.empty() ? "app=" + receiver.url() : spec},
            {"--webhook-secret", std::string(kHookSecret)},
            {"--webhook-poll-ms", "20"},
            {"--webhook-backoff-ms", "50"},
            {"--webhook-timeout-ms", "1000"}};
    for (auto& [k, v] : extra) f[k] = v;
    start_server(std::move(f));
  }
  ApiClient api() { return ApiClient(port(), std::string(kKey)); }

  // Delivered events of `type`, in arrival order.
  static std::vector<json::object> of_type(const std::vector<ReceivedHook>& all, std::string_view type) {
    std::vector<json::object> out;
    for (auto& r : all) {
      if (r.answered >= 200 && r.answered < 300 && type_of(r) == type) out.push_back(r.event());
    }
    return out;
  }
  // Waits until a delivered event satisfies `pred`.
  json::object await_event(std::string_view type, const std::function<bool(const json::object&)>& pred = {}) {
    json::object found;
    bool ok = receiver.wait_for([&](const std::vector<ReceivedHook>& all) {
      for (auto& e : of_type(all, type)) {
        if (!pred || pred(e)) {
          found = e;
          return true;
        }
      }
      return false;
    });
    if (!ok) throw std::runtime_error("no " + std::string(type) + " webhook arrived");
    return found;
  }
};

TEST_F(Webhooks, EveryEventTypeArrivesSignedWithItsFields) {
  start_with();
  auto alice = connect("alice");
  auto bob = connect("bob");
  join(*alice, "general");
  join(*bob, "general");
  auto seq = get_int(send_message(*alice, "general", "hello hooks"), "seq");
  ASSERT_EQ(entry(*alice, "edit", "general", seq, {{"text", "hello, hooks"}}).at("type"), "ack");
  ASSERT_EQ(entry(*bob, "react", "general", seq, {{"emoji", "👍"}}).at("type"), "ack");
  ASSERT_EQ(entry(*bob, "react", "general", seq, {{"emoji", "👍"}, {"remove", true}}).at("type"), "ack");
  ASSERT_EQ(entry(*alice, "delete", "general", seq).at("type"), "ack");
  ASSERT_EQ(request(*alice, "role", {{"room", "general"}, {"user", "bob"}, {"role", "moderator"}}).at("type"), "ok");
  ASSERT_EQ(request(*alice, "role", {{"room", "general"}, {"user", "bob"}, {"role", "member"}}).at("type"), "ok");
  ASSERT_EQ(request(*alice, "mute", {{"room", "general"}, {"user", "bob"}, {"seconds", 60}}).at("type"), "ok");
  ASSERT_EQ(request(*alice, "mute", {{"room", "general"}, {"user", "bob"}, {"seconds", 0}}).at("type"), "ok");
  ASSERT_EQ(request(*alice, "kick", {{"room", "general"}, {"user", "bob"}}).at("type"), "ok");
  join(*bob, "general");
  ASSERT_EQ(request(*alice, "ban", {{"room", "general"}, {"user", "bob"}}).at("type"), "ok");
  ASSERT_EQ(request(*alice, "unban", {{"room", "general"}, {"user", "bob"}}).at("type"), "ok");
  auto carol = connect("carol");
  join(*carol, "general");
  leave(*carol, "general");
  carol.reset();

  auto created = await_event("message.created");
  EXPECT_EQ(created.at("room"), "general");
  EXPECT_EQ(created.at("message").at("text"), "hello hooks") << "the message as it was sent";
  EXPECT_EQ(created.at("message").at("user"), "alice");
  EXPECT_EQ(get_int(created.at("message").as_object(), "seq"), seq);
  EXPECT_EQ(await_event("message.edited").at("message").at("text"), "hello, hooks");
  EXPECT_EQ(get_int(await_event("message.deleted").at("message").as_object(), "target"), seq);
  EXPECT_EQ(await_event("reaction.added").at("message").at("emoji"), "👍");
  EXPECT_EQ(await_event("reaction.removed").at("message").at("user"), "bob");
  auto room = await_event("room.created");
  EXPECT_EQ(room.at("room"), "general");
  EXPECT_EQ(room.at("kind"), "public");
  EXPECT_EQ(await_event("member.joined", [](auto& e) { return e.at("user") == "alice"; }).at("role"), "owner");
  EXPECT_EQ(await_event("member.role", [](auto& e) { return e.at("role") == "moderator"; }).at("by"), "alice");
  auto muted = await_event("member.muted");
  EXPECT_EQ(muted.at("user"), "bob");
  EXPECT_GT(get_int(muted, "until"), get_int(muted, "ts"));
  EXPECT_EQ(await_event("member.unmuted").at("by"), "alice");
  EXPECT_EQ(await_event("member.kicked").at("user"), "bob");
  EXPECT_EQ(await_event("member.banned").at("user"), "bob");
  EXPECT_EQ(await_event("member.unbanned").at("user"), "bob");
  EXPECT_EQ(await_event("member.left").at("user"), "carol");
  EXPECT_EQ(await_event("user.online", [](auto& e) { return e.at("user") == "carol"; }).at("type"), "user.online");
  EXPECT_EQ(await_event("user.offline", [](auto& e) { return e.at("user") == "carol"; }).at("type"), "user.offline");

  const int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
  std::set<std::string> ids;
  for (auto& r : receiver.requests()) {
    EXPECT_EQ(r.target, "/hook");
    EXPECT_EQ(r.header("Content-Type"), "application/json");
    EXPECT_EQ(r.header("webhook-id"), r.event().at("id").as_string()) << "the header names the body's event";
    EXPECT_EQ(r.header("webhook-signature"), expected_signature(kHookSecret, r)) << r.body;
    EXPECT_NE(expected_signature("another-secret-of-the-same-length", r), r.header("webhook-signature"));
    EXPECT_NEAR(std::stoll(r.header("webhook-timestamp")), now_s, 60);
    EXPECT_EQ(r.header("X-Parley-Event"), type_of(r));
    ids.insert(r.header("webhook-id"));
  }
  EXPECT_EQ(ids.size(), receiver.requests().size()) << "every event has its own id";
}

TEST_F(Webhooks, EachEndpointGetsItsTypesInTheOrderOfTheChanges) {
  WebhookReceiver messages_only;
  start_with("app=" + receiver.url() + ",msgs=" + messages_only.url("/m") + " message.created",
             {{"--rate-per-sec", "1000"}, {"--rate-burst", "1000"}});
  auto alice = connect("alice");
  join(*alice, "general");
  std::vector<int64_t> seqs;
  for (int i = 0; i < 30; ++i) seqs.push_back(get_int(send_message(*alice, "general", "m" + std::to_string(i)), "seq"));
  auto got = messages_only.delivered(30);
  std::vector<int64_t> order;
  for (auto& r : got) {
    EXPECT_EQ(type_of(r), "message.created") << "msgs asked for message.created only";
    order.push_back(get_int(r.event().at("message").as_object(), "seq"));
  }
  EXPECT_EQ(order, seqs) << "in seq order, each once";
  auto all = receiver.delivered(33);  // room.created, member.joined, user.online, 30 messages
  std::vector<std::string> types;
  for (auto& r : all) types.push_back(type_of(r));
  std::string listed;
  for (auto& t : types) listed += t + " ";
  EXPECT_EQ(std::count(types.begin(), types.end(), "message.created"), 30) << listed;
  auto joined = std::find(types.begin(), types.end(), "member.joined");
  auto first_message = std::find(types.begin(), types.end(), "message.created");
  EXPECT_LT(std::find(types.begin(), types.end(), "room.created"), joined);
  EXPECT_LT(joined, first_message) << "the join happened before the messages";
}

TEST_F(Webhooks, FailuresAndTimeoutsAreRetriedAndLaterEventsWait) {
  // 500, 503, then a stall past the timeout, then success.
  receiver.set_policy([](std::size_t n, const ReceivedHook&) { return n == 0 ? 500 : n == 1 ? 503 : n == 2 ? 0 : 200; });
  start_with("app=" + receiver.url() + " message.created");
  auto alice = connect("alice");
  join(*alice, "general");
  send_message(*alice, "general", "first");
  send_message(*alice, "general", "second");
  auto ok = receiver.delivered(2);
  auto all = receiver.requests();
  ASSERT_GE(all.size(), 5u);
  const std::string first_id = all[0].header("webhook-id");
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(all[i].header("webhook-id"), first_id) << "attempt " << i + 1 << " is of the first event";
    EXPECT_EQ(all[i].header("X-Parley-Attempt"), std::to_string(i + 1));
    EXPECT_EQ(all[i].event().at("message").at("text"), "first");
  }
  EXPECT_EQ(all[0].answered, 500);
  EXPECT_EQ(all[2].answered, 0) << "the stalled attempt";
  EXPECT_EQ(all[3].answered, 200);
  EXPECT_EQ(all[4].event().at("message").at("text"), "second") << "the second event waited for the first";
  // The receiver has answered; the sender records the outcome just after.
  await_metric(port(), series("parley_webhook_attempts_total", "result", "delivered"), [](double v) { return v == 2; });
  auto failed = api().get("/api/v1/webhooks/deliveries?state=delivered");
  ASSERT_EQ(failed.status, 200) << failed.body;
  auto list = body_of(failed).at("deliveries").as_array();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(get_int(list[1].as_object(), "attempts"), 4) << "newest first: the first event took four attempts";
  auto m = scrape_metrics(port());
  EXPECT_EQ(m.at(series("parley_webhook_attempts_total", "result", "failed")), 3);
  EXPECT_EQ(m.at(series("parley_webhook_attempts_total", "result", "delivered")), 2);
}

TEST_F(Webhooks, TheLastFailedAttemptIsDeadUntilReplayed) {
  receiver.set_policy([](std::size_t, const ReceivedHook&) { return 500; });
  start_with("app=" + receiver.url() + " message.created", {{"--webhook-max-attempts", "2"}});
  auto alice = connect("alice");
  join(*alice, "general");
  send_message(*alice, "general", "doomed");
  send_message(*alice, "general", "also doomed");
  ASSERT_TRUE(receiver.wait_for([](auto& all) { return all.size() >= 4; }));
  // Both dead after two attempts each; nothing more is tried.
  auto m = await_metric(port(), "parley_webhook_dead", [](double v) { return v == 2; });
  EXPECT_EQ(m.at("parley_webhook_dead"), 2);
  EXPECT_EQ(m.at(series("parley_webhook_attempts_total", "result", "dead")), 2);
  auto dead = body_of(api().get("/api/v1/webhooks/deliveries?state=dead&endpoint=app")).at("deliveries").as_array();
  ASSERT_EQ(dead.size(), 2u);
  EXPECT_EQ(dead[0].at("state"), "dead");
  EXPECT_EQ(dead[0].at("last_error"), "HTTP 500");
  EXPECT_EQ(get_int(dead[0].as_object(), "attempts"), 2);
  EXPECT_EQ(dead[1].at("event").at("message").at("text"), "doomed") << "newest first, with the event";
  auto endpoints = body_of(api().get("/api/v1/webhooks")).at("endpoints").as_array();
  ASSERT_EQ(endpoints.size(), 1u);
  EXPECT_EQ(endpoints[0].at("name"), "app");
  EXPECT_EQ(get_int(endpoints[0].as_object(), "dead"), 2);
  EXPECT_EQ(receiver.requests().size(), 4u);

  receiver.set_policy([](std::size_t, const ReceivedHook&) { return 204; });
  auto replayed = api().post("/api/v1/webhooks/deliveries/replay", json::object{{"endpoint", "app"}});
  ASSERT_EQ(replayed.status, 200) << replayed.body;
  EXPECT_EQ(get_int(body_of(replayed), "replayed"), 2);
  auto got = receiver.delivered(2);
  EXPECT_EQ(got[0].event().at("message").at("text"), "doomed") << "replayed in their order";
  EXPECT_EQ(got[1].event().at("message").at("text"), "also doomed");
  EXPECT_EQ(got[0].header("webhook-id"), receiver.requests()[0].header("webhook-id")) << "the same event id";
  await_metric(port(), "parley_webhook_dead", [](double v) { return v == 0; });
  expect_api_error(api().post("/api/v1/webhooks/deliveries/replay", json::object{{"seqs", json::array{"x"}}}), 400,
                   "bad_request");
  expect_api_error(http_request(port(), "GET", "/api/v1/webhooks/deliveries", {}, {}), 401, "unauthorized");
  expect_api_error(api().get("/api/v1/webhooks/deliveries?state=lost"), 400, "bad_request");
}

TEST_F(Webhooks, NothingIsLostAcrossAKill9WithDeliveriesPending) {
  receiver.set_policy([](std::size_t, const ReceivedHook&) { return 503; });
  start_with("app=" + receiver.url() + " message.created", {{"--webhook-backoff-ms", "200"}});
  auto alice = connect("alice");
  join(*alice, "general");
  std::vector<std::string> texts;
  for (int i = 0; i < 20; ++i) {
    texts.push_back("kept " + std::to_string(i));
    send_message(*alice, "general", texts.back());  // acked: committed, with its event
  }
  ASSERT_TRUE(receiver.wait_for([](auto& all) { return !all.empty(); })) << "the sender was trying";
  alice.reset();
  kill_server();
  receiver.set_policy([](std::size_t, const ReceivedHook&) { return 200; });
  restart_server();
  auto got = receiver.delivered(20);
  std::vector<std::string> order;
  std::set<std::string> ids;
  for (auto& r : got) {
    order.push_back(std::string(r.event().at("message").at("text").as_string()));
    ids.insert(r.header("webhook-id"));
  }
  EXPECT_EQ(order, texts) << "every acked message's event, in order";
  EXPECT_EQ(ids.size(), 20u);
}

TEST_F(Webhooks, BadEndpointSettingsStopTheServerWithAReason) {
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.end(), {"--port", "0", "--data-dir", (work_dir() / "bad").string()});
    return run_parleyd(args, {}, work_dir(), std::chrono::seconds(10));
  };
  auto no_secret = run({"--webhooks", "app=http://127.0.0.1:9/x"});
  ASSERT_TRUE(no_secret.status.has_value());
  EXPECT_EQ(no_secret.status->code, 2);
  EXPECT_NE(no_secret.err.find("webhook_secret"), std::string::npos) << no_secret.err;
  auto bad_type = run({"--webhooks", "app=http://127.0.0.1:9/x message.sent", "--webhook-secret", std::string(kHookSecret)});
  ASSERT_TRUE(bad_type.status.has_value());
  EXPECT_EQ(bad_type.status->code, 2);
  EXPECT_NE(bad_type.err.find("message.sent"), std::string::npos) << bad_type.err;
  auto bad_url = run({"--webhooks", "app=ftp://x", "--webhook-secret", std::string(kHookSecret)});
  ASSERT_TRUE(bad_url.status.has_value());
  EXPECT_EQ(bad_url.status->code, 2);
}

}  // namespace
}  // namespace parley::test
