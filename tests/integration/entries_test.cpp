// Edits and reactions: events of the room's seq stream, stored, shown in history as the
// message's current state, and replayed in order by sync.
#include <chrono>

#include "conversations.hpp"

namespace parley::test {
namespace {

namespace json = boost::json;

class Entries : public ParleyTest {
protected:
  void SetUp() override {
    start_server();
    alice = connect("alice");
    bob = connect("bob");
    join(*alice, "general");
    join(*bob, "general");
    seq = get_int(send_message(*alice, "general", "helo"), "seq");
  }
  json::object history_entry(WsClient& c, std::int64_t at) {
    const json::object page = history(c, "general", std::nullopt);
    for (auto& m : page.at("messages").as_array()) {
      if (get_int(m.as_object(), "seq") == at) return m.as_object();
    }
    throw std::runtime_error("no entry " + std::to_string(at));
  }
  std::unique_ptr<WsClient> alice, bob;
  std::int64_t seq = 0;
};

TEST_F(Entries, OnlyTheAuthorEditsAndEveryMemberSeesTheEdit) {
  EXPECT_EQ(code_of(entry(*bob, "edit", "general", seq, {{"text", "hijacked"}})), "forbidden");
  auto ack = entry(*alice, "edit", "general", seq, {{"text", "hello"}});
  ASSERT_EQ(ack.at("type"), "ack") << json::serialize(ack);
  EXPECT_EQ(get_int(ack, "seq"), seq + 1) << "an edit takes the room's next seq";
  auto seen = bob->expect(has({{"type", "edited"}, {"target", seq}}), "edited event");
  EXPECT_EQ(seen.at("text"), "hello");
  EXPECT_EQ(seen.at("user"), "alice");
  auto current = history_entry(*bob, seq);
  EXPECT_EQ(current.at("text"), "hello");
  EXPECT_TRUE(current.contains("edited_ts"));
  EXPECT_EQ(code_of(entry(*alice, "edit", "general", 99, {{"text", "x"}})), "not_found");
  EXPECT_EQ(code_of(entry(*alice, "edit", "general", seq + 1, {{"text", "x"}})), "not_found") << "an edit is no message";
}

TEST_F(Entries, EditsAfterTheWindowAreRefused) {
  stop_server();  // same data; now with no edit window at all
  start_server({{"--edit-window-s", "0"}});
  alice = connect("alice");
  auto ack = send_message(*alice, "general", "typo");
  // Wait for the server's clock to pass the message's ts (the window is 0 ms).
  const auto ts = get_int(ack, "ts");
  while (std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count() <= ts) {
  }
  auto refused = entry(*alice, "edit", "general", get_int(ack, "seq"), {{"text", "fixed"}});
  EXPECT_EQ(code_of(refused), "forbidden");
}

TEST_F(Entries, ResentEditsAreDeduplicatedByTheirId) {
  json::object edit{{"type", "edit"}, {"room", "general"}, {"seq", seq}, {"id", "edit-1"}, {"text", "hello"}};
  alice->send_json(edit);
  auto first = alice->expect(has({{"type", "ack"}, {"id", "edit-1"}}), "first ack");
  alice->send_json(edit);
  auto second = alice->expect(has({{"type", "ack"}, {"id", "edit-1"}}), "second ack");
  EXPECT_EQ(get_int(first, "seq"), get_int(second, "seq"));
  send_message(*alice, "general", "after");
  EXPECT_EQ(all_messages(*bob, "general").size(), 3u) << "message, one edit, after";
}

TEST_F(Entries, ReactionsCountPerEmojiAndToggle) {
  EXPECT_EQ(entry(*alice, "react", "general", seq, {{"emoji", "👍"}}).at("type"), "ack");
  EXPECT_EQ(entry(*bob, "react", "general", seq, {{"emoji", "👍"}}).at("type"), "ack");
  EXPECT_EQ(entry(*bob, "react", "general", seq, {{"emoji", "🎉"}}).at("type"), "ack");
  alice->expect(has({{"type", "reaction"}, {"user", "bob"}, {"emoji", "🎉"}, {"op", "add"}, {"target", seq}}));
  auto m = history_entry(*alice, seq);
  EXPECT_EQ(m.at("reactions"), json::parse(R"([{"emoji":"🎉","count":1,"users":["bob"]},
                                               {"emoji":"👍","count":2,"users":["alice","bob"]}])"));
  EXPECT_EQ(entry(*bob, "react", "general", seq, {{"emoji", "👍"}, {"remove", true}}).at("type"), "ack");
  alice->expect(has({{"type", "reaction"}, {"user", "bob"}, {"emoji", "👍"}, {"op", "remove"}}));
  EXPECT_EQ(history_entry(*alice, seq).at("reactions"),
            json::parse(R"([{"emoji":"🎉","count":1,"users":["bob"]},{"emoji":"👍","count":1,"users":["alice"]}])"));
  EXPECT_EQ(code_of(entry(*bob, "react", "general", seq, {{"emoji", ""}})), "bad_request");
  EXPECT_EQ(entry(*alice, "delete", "general", seq).at("type"), "ack");
  EXPECT_EQ(code_of(entry(*bob, "react", "general", seq, {{"emoji", "👍"}})), "not_found") << "not on a tombstone";
  EXPECT_FALSE(history_entry(*alice, seq).contains("reactions"));
}

TEST_F(Entries, SyncReplaysEditsReactionsAndDeletionsInOrder) {
  const std::int64_t other = get_int(send_message(*bob, "general", "second"), "seq");
  bob.reset();  // bob is offline while the room changes
  entry(*alice, "edit", "general", seq, {{"text", "hello"}});
  entry(*alice, "react", "general", other, {{"emoji", "👍"}});
  entry(*alice, "edit", "general", seq, {{"text", "hello!"}});
  entry(*alice, "delete", "general", seq);
  restart_server();
  bob = connect("bob");
  auto page = sync(*bob, "general", other);
  std::vector<std::string> kinds;
  for (auto& m : page.at("messages").as_array()) kinds.emplace_back(m.as_object().at("kind").as_string());
  EXPECT_EQ(kinds, (std::vector<std::string>{"edited", "reaction", "edited", "deleted"}));
  auto& entries = page.at("messages").as_array();
  EXPECT_EQ(get_int(entries[0].as_object(), "target"), seq);
  EXPECT_EQ(entries[0].as_object().at("text"), "") << "an edit of a deleted message loses its text";
  EXPECT_EQ(entries[1].as_object().at("emoji"), "👍");
  EXPECT_EQ(entries[1].as_object().at("op"), "add");
  auto first = sync(*bob, "general", 0, 2).at("messages").as_array();
  EXPECT_EQ(first[0].as_object().at("deleted"), true);
  EXPECT_EQ(first[1].as_object().at("reactions").as_array().size(), 1u);
}

TEST_F(Entries, MutedMembersCannotEditOrReactButMayDelete) {
  auto owner_reply = request(*alice, "mute", {{"room", "general"}, {"user", "bob"}, {"seconds", 60}});
  EXPECT_EQ(owner_reply.at("type"), "ok");
  bob->expect(has({{"type", "member"}, {"action", "muted"}}));
  EXPECT_EQ(code_of(entry(*bob, "react", "general", seq, {{"emoji", "👍"}})), "muted");
}

}  // namespace
}  // namespace parley::test
