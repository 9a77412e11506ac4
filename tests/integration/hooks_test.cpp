// Hooks (docs/api.md → Hooks): the application's backend, a real HTTP server started by the
// test, authorizes upgrades that carry no parley token (connect) and allows, rejects or
// rewrites users' messages before they are stored (before_publish); a backend that does not
// answer in time fails closed or open as configured.
#include "conversations.hpp"
#include "webhook_receiver.hpp"

namespace parley::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr std::string_view kKey = "hooks-test-api-key-0123456789abc";
constexpr std::string_view kHookSecret = "hooks-test-signing-secret-4242";

// The application: sessions by cookie; messages with "spam" refused, "darn" softened.
HookReply application(std::size_t, const ReceivedHook& r) {
  auto e = r.event();
  if (e.at("type") == "connect") {
    auto cookie = e.at("headers").as_object().if_contains("Cookie");
    if (cookie && cookie->as_string() == "session=s-alice") return {200, R"({"user":"alice","expires_in_s":3600})"};
    return {401, R"({"reason":"no session"})"};
  }
  std::string text(e.at("text").as_string());
  if (text.find("spam") != std::string::npos) return {200, R"({"action":"reject","reason":"no spam please"})"};
  if (text.find("darn") != std::string::npos) return {200, R"({"action":"replace","text":"d*rn it"})"};
  return {200, "{}"};
}

class Hooks : public ParleyTest {
protected:
  WebhookReceiver backend{application};

  void start_with(Flags extra = {}) {
    Flags f{{"--api-keys", std::string(kKey)},
            {"--connect-hook", backend.url("/connect")},
            {"--publish-hook", backend.url("/publish")},
            {"--webhook-secret", std::string(kHookSecret)},
            {"--hook-timeout-ms", "500"}};
    for (auto& [k, v] : extra) f[k] = v;
    start_server(std::move(f));
  }
  std::size_t calls_to(std::string_view target) {
    std::size_t n = 0;
    for (auto& r : backend.requests()) n += r.target == target;
    return n;
  }
};

TEST_F(Hooks, TheConnectHookNamesTheUserOfAConnectionWithoutAToken) {
  start_with();
  WsClient c("cookie-alice");
  auto r = try_connect(c, ConnectOptions{.headers = {{"Cookie", "session=s-alice"}}});
  ASSERT_TRUE(r.upgraded) << r.status << " " << r.body;
  auto welcome = c.expect(is_type("welcome"), "welcome");
  EXPECT_EQ(welcome.at("user"), "alice") << "the user the application named";
  join(c, "general");
  send_message(c, "general", "hi from a session cookie");
  auto asked = backend.requests();
  ASSERT_FALSE(asked.empty());
  const auto& hook = asked[0];
  EXPECT_EQ(hook.target, "/connect");
  EXPECT_EQ(hook.header("webhook-signature"), expected_signature(kHookSecret, hook)) << "signed like webhooks";
  auto e = hook.event();
  EXPECT_EQ(e.at("remote"), "127.0.0.1");
  EXPECT_EQ(e.at("headers").at("Cookie"), "session=s-alice");
  EXPECT_FALSE(e.at("headers").as_object().contains("Sec-WebSocket-Key")) << "the handshake's own headers stay";

  WsClient stranger("no-session");
  auto refused = try_connect(stranger, ConnectOptions{.headers = {{"Cookie", "session=forged"}}});
  EXPECT_FALSE(refused.upgraded);
  EXPECT_EQ(refused.status, 401);
  EXPECT_NE(refused.body.find("no session"), std::string::npos) << "the application's reason: " << refused.body;

  const std::size_t before = calls_to("/connect");
  auto bob = connect("bob");  // a parley token: the hook is not asked
  WsClient bad("bad-token");
  EXPECT_EQ(try_connect(bad, ConnectOptions{.token = "not-a-token"}).status, 401) << "a bad token is not a session";
  EXPECT_EQ(calls_to("/connect"), before);
}

