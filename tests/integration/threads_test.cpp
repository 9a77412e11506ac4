// Threads and message data (docs/protocol.md → Threads, Message data): a reply is an entry
// of the room's seq stream with reply_to; its thread's first message counts the replies
// (also after a restart); the thread pages on its own; a reply to a reply joins the first
// one's thread; a deleted first message keeps its thread. `data` is a JSON object stored
// and replayed as sent, size-limited; a message may be data alone.
#include "conversations.hpp"

namespace parley::test {
namespace {

namespace json = boost::json;

class Threads : public ParleyTest {
protected:
  void SetUp() override {
    start_server();
    connect_both();
    root = get_int(send_message(*alice, "general", "lunch?"), "seq");
  }
  void connect_both() {
    alice = connect("alice");
    bob = connect("bob");
    join(*alice, "general");
    join(*bob, "general");
  }
  json::object reply(WsClient& c, std::int64_t to, std::string_view text) {
    return request(c, "message", {{"room", "general"}, {"id", new_id()}, {"text", text}, {"reply_to", to}});
  }
  json::object thread(WsClient& c, std::int64_t seq, json::object page = {}) {
    page["room"] = "general";
    page["seq"] = seq;
    return request(c, "thread", std::move(page));
  }
  json::object entry_at(WsClient& c, std::int64_t seq) {
    const json::object page = history(c, "general", std::nullopt);
    for (auto& m : page.at("messages").as_array()) {
      if (get_int(m.as_object(), "seq") == seq) return m.as_object();
    }
    throw std::runtime_error("no entry " + std::to_string(seq));
  }
  std::unique_ptr<WsClient> alice, bob;
  std::int64_t root = 0;
};

TEST_F(Threads, RepliesAreRoomEntriesAndTheFirstMessageCountsThem) {
  auto ack = reply(*bob, root, "yes");
  ASSERT_EQ(ack.at("type"), "ack") << to_string(ack);
  EXPECT_EQ(get_int(ack, "seq"), root + 1) << "a reply takes the room's next seq";
  auto seen = alice->expect(has({{"type", "message"}, {"seq", root + 1}}), "the reply");
  EXPECT_EQ(get_int(seen, "reply_to"), root);
  auto second = reply(*alice, root, "noon");
  auto parent = entry_at(*bob, root);
  EXPECT_EQ(get_int(parent, "reply_count"), 2);
  EXPECT_EQ(get_int(parent, "last_reply_ts"), get_int(second, "ts"));
  EXPECT_FALSE(entry_at(*bob, root + 1).contains("reply_count")) << "a reply has no thread of its own";
  // sync replays replies with the rest: nothing new for resume.
  auto page = sync(*bob, "general", 0);
  EXPECT_EQ(seqs_of(page), (std::vector<std::int64_t>{root, root + 1, root + 2}));
}

TEST_F(Threads, AThreadPagesOnItsOwnNewestPageFirst) {
  send_message(*alice, "general", "unrelated");
  std::vector<std::int64_t> replies;
  for (int i = 0; i < 5; ++i) replies.push_back(get_int(reply(*bob, root, "r" + std::to_string(i)), "seq"));
  auto newest = thread(*alice, root, {{"limit", 2}});
  ASSERT_EQ(newest.at("type"), "thread") << to_string(newest);
  EXPECT_EQ(get_int(newest, "seq"), root);
  EXPECT_EQ(seqs_of(newest), (std::vector<std::int64_t>{replies[3], replies[4]}));
  EXPECT_TRUE(newest.at("has_more").as_bool());
  auto older = thread(*alice, root, {{"before", replies[3]}, {"limit", 10}});
  EXPECT_EQ(seqs_of(older), (std::vector<std::int64_t>{replies[0], replies[1], replies[2]}));
  EXPECT_FALSE(older.at("has_more").as_bool());
  auto after = thread(*alice, root, {{"after", replies[1]}, {"limit", 2}});
  EXPECT_EQ(seqs_of(after), (std::vector<std::int64_t>{replies[2], replies[3]}));
  EXPECT_TRUE(after.at("has_more").as_bool());
  EXPECT_EQ(code_of(thread(*alice, root, {{"after", 1}, {"before", 9}})), "bad_request");
}

TEST_F(Threads, AReplyToAReplyJoinsTheFirstOnesThread) {
  auto first = get_int(reply(*bob, root, "yes"), "seq");
  auto nested = reply(*alice, first, "where?");
  ASSERT_EQ(nested.at("type"), "ack") << to_string(nested);
  auto seen = bob->expect(has({{"type", "message"}, {"seq", get_int(nested, "seq")}}), "the nested reply");
  EXPECT_EQ(get_int(seen, "reply_to"), root);
  EXPECT_EQ(get_int(entry_at(*bob, root), "reply_count"), 2);
  EXPECT_EQ(code_of(thread(*bob, first)), "not_found") << "a reply is no thread";
}

TEST_F(Threads, RepliesNeedALiveMessageOfTheRoom) {
  EXPECT_EQ(code_of(reply(*bob, 99, "to nothing")), "not_found");
  auto edit = entry(*alice, "edit", "general", root, {{"text", "lunch at 12?"}});
  EXPECT_EQ(code_of(reply(*bob, get_int(edit, "seq"), "to an edit")), "not_found");
  auto refused = request(*bob, "message", {{"room", "general"}, {"id", new_id()}, {"text", "x"}, {"reply_to", 0}});
  EXPECT_EQ(code_of(refused), "bad_request");
  EXPECT_EQ(code_of(thread(*bob, 99)), "not_found");
}

TEST_F(Threads, ADeletedFirstMessageKeepsItsThreadUnderATombstone) {
  auto r = get_int(reply(*bob, root, "yes"), "seq");
  ASSERT_EQ(entry(*alice, "delete", "general", root).at("type"), "ack");
  auto parent = entry_at(*bob, root);
  EXPECT_TRUE(parent.at("deleted").as_bool());
  EXPECT_EQ(get_int(parent, "reply_count"), 1);
  EXPECT_EQ(seqs_of(thread(*bob, root)), (std::vector<std::int64_t>{r}));
  EXPECT_EQ(code_of(reply(*bob, root, "late")), "not_found") << "no new replies to a deleted message";
}

TEST_F(Threads, OnlyMembersReadAThread) {
  reply(*bob, root, "yes");
  auto carol = connect("carol");
  EXPECT_EQ(code_of(thread(*carol, root)), "forbidden");
}

TEST_F(Threads, CountsAndThreadsSurviveARestart) {
  reply(*bob, root, "one");
  auto last = reply(*bob, root, "two");
  restart_server();
  alice = connect("alice");
  EXPECT_EQ(get_int(entry_at(*alice, root), "reply_count"), 2);
  EXPECT_EQ(get_int(entry_at(*alice, root), "last_reply_ts"), get_int(last, "ts"));
  EXPECT_EQ(seqs_of(thread(*alice, root)).size(), 2u);
  EXPECT_EQ(get_int(entry_at(*alice, root + 1), "reply_to"), root);
}

TEST_F(Threads, DataIsStoredAndReplayedAsSent) {
  const json::object data = json::parse(R"({"card":{"title":"Standup","at":[9,30]},"ok":true,"n":null})").as_object();
  auto ack = request(*alice, "message", {{"room", "general"}, {"id", new_id()}, {"text", "see card"}, {"data", data}});
  ASSERT_EQ(ack.at("type"), "ack") << to_string(ack);
  auto seen = bob->expect(has({{"type", "message"}, {"seq", get_int(ack, "seq")}}), "the message with data");
  EXPECT_EQ(seen.at("data"), data);
  EXPECT_EQ(entry_at(*bob, get_int(ack, "seq")).at("data"), data);
  restart_server();
  bob = connect("bob");
  EXPECT_EQ(entry_at(*bob, get_int(ack, "seq")).at("data"), data) << "after a restart";
}

TEST_F(Threads, AMessageMayBeDataAloneButNeedsOneOfThem) {
  auto ack = request(*alice, "message", {{"room", "general"}, {"id", new_id()}, {"data", {{"lat", 52.5}, {"lon", 13.4}}}});
  ASSERT_EQ(ack.at("type"), "ack") << to_string(ack);
  auto seen = bob->expect(has({{"type", "message"}, {"seq", get_int(ack, "seq")}}), "data alone");
  EXPECT_EQ(seen.at("text"), "");
  EXPECT_EQ(seen.at("data").at("lat"), 52.5);
  EXPECT_EQ(code_of(request(*alice, "message", {{"room", "general"}, {"id", new_id()}})), "bad_request");
  EXPECT_EQ(code_of(request(*alice, "message", {{"room", "general"}, {"id", new_id()}, {"text", "x"}, {"data", "str"}})),
            "bad_request");
  EXPECT_EQ(code_of(request(*alice, "message", {{"room", "general"}, {"id", new_id()}, {"text", "x"}, {"data", json::array{1}}})),
            "bad_request");
}

TEST_F(Threads, DataOverTheLimitIsTooLargeAndNothingIsStored) {
  stop_server();
  start_server({{"--max-data-bytes", "64"}});
  connect_both();
  const std::string big(80, 'x');
  auto refused = request(*alice, "message", {{"room", "general"}, {"id", new_id()}, {"text", "x"}, {"data", {{"k", big}}}});
  EXPECT_EQ(code_of(refused), "too_large");
  auto ok = request(*alice, "message", {{"room", "general"}, {"id", new_id()}, {"text", "x"}, {"data", {{"k", "small"}}}});
  ASSERT_EQ(ok.at("type"), "ack") << to_string(ok);
  EXPECT_EQ(get_int(ok, "seq"), root + 1) << "the refused one took no seq";
}

TEST_F(Threads, TheServerApiRepliesWithDataAndPagesThreads) {
  stop_server();
  start_server({{"--api-keys", "threads-key-51a7"}});
  ApiClient api(port(), "threads-key-51a7");
  auto posted = api.post("/api/v1/rooms/general/messages",
                         {{"user", "bob"}, {"text", "from the backend"}, {"reply_to", root}, {"data", {{"bot", true}}}});
  ASSERT_EQ(posted.status, 201) << posted.body;
  auto page = api.get("/api/v1/rooms/general/messages/" + std::to_string(root) + "/thread");
  ASSERT_EQ(page.status, 200) << page.body;
  auto body = json::parse(page.body).as_object();
  ASSERT_EQ(body.at("messages").as_array().size(), 1u) << page.body;
  auto r = body.at("messages").as_array()[0].as_object();
  EXPECT_EQ(get_int(r, "reply_to"), root);
  EXPECT_EQ(r.at("data"), (json::object{{"bot", true}}));
  EXPECT_EQ(api.get("/api/v1/rooms/general/messages/x/thread").status, 400);
  EXPECT_EQ(api.get("/api/v1/rooms/general/messages/99/thread").status, 404);
  auto bad = api.post("/api/v1/rooms/general/messages", {{"user", "bob"}, {"text", "x"}, {"reply_to", 99}});
  EXPECT_EQ(bad.status, 404) << bad.body;
}

}  // namespace
}  // namespace parley::test
