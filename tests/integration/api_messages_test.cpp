// Publishing and reading through the server API (docs/api.md), seen by WebSocket clients: a
// message published as a user arrives with the room's next seq, like a WebSocket one, and is
// in history; an id makes a publish idempotent; a system message is marked system:true and
// no user (which no user can forge); the message rules (membership, length, names) apply;
// history pages like sync and history. Published messages count in the metrics as sent ones.
#include <boost/json/parse.hpp>

#include "parley_test.hpp"

namespace parley::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

const std::string kKey = "messages-test-key-4e19b2d8";

class ApiMessages : public ParleyTest {
protected:
  ApiClient start(Flags extra = {}) {
    extra["--api-keys"] = kKey;
    start_server(std::move(extra));
    ApiClient api(port(), kKey);
    api.create_room("general");
    return api;
  }
  static HttpResponse publish_raw(const ApiClient& api, const json::object& body, const std::string& room = "general") {
    return api.post("/api/v1/rooms/" + room + "/messages", body);
  }
};

TEST_F(ApiMessages, PublishedAsAUserItArrivesWithTheNextSeqAndIsInHistory) {
  ApiClient api = start();
  auto alice = connect("alice");
  auto bob = connect("bob");
  join(*alice, "general");
  join(*bob, "general");
  const std::string first = new_id();
  send_message(*alice, "general", "from the socket", first);
  bob->expect(message_with_id(first));
  // Replies come after every frame queued before them has been written: the counters of
  // the first message's deliveries are final.
  history(*alice, "general", std::nullopt, 1);
  history(*bob, "general", std::nullopt, 1);
  const MetricsPage before = scrape_metrics(port());

  HttpResponse r = publish_raw(api, {{"user", "bob"}, {"text", "from the backend"}, {"id", "order-1"}});
  ASSERT_EQ(r.status, 201) << r.body;
  json::object answer = body_of(r);
  EXPECT_EQ(answer.at("seq"), 2);
  EXPECT_EQ(answer.at("id"), "order-1");
  EXPECT_EQ(answer.at("duplicate"), false);
  for (WsClient* c : {alice.get(), bob.get()}) {
    json::object m = c->expect(message_with_id("order-1"), "published message");
    EXPECT_EQ(m.at("seq"), 2);
    EXPECT_EQ(m.at("user"), "bob");
    EXPECT_EQ(m.at("text"), "from the backend");
    EXPECT_EQ(m.at("ts"), answer.at("ts"));
    EXPECT_FALSE(m.contains("system"));
  }
  std::vector<json::object> stored = all_messages(*alice, "general");
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[1].at("id"), "order-1");
  EXPECT_EQ(stored[1].at("user"), "bob");
  // The next WebSocket message follows it.
  const std::string third = new_id();
  EXPECT_EQ(get_int(send_message(*alice, "general", "after", third), "seq"), 3);
  bob->expect(message_with_id(third));
  history(*alice, "general", std::nullopt, 1);
  history(*bob, "general", std::nullopt, 1);
  const MetricsPage after = scrape_metrics(port());
  EXPECT_EQ(after.at("parley_messages_in_total") - before.at("parley_messages_in_total"), 2);
  EXPECT_EQ(after.at("parley_messages_out_total") - before.at("parley_messages_out_total"), 4);
  EXPECT_EQ(after.at("parley_acks_total") - before.at("parley_acks_total"), 1) << "the API answers, it sends no ack";
}

TEST_F(ApiMessages, AnIdMakesPublishingIdempotent) {
  ApiClient api = start();
  auto alice = connect("alice");
  join(*alice, "general");
  const json::object body{{"user", "alice"}, {"text", "once"}, {"id", "retry-me"}};
  HttpResponse first = publish_raw(api, body);
  ASSERT_EQ(first.status, 201) << first.body;
  HttpResponse second = publish_raw(api, body);
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(body_of(second).at("duplicate"), true);
  EXPECT_EQ(body_of(second).at("seq"), body_of(first).at("seq"));
  EXPECT_EQ(body_of(second).at("ts"), body_of(first).at("ts"));
  // A WebSocket resend of the same (user, id) is the same message too.
  json::object ack = send_message(*alice, "general", "once", "retry-me");
  EXPECT_EQ(ack.at("seq"), body_of(first).at("seq"));
  // Delivered once: a later message arrives after at most one copy.
  const std::string later = new_id();
  send_message(*alice, "general", "later", later);
  alice->expect(message_with_id(later));
  EXPECT_EQ(alice->count(message_with_id("retry-me")), 1u);
  EXPECT_EQ(all_messages(*alice, "general").size(), 2u);
  // Without an id every publish is a new message with a generated id.
  json::object a = api.publish("general", {{"user", "alice"}, {"text", "no id"}});
  json::object b = api.publish("general", {{"user", "alice"}, {"text", "no id"}});
  EXPECT_NE(a.at("id"), b.at("id"));
  EXPECT_EQ(get_int(b, "seq"), get_int(a, "seq") + 1);
}

