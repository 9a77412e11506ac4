// Mentions and notification levels (docs/protocol.md → Mentions): the server parses @user
// and @room, carries them on the message, and keeps per member and room the unread mention
// count (welcome, joined, the mentions event after a read); @room only from owners and
// moderators; mentions by users one blocks, by oneself, or in deleted messages do not
// count; notify none counts nothing.
#include "conversations.hpp"

namespace parley::test {
namespace {

namespace json = boost::json;

class Mentions : public ParleyTest {
protected:
  void SetUp() override {
    start_server();
    alice = connect("alice");  // the owner: first to join
    bob = connect("bob");
    carol = connect("carol");
    join(*alice, "general");
    join(*bob, "general");
    join(*carol, "general");
  }
  // The user's unread mentions in general as a fresh connection's welcome tells them.
  std::int64_t mentions_of(std::string_view user) {
    auto c = connect(user);
    const json::object welcome = welcome_of(*c);
    for (auto& r : welcome.at("rooms").as_array()) {
      if (r.at("room") == "general") return get_int(r.as_object(), "mentions");
    }
    throw std::runtime_error("general not in the welcome");
  }
  std::unique_ptr<WsClient> alice, bob, carol;
};

TEST_F(Mentions, NamedUsersAreCarriedOnTheMessageAndCountedUntilRead) {
  auto ack = send_message(*alice, "general", "@bob and @Carol, see mail@example.org or @nobody_here");
  auto seen = bob->expect(has({{"type", "message"}, {"seq", get_int(ack, "seq")}}), "the message");
  EXPECT_EQ(seen.at("mentions"), (json::array{"bob", "carol", "nobody_here"}));
  EXPECT_FALSE(seen.contains("mention_room"));
  EXPECT_EQ(mentions_of("bob"), 1);
  EXPECT_EQ(mentions_of("carol"), 1);
  EXPECT_EQ(mentions_of("alice"), 0) << "the author's own message";
  send_message(*alice, "general", "again @bob");
  EXPECT_EQ(mentions_of("bob"), 2);
  // A read moves the count down, and every device of the reader is told.
  auto other_device = connect("bob");
  bob->send_json({{"type", "read"}, {"room", "general"}, {"seq", get_int(ack, "seq")}});
  auto told = other_device->expect(has({{"type", "mentions"}, {"room", "general"}}), "mentions after a read");
  EXPECT_EQ(get_int(told, "count"), 1);
  EXPECT_EQ(mentions_of("bob"), 1);
}

TEST_F(Mentions, JoinedCarriesTheCount) {
  send_message(*alice, "general", "hi @dave");
  auto dave = connect("dave");
  auto joined = join(*dave, "general");
  EXPECT_EQ(get_int(joined, "mentions"), 1) << to_string(joined);
  EXPECT_EQ(joined.at("notify"), "all");
}

TEST_F(Mentions, RoomMentionsNeedAModeratorOrTheOwner) {
  auto by_member = send_message(*bob, "general", "@room free cake");
  auto seen = carol->expect(has({{"type", "message"}, {"seq", get_int(by_member, "seq")}}), "the member's @room");
  EXPECT_FALSE(seen.contains("mention_room")) << "a member's @room is text";
  EXPECT_EQ(mentions_of("carol"), 0);
  auto by_owner = send_message(*alice, "general", "@room standup now");
  seen = carol->expect(has({{"type", "message"}, {"seq", get_int(by_owner, "seq")}}), "the owner's @room");
  EXPECT_TRUE(seen.at("mention_room").as_bool());
  EXPECT_EQ(mentions_of("carol"), 1);
  EXPECT_EQ(mentions_of("bob"), 1);
  ASSERT_EQ(request(*alice, "role", {{"room", "general"}, {"user", "bob"}, {"role", "moderator"}}).at("type"), "ok");
  send_message(*bob, "general", "@room and @carol");
  EXPECT_EQ(mentions_of("carol"), 2) << "a moderator's @room counts once with the name";
}

TEST_F(Mentions, BlockedAuthorsAndDeletedMessagesDoNotCount) {
  ASSERT_EQ(request(*carol, "block", {{"user", "bob"}}).at("type"), "blocks");
  send_message(*bob, "general", "@carol hey");
  EXPECT_EQ(mentions_of("carol"), 0);
  auto ack = send_message(*alice, "general", "@carol oops");
  EXPECT_EQ(mentions_of("carol"), 1);
  ASSERT_EQ(entry(*alice, "delete", "general", get_int(ack, "seq")).at("type"), "ack");
  EXPECT_EQ(mentions_of("carol"), 0);
  ASSERT_EQ(request(*carol, "unblock", {{"user", "bob"}}).at("type"), "blocks");
  EXPECT_EQ(mentions_of("carol"), 1) << "the block's end counts the unread mention again";
}

TEST_F(Mentions, NotifyLevelsAreStoredAndNoneCountsNothing) {
  send_message(*alice, "general", "@bob ping");
  auto other_device = connect("bob");
  auto answer = request(*bob, "notify", {{"room", "general"}, {"level", "none"}});
  ASSERT_EQ(answer.at("type"), "notify") << to_string(answer);
  EXPECT_EQ(answer.at("level"), "none");
  EXPECT_EQ(get_int(answer, "mentions"), 0);
  auto told = other_device->expect(has({{"type", "notify"}, {"room", "general"}}), "the other device");
  EXPECT_EQ(told.at("level"), "none");
  EXPECT_EQ(mentions_of("bob"), 0);
  restart_server();
  bob = connect("bob");
  const json::object welcome = welcome_of(*bob);
  const json::array& rooms = welcome.at("rooms").as_array();
  ASSERT_EQ(rooms.size(), 1u);
  EXPECT_EQ(rooms[0].at("notify"), "none") << "stored";
  answer = request(*bob, "notify", {{"room", "general"}, {"level", "mentions"}});
  EXPECT_EQ(get_int(answer, "mentions"), 1) << "counted again";
  EXPECT_EQ(code_of(request(*bob, "notify", {{"room", "general"}, {"level", "loud"}})), "bad_request");
  EXPECT_EQ(code_of(request(*bob, "notify", {{"room", "elsewhere"}, {"level", "all"}})), "forbidden");
}

TEST_F(Mentions, SystemMessagesMayMentionTheRoom) {
  stop_server();
  start_server({{"--api-keys", "mentions-key-90c2"}});
  ApiClient api(port(), "mentions-key-90c2");
  api.publish("general", {{"system", true}, {"text", "@room maintenance at ten"}});
  EXPECT_EQ(mentions_of("bob"), 1);
  EXPECT_EQ(mentions_of("alice"), 1);
}

}  // namespace
}  // namespace parley::test
