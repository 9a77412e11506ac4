// Web Push for users without an open connection, against a push service started by the test
// (a real HTTP server): the payload opens with the subscription's keys only, the VAPID JWT
// verifies under the key parleyd publishes, and only offline users whose notify level allows
// it are pushed to; a gone subscription (410) is dropped; backends get a `push` webhook event.
#include <boost/json.hpp>

#include "conversations.hpp"
#include "metrics_scrape.hpp"
#include "push_check.hpp"
#include "webhook_receiver.hpp"

namespace parley::test {
namespace {

namespace json = boost::json;

class Push : public ParleyTest {
protected:
  // Subscribes `c`'s browser at the push service's `path`.
  void subscribe(WsClient& c, const std::string& path, const UaKeys& keys) {
    auto r = request(c, "push_subscribe",
                     {{"endpoint", service.url(path)}, {"p256dh", keys.p256dh_b64()}, {"auth", keys.auth_b64()}});
    ASSERT_EQ(r.at("type"), "ok") << json::serialize(r);
  }
  // `c` closes and `watcher`, sharing `room` with it, has seen it go offline.
  void go_offline(std::unique_ptr<WsClient>& c, const std::string& user, WsClient& watcher, const std::string& room) {
    c->close();
    c.reset();
    watcher.expect(has({{"type", "presence"}, {"room", room}, {"user", user}, {"status", "offline"}}), user + " offline");
  }
  // The push service's requests to `path` among `all` (wait_for's predicate gets them: it holds
  // the receiver's lock, so it must not call requests()).
  static std::vector<ReceivedHook> to(const std::vector<ReceivedHook>& all, const std::string& path) {
    std::vector<ReceivedHook> out;
    for (auto& r : all) {
      if (r.target == path) out.push_back(r);
    }
    return out;
  }
  WebhookReceiver receiver;  // the backend, for push webhook events
  WebhookReceiver service{[](std::size_t, const ReceivedHook& r) { return r.target == "/gone" ? 410 : 201; }};
};

TEST_F(Push, AnOfflineUsersDirectMessageArrivesEncryptedAndSigned) {
  start_server({{"--vapid-subject", "mailto:ops@chat.example"}});
  auto keys = make_ua_keys();
  auto alice = connect("alice");
  auto bob = connect("bob");
  subscribe(*alice, "/alice", keys);
  auto dm = request(*bob, "dm", {{"to", "alice"}});
  const std::string room(dm.at("room").as_string());
  alice->expect(has({{"type", "joined"}, {"room", room}}), "the dm");
  send_message(*bob, room, "while you are here");  // alice is online: no push
  go_offline(alice, "alice", *bob, room);
  send_message(*bob, room, "call me back");
  ASSERT_TRUE(service.wait_for([](auto& all) { return !all.empty(); }));
  auto got = service.requests();
  ASSERT_EQ(got.size(), 1u) << "only the message sent while alice was offline";
  auto& req = got[0];
  EXPECT_EQ(req.target, "/alice");
  EXPECT_EQ(req.header("Content-Encoding"), "aes128gcm");
  EXPECT_EQ(req.header("TTL"), "86400");
  auto plain = decrypt_push(req.body, keys.private_key, keys.public_key, keys.auth);
  ASSERT_TRUE(plain) << "opens with the subscription's keys";
  auto note = json::parse(*plain).as_object();
  EXPECT_EQ(note.at("room").as_string(), room);
  EXPECT_EQ(note.at("from"), "bob");
  EXPECT_EQ(note.at("text"), "call me back");
  EXPECT_EQ(note.at("direct"), true);
  EXPECT_FALSE(decrypt_push(req.body, make_ua_keys().private_key, keys.public_key, keys.auth)) << "not with other keys";
  auto vapid = check_vapid(req.header("Authorization"));
  EXPECT_TRUE(vapid.valid) << vapid.error;
  EXPECT_EQ(vapid.claims.at("aud").as_string(), "http://127.0.0.1:" + std::to_string(service.port()));
  EXPECT_EQ(vapid.claims.at("sub"), "mailto:ops@chat.example");
  EXPECT_GT(vapid.claims.at("exp").as_int64(), unix_now());
  auto key = json::parse(http_get(port(), "/api/push/key").body).as_object();
  EXPECT_EQ(vapid.public_key, key.at("public_key").as_string()) << "signed with the key browsers subscribe with";
}

TEST_F(Push, MentionsPushAsTheNotifyLevelAllowsAndGoneSubscriptionsAreDropped) {
  start_server({{"--webhooks", "app=" + receiver.url() + " push"}, {"--webhook-secret", "push-test-webhook-secret"}});
  auto carol_keys = make_ua_keys();
  auto bob = connect("bob");
  auto carol = connect("carol");
  for (auto* c : {bob.get(), carol.get()}) {
    join(*c, "general");
    join(*c, "quiet");
  }
  subscribe(*carol, "/gone", carol_keys);
  subscribe(*carol, "/carol", carol_keys);
  ASSERT_EQ(request(*carol, "notify", {{"room", "quiet"}, {"level", "none"}}).at("type"), "notify");
  go_offline(carol, "carol", *bob, "general");
  send_message(*bob, "quiet", "@carol you will not hear this");
  send_message(*bob, "general", "no mention, no push");
  send_message(*bob, "general", "@carol standup?");
  ASSERT_TRUE(service.wait_for([](auto& all) { return to(all, "/carol").size() >= 1 && to(all, "/gone").size() >= 1; }));
  auto note = json::parse(*decrypt_push(to(service.requests(), "/carol")[0].body, carol_keys.private_key, carol_keys.public_key,
                                        carol_keys.auth)).as_object();
  EXPECT_EQ(note.at("text"), "@carol standup?") << "the first push is general's mention: quiet's was not sent";
  EXPECT_EQ(note.at("direct"), false);
  EXPECT_EQ(note.at("mentioned"), true);
  // 410: the subscription is dropped; the next mention goes only where it still exists.
  await_metric(port(), series("parley_push_sends_total", "result", "gone"), [](double v) { return v == 1; });
  send_message(*bob, "general", "@carol again");
  ASSERT_TRUE(service.wait_for([](auto& all) { return to(all, "/carol").size() >= 2; }));
  EXPECT_EQ(to(service.requests(), "/gone").size(), 1u);
  // The backend hears of each push, subscribed browsers or not.
  auto events = receiver.delivered(2);
  EXPECT_EQ(events[0].event().at("type"), "push");
  EXPECT_EQ(events[0].event().at("user"), "carol");
  EXPECT_EQ(events[0].event().at("reason"), "mention");
  EXPECT_EQ(events[0].event().at("message").at("text"), "@carol standup?");
}

TEST_F(Push, BadSubscriptionsAreRefused) {
  start_server();
  auto alice = connect("alice");
  auto keys = make_ua_keys();
  auto bad = [&](json::object fields) { return code_of(request(*alice, "push_subscribe", std::move(fields))); };
  EXPECT_EQ(bad({{"endpoint", "ftp://x"}, {"p256dh", keys.p256dh_b64()}, {"auth", keys.auth_b64()}}), "bad_request");
  EXPECT_EQ(bad({{"endpoint", service.url("/a")}, {"p256dh", "short"}, {"auth", keys.auth_b64()}}), "bad_request");
  EXPECT_EQ(bad({{"endpoint", service.url("/a")}, {"p256dh", keys.p256dh_b64()}}), "bad_request");
  EXPECT_EQ(request(*alice, "push_unsubscribe", {{"endpoint", service.url("/a")}}).at("type"), "ok");
}

}  // namespace
}  // namespace parley::test