TEST_F(Hooks, AConnectHookThatDoesNotAnswerIs503) {
  backend.set_policy([](std::size_t, const ReceivedHook&) { return 0; });  // stalls past hook_timeout_ms
  start_with();
  WsClient c("cookie-alice");
  auto r = try_connect(c, ConnectOptions{.headers = {{"Cookie", "session=s-alice"}}});
  EXPECT_FALSE(r.upgraded);
  EXPECT_EQ(r.status, 503) << "the client may try again: " << r.body;
  auto m = scrape_metrics(port());
  EXPECT_EQ(m.at(series("parley_hook_calls_total", "outcome", "connect_failed")), 1);
}

TEST_F(Hooks, ThePublishHookAllowsRejectsAndReplaces) {
  start_with();
  auto alice = connect("alice");
  auto bob = connect("bob");
  join(*alice, "general");
  join(*bob, "general");
  auto ok = send_message(*alice, "general", "hello");
  auto seq = get_int(ok, "seq");
  auto refused = request(*alice, "message", {{"room", "general"}, {"id", new_id()}, {"text", "buy spam now"}});
  EXPECT_EQ(code_of(refused), "rejected");
  EXPECT_EQ(refused.at("message"), "no spam please") << "the sender sees the application's reason";
  auto softened = send_message(*alice, "general", "darn");
  auto seen = bob->expect(has({{"type", "message"}, {"seq", get_int(softened, "seq")}}), "the rewritten message");
  EXPECT_EQ(seen.at("text"), "d*rn it");
  auto edit = entry(*alice, "edit", "general", seq, {{"text", "now with spam"}});
  EXPECT_EQ(code_of(edit), "rejected") << "edits are checked too";
  auto page = history(*bob, "general", std::nullopt);
  std::vector<std::string> texts;
  for (auto& m : page.at("messages").as_array()) texts.push_back(std::string(m.at("text").as_string()));
  EXPECT_EQ(texts, (std::vector<std::string>{"hello", "d*rn it"})) << "nothing refused was stored";
  // The hook saw what the user sent, after parley's own rules.
  bool saw_spam = false;
  for (auto& r : backend.requests()) {
    if (r.target != "/publish") continue;
    auto e = r.event();
    EXPECT_EQ(e.at("type"), "before_publish");
    EXPECT_EQ(e.at("room"), "general");
    EXPECT_EQ(e.at("user"), "alice");
    saw_spam = saw_spam || e.at("text") == "buy spam now";
  }
  EXPECT_TRUE(saw_spam);
  // The backend's own publishes are not checked.
  const std::size_t before = calls_to("/publish");
  ApiClient api(port(), std::string(kKey));
  api.publish("general", json::object{{"text", "spam from the backend itself"}, {"user", "alice"}});
  EXPECT_EQ(calls_to("/publish"), before);
  auto m = scrape_metrics(port());
  EXPECT_EQ(m.at(series("parley_hook_calls_total", "outcome", "publish_reject")), 2);
  EXPECT_EQ(m.at(series("parley_hook_calls_total", "outcome", "publish_replace")), 1);
  EXPECT_GE(m.at(series("parley_errors_total", "code", "rejected")), 2);
}

TEST_F(Hooks, APublishHookThatDoesNotAnswerFailsClosedOrOpen) {
  backend.set_policy([](std::size_t, const ReceivedHook& r) -> HookReply {
    return r.target == "/publish" ? HookReply(0) : application(0, r);
  });
  start_with();
  auto alice = connect("alice");
  join(*alice, "general");
  auto closed = request(*alice, "message", {{"room", "general"}, {"id", new_id()}, {"text", "lost in time"}});
  EXPECT_EQ(code_of(closed), "unavailable");
  EXPECT_GT(get_int(closed, "retry_after_ms"), 0) << "the client is told to send it again";
  EXPECT_TRUE(history(*alice, "general", std::nullopt).at("messages").as_array().empty());
  alice.reset();
  stop_server();
  start_with({{"--publish-hook-failure", "open"}});
  alice = connect("alice");
  auto open = send_message(*alice, "general", "through anyway");
  EXPECT_GT(get_int(open, "seq"), 0) << "failing open stores it";
}

}  // namespace
}  // namespace parley::test
