// Webhooks below the HTTP layer: the signature (RFC 4231's HMAC-SHA256 vector and the
// signed content), the backoff's bounds, the endpoint settings, the event bodies, and the
// SQLite outbox's states, order and replay.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <future>
#include <set>

#include "config/options.hpp"
#include "protocol/webhook_body.hpp"
#include "store/sqlite_store.hpp"
#include "webhooks/hooks.hpp"
#include "webhooks/sender.hpp"
#include "webhooks/signature.hpp"

using namespace parley;
namespace json = boost::json;
using std::chrono::milliseconds;

namespace {

TEST(WebhookSignature, IsHmacSha256InBase64OverIdTimestampAndBody) {
  // RFC 4231, test case 2.
  EXPECT_EQ(webhooks::hmac_sha256_base64("Jefe", "what do ya want for nothing?"),
            "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=");
  // Python: base64(hmac.new(b"webhooks-unit-secret", b'evt_1.1700000000.{"a":1}', sha256).digest())
  EXPECT_EQ(webhooks::signature("webhooks-unit-secret", "evt_1", 1700000000, R"({"a":1})"),
            "v1,R5P7kRm05p8J0U2tI+nOdWQJlXm5Eac7e0jcph38Ttg=");
  EXPECT_NE(webhooks::signature("webhooks-unit-secret", "evt_1", 1700000001, R"({"a":1})"),
            webhooks::signature("webhooks-unit-secret", "evt_1", 1700000000, R"({"a":1})"))
      << "the timestamp is signed";
}

TEST(WebhookBackoff, DoublesUpToTheCapWithJitterOfAtMostHalf) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 200; ++round) {
    for (int attempts = 1; attempts <= 12; ++attempts) {
      auto d = webhooks::backoff_delay(attempts, milliseconds(100), milliseconds(5000), rng);
      const int64_t full = std::min<int64_t>(100LL << (attempts - 1), 5000);
      EXPECT_LE(d.count(), full);
      EXPECT_GE(d.count(), full - full / 2);
    }
  }
  std::set<int64_t> seen;
  for (int i = 0; i < 50; ++i) seen.insert(webhooks::backoff_delay(3, milliseconds(100), milliseconds(5000), rng).count());
  EXPECT_GT(seen.size(), 10u) << "jittered";
}

TEST(WebhookSettings, ParseNameUrlAndTypes) {
  std::string error;
  auto s = parse_webhook("crm=https://example.test/hooks?x=1 message.created member.joined", error);
  ASSERT_TRUE(s) << error;
  EXPECT_EQ(s->name, "crm");
  EXPECT_EQ(s->url, "https://example.test/hooks?x=1");
  EXPECT_EQ(s->types, (std::vector<std::string>{"message.created", "member.joined"}));
  EXPECT_TRUE(parse_webhook("all=http://127.0.0.1:9/", error)->types.empty());
  EXPECT_FALSE(parse_webhook("noname", error));
  EXPECT_FALSE(parse_webhook("=http://x/", error));
  EXPECT_FALSE(parse_webhook("a b=http://x/", error));
  EXPECT_FALSE(parse_webhook("x=ftp://x/", error));
  EXPECT_FALSE(parse_webhook("x=http://x/ message.sent", error));
  EXPECT_NE(error.find("message.sent"), std::string::npos);
}

TEST(WebhookBody, CarriesTheEventsFields) {
  WebhookEvent m;
  m.type = WebhookType::message_created;
  m.room = "general";
  m.user = "alice";
  m.message = ChatMessage{"general", 7, 1000, "alice", "c1", "hi"};
  m.ts = 1000;
  auto o = json::parse(encode::webhook_body(m, "evt_x")).as_object();
  EXPECT_EQ(o.at("id"), "evt_x");
  EXPECT_EQ(o.at("type"), "message.created");
  EXPECT_EQ(o.at("room"), "general");
  EXPECT_EQ(o.at("message").at("seq"), 7);
  EXPECT_EQ(o.at("message").at("text"), "hi");
  WebhookEvent mute;
  mute.type = WebhookType::member_muted;
  mute.room = "general";
  mute.user = "bob";
  mute.by = "alice";
  mute.until = 5000;
  auto u = json::parse(encode::webhook_body(mute, "evt_y")).as_object();
  EXPECT_EQ(u.at("user"), "bob");
  EXPECT_EQ(u.at("by"), "alice");
  EXPECT_EQ(u.at("until"), 5000);
  EXPECT_FALSE(u.contains("message"));
  WebhookEvent online;
  online.type = WebhookType::user_online;
  online.user = "carol";
  auto p = json::parse(encode::webhook_body(online, "evt_z")).as_object();
  EXPECT_FALSE(p.contains("room"));
  EXPECT_EQ(p.at("user"), "carol");
}