TEST_F(ApiMessages, SystemMessagesAreMarkedAndNoUserCanForgeOne) {
  ApiClient api = start();
  auto alice = connect("alice");
  join(*alice, "general");
  json::object answer = api.publish("general", {{"system", true}, {"text", "maintenance at noon"}, {"id", "notice-1"}});
  json::object m = alice->expect(message_with_id("notice-1"), "system message");
  EXPECT_EQ(m.at("system"), true);
  EXPECT_FALSE(m.contains("user")) << to_string(m);
  EXPECT_EQ(m.at("seq"), answer.at("seq"));
  // A user may be called "system": their messages carry the name, never the mark.
  auto impostor = connect("system");
  join(*impostor, "general");
  const std::string id = new_id();
  send_message(*impostor, "general", "maintenance at noon", id);
  json::object forged = alice->expect(message_with_id(id));
  EXPECT_EQ(forged.at("user"), "system");
  EXPECT_FALSE(forged.contains("system"));
  // History keeps the mark, over the socket and over the API.
  std::vector<json::object> stored = all_messages(*alice, "general");
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[0].at("system"), true);
  EXPECT_FALSE(stored[0].contains("user"));
  json::object page = body_of(api.get("/api/v1/rooms/general/messages?after=0"));
  EXPECT_EQ(page.at("messages").as_array()[0].at("system"), true);
  EXPECT_EQ(page.at("messages").as_array()[1].at("user"), "system");
}

TEST_F(ApiMessages, PublishFollowsTheMessageRules) {
  ApiClient api = start({{"--max-text-chars", "10"}});
  api.create_room("other");
  api.add_member("general", "alice");
  expect_api_error(publish_raw(api, {{"user", "bob"}, {"text", "hi"}}), 403, "forbidden");
  expect_api_error(publish_raw(api, {{"user", "alice"}, {"text", "hi"}}, "nowhere"), 404, "not_found");
  expect_api_error(publish_raw(api, {{"user", "alice"}, {"text", "hi"}}, "Bad-Room"), 400, "bad_request");
  expect_api_error(publish_raw(api, {{"user", "alice"}, {"text", "eleven char"}}), 413, "too_large");
  expect_api_error(publish_raw(api, {{"user", "alice"}, {"text", ""}}), 400, "bad_request");
  expect_api_error(publish_raw(api, {{"user", "alice"}}), 400, "bad_request");
  expect_api_error(publish_raw(api, {{"user", "Alice!"}, {"text", "hi"}}), 400, "bad_request");
  expect_api_error(publish_raw(api, {{"user", "alice"}, {"system", true}, {"text", "hi"}}), 400, "bad_request");
  expect_api_error(publish_raw(api, {{"text", "whose?"}}), 400, "bad_request");
  expect_api_error(publish_raw(api, {{"system", "yes"}, {"text", "hi"}}), 400, "bad_request");
  expect_api_error(publish_raw(api, {{"user", "alice"}, {"text", "hi"}, {"id", std::string(129, 'x')}}), 400, "bad_request");
  expect_api_error(publish_raw(api, {{"user", "alice"}, {"text", "hi"}, {"id", 5}}), 400, "bad_request");
  expect_api_error(api.request("POST", "/api/v1/rooms/general/messages", "{\"user\":\"alice\",\"text\":"), 400, "bad_request");
  // A member of another room only is not a member here.
  api.add_member("other", "bob");
  expect_api_error(publish_raw(api, {{"user", "bob"}, {"text", "hi"}}), 403, "forbidden");
  // Ten characters (not bytes) are fine; nothing refused was stored.
  json::object ok = api.publish("general", {{"user", "alice"}, {"text", "éééééééééé"}});
  EXPECT_EQ(ok.at("seq"), 1);
  EXPECT_EQ(body_of(api.get("/api/v1/rooms/general")).at("last_seq"), 1);
}

TEST_F(ApiMessages, HistoryPagesLikeSyncAndHistory) {
  ApiClient api = start();
  api.add_member("general", "alice");
  for (int i = 1; i <= 5; ++i) api.publish("general", {{"user", "alice"}, {"text", "m" + std::to_string(i)}});
  auto seqs = [&](const std::string& query) {
    HttpResponse r = api.get("/api/v1/rooms/general/messages" + query);
    if (r.status != 200) throw std::runtime_error(query + ": HTTP " + std::to_string(r.status) + " " + r.body);
    json::object page = body_of(r);
    std::vector<std::int64_t> out;
    for (const auto& m : page.at("messages").as_array()) out.push_back(m.at("seq").as_int64());
    out.push_back(page.at("has_more").as_bool() ? -1 : 0);  // last: -1 when has_more
    return out;
  };
  EXPECT_EQ(seqs("?after=2&limit=2"), (std::vector<std::int64_t>{3, 4, -1}));
  EXPECT_EQ(seqs("?after=4"), (std::vector<std::int64_t>{5, 0}));
  EXPECT_EQ(seqs("?before=3"), (std::vector<std::int64_t>{1, 2, 0}));
  EXPECT_EQ(seqs("?before=5&limit=2"), (std::vector<std::int64_t>{3, 4, -1}));
  EXPECT_EQ(seqs(""), (std::vector<std::int64_t>{1, 2, 3, 4, 5, 0}));
  EXPECT_EQ(seqs("?limit=1000"), (std::vector<std::int64_t>{1, 2, 3, 4, 5, 0}));
  // The same page as the WebSocket sync.
  auto alice = connect("alice");
  json::object ws = sync(*alice, "general", 2, 2);
  json::object http = body_of(api.get("/api/v1/rooms/general/messages?after=2&limit=2"));
  EXPECT_EQ(ws.at("messages"), http.at("messages"));
  expect_api_error(api.get("/api/v1/rooms/general/messages?after=1&before=3"), 400, "bad_request");
  expect_api_error(api.get("/api/v1/rooms/general/messages?after=x"), 400, "bad_request");
  expect_api_error(api.get("/api/v1/rooms/general/messages?limit=0"), 400, "bad_request");
  expect_api_error(api.get("/api/v1/rooms/general/messages?before=0"), 400, "bad_request");
  expect_api_error(api.get("/api/v1/rooms/nowhere/messages"), 404, "not_found");
}

}  // namespace
}  // namespace parley::test