TEST(PublishHookAnswer, AllowRejectReplaceOrAFailure) {
  using A = PublishVerdict::Action;
  EXPECT_EQ(webhooks::read_publish_answer(200, "").value.action, A::allow);
  EXPECT_EQ(webhooks::read_publish_answer(204, "").value.action, A::allow);
  EXPECT_EQ(webhooks::read_publish_answer(200, R"({"action":"allow"})").value.action, A::allow);
  auto r = webhooks::read_publish_answer(200, R"({"action":"reject","reason":"nope"})");
  EXPECT_EQ(r.value.action, A::reject);
  EXPECT_EQ(r.value.reason, "nope");
  EXPECT_FALSE(webhooks::read_publish_answer(200, R"({"action":"reject"})").value.reason.empty())
      << "a reason even when the backend gives none";
  auto p = webhooks::read_publish_answer(200, R"({"action":"replace","text":"nicer"})");
  EXPECT_EQ(p.value.action, A::replace);
  EXPECT_EQ(p.value.text, "nicer");
  for (auto [status, body] : std::vector<std::pair<int, std::string>>{
           {500, ""}, {0, ""}, {404, "{}"}, {200, "not json"}, {200, "[1]"}, {200, R"({"action":"maybe"})"},
           {200, R"({"action":"replace"})"}, {200, R"({"action":"replace","text":""})"}}) {
    auto f = webhooks::read_publish_answer(status, body);
    EXPECT_FALSE(f.ok()) << status << " " << body;
    EXPECT_EQ(f.status.code(), Status::Code::busy) << "a failure, for the failure behaviour to judge";
  }
}

TEST(ConnectHookAnswer, AUserARefusalOrAFailure) {
  auto g = webhooks::read_connect_answer(200, R"({"user":"alice","expires_in_s":60})", 1000, 86400);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g.value.user, "alice");
  EXPECT_EQ(g.value.expires_at_s, 1060);
  EXPECT_EQ(webhooks::read_connect_answer(200, R"({"user":"bob"})", 1000, 500).value.expires_at_s, 1500);
  auto no = webhooks::read_connect_answer(403, R"({"reason":"banned"})", 1000, 60);
  EXPECT_EQ(no.status.code(), Status::Code::forbidden);
  EXPECT_EQ(no.status.message(), "banned");
  EXPECT_EQ(webhooks::read_connect_answer(401, "", 1000, 60).status.code(), Status::Code::forbidden);
  EXPECT_EQ(webhooks::read_connect_answer(200, R"({"user":"Not A Name!"})", 1000, 60).status.code(), Status::Code::busy);
  EXPECT_EQ(webhooks::read_connect_answer(200, "{}", 1000, 60).status.code(), Status::Code::busy);
  EXPECT_EQ(webhooks::read_connect_answer(502, "", 1000, 60).status.code(), Status::Code::busy);
}

template <class T, class F>
Result<T> call(F&& start) {
  std::promise<Result<T>> p;
  auto f = p.get_future();
  start([&p](Result<T> r) { p.set_value(std::move(r)); });
  return f.get();
}

class OutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("parley-outbox-" + std::to_string(::getpid()) + "-" +
                                                      ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    SqliteStoreOptions o{(dir_ / "t.db").string(), "normal", 64};
    o.outbox.endpoints = {{"all", kAllWebhookTypes}, {"msgs", webhook_bit(WebhookType::message_created)}};
    o.outbox.encode = encode::webhook_body;
    auto s = SqliteStore::open(o);
    ASSERT_TRUE(s.ok()) << s.status.message();
    store_ = std::move(s.value);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void append(const std::string& text) {
    AppendRequest a{"r", "alice", "id-" + text, text, 1000};
    ASSERT_TRUE(call<Appended>([&](auto cb) { store_->append(a, cb); }).ok());
  }
  std::vector<WebhookDelivery> due(const std::string& endpoint) {
    return call<std::vector<WebhookDelivery>>([&](auto cb) { store_->due(endpoint, "n", 0, 1000, 100, cb); }).value;
  }
  bool settle(DeliveryOutcome o) { return call<bool>([&](auto cb) { store_->settle(o, cb); }).value; }

  std::filesystem::path dir_;
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(OutboxTest, RecordsWithTheChangeOnePerEndpointThatWantsIt) {
  ASSERT_TRUE(call<bool>([&](auto cb) { store_->create_room("r", RoomKind::public_room, "alice", cb); }).ok());
  append("one");
  append("two");
  auto all = due("all");
  ASSERT_EQ(all.size(), 4u);  // room.created, member.joined, two messages
  EXPECT_EQ(all[0].type, "room.created");
  EXPECT_EQ(all[1].type, "member.joined");
  EXPECT_LT(all[2].seq, all[3].seq);
  auto msgs = due("msgs");
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0].id, all[2].id) << "one event, one id, for every endpoint";
  EXPECT_EQ(json::parse(msgs[1].body).at("message").at("text"), "two");
  // A duplicate resend records nothing new.
  AppendRequest again{"r", "alice", "id-one", "one", 1000};
  ASSERT_TRUE(call<Appended>([&](auto cb) { store_->append(again, cb); }).value.duplicate);
  EXPECT_EQ(due("msgs").size(), 2u);
  // A refused write records nothing either.
  AppendRequest stranger{"r", "mallory", "m1", "x", 1000};
  stranger.require_member = true;
  EXPECT_FALSE(call<Appended>([&](auto cb) { store_->append(stranger, cb); }).ok());
  EXPECT_EQ(due("msgs").size(), 2u);
}

TEST_F(OutboxTest, SettledDeliveriesLeaveTheQueueDeadOnesCanBeReplayed) {
  ASSERT_TRUE(call<bool>([&](auto cb) { store_->create_room("r", RoomKind::public_room, "", cb); }).ok());
  append("a");
  append("b");
  auto msgs = due("msgs");
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_TRUE(settle({"msgs", msgs[0].seq, false, false, 5000, 100, "HTTP 500"}));
  auto again = due("msgs");
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(again[0].attempts, 1);
  EXPECT_EQ(again[0].next_ms, 5000) << "the head waits for its retry time";
  EXPECT_EQ(again[0].last_error, "HTTP 500");
  EXPECT_TRUE(settle({"msgs", msgs[0].seq, false, true, 0, 200, "timed out"}));
  EXPECT_TRUE(settle({"msgs", msgs[1].seq, true, false, 0, 300, ""}));
  EXPECT_TRUE(due("msgs").empty());
  EXPECT_FALSE(settle({"msgs", msgs[1].seq, true, false, 0, 300, ""})) << "settled once";
  auto dead = call<std::vector<WebhookDelivery>>([&](auto cb) {
                store_->deliveries({"msgs", DeliveryState::dead, 0, 10}, cb);
              }).value;
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].seq, msgs[0].seq);
  EXPECT_EQ(dead[0].attempts, 2);
  EXPECT_EQ(dead[0].done_ms, 200);
  auto backlog = call<std::vector<EndpointBacklog>>([&](auto cb) { store_->backlog(cb); }).value;
  auto msgs_backlog = std::find_if(backlog.begin(), backlog.end(), [](auto& b) { return b.endpoint == "msgs"; });
  ASSERT_NE(msgs_backlog, backlog.end());
  EXPECT_EQ(msgs_backlog->dead, 1);
  EXPECT_EQ(msgs_backlog->pending, 0);
  EXPECT_EQ(call<int64_t>([&](auto cb) { store_->replay({"msgs", {}, 400}, cb); }).value, 1);
  auto replayed = due("msgs");
  ASSERT_EQ(replayed.size(), 1u);
  EXPECT_EQ(replayed[0].attempts, 0);
  EXPECT_EQ(replayed[0].id, msgs[0].id);
  EXPECT_EQ(call<int64_t>([&](auto cb) { store_->replay({"msgs", {}, 400}, cb); }).value, 0) << "nothing dead now";
  // Delivered ones are forgotten after keep; the others stay.
  EXPECT_EQ(call<int64_t>([&](auto cb) { store_->purge(1000, cb); }).value, 1);
  EXPECT_EQ(call<std::vector<WebhookDelivery>>([&](auto cb) { store_->deliveries({"msgs", {}, 0, 10}, cb); }).value.size(),
            1u);
}

}  // namespace
