// Roles and moderation: mute, kick, ban, delete with tombstones, block lists and the word
// filter, each with its effect on the other members.
#include "conversations.hpp"

namespace parley::test {
namespace {

namespace json = boost::json;

class Moderation : public ParleyTest {
protected:
  void SetUp() override {
    start_server();
    owner = connect("olga");
    mod = connect("mike");
    bob = connect("bob");
    join(*owner, "general");
    join(*mod, "general");
    join(*bob, "general");
    EXPECT_EQ(request(*owner, "role", {{"room", "general"}, {"user", "mike"}, {"role", "moderator"}}).at("type"), "ok");
    bob->expect(has({{"type", "member"}, {"user", "mike"}, {"action", "role"}, {"role", "moderator"}}));
  }
  std::unique_ptr<WsClient> owner, mod, bob;
};

TEST_F(Moderation, OnlyAHigherRoleActs) {
  EXPECT_EQ(code_of(request(*bob, "kick", {{"room", "general"}, {"user", "mike"}})), "forbidden");
  EXPECT_EQ(code_of(request(*bob, "mute", {{"room", "general"}, {"user", "olga"}, {"seconds", 60}})), "forbidden");
  EXPECT_EQ(code_of(request(*mod, "kick", {{"room", "general"}, {"user", "olga"}})), "forbidden");
  EXPECT_EQ(code_of(request(*mod, "role", {{"room", "general"}, {"user", "bob"}, {"role", "moderator"}})), "forbidden");
  EXPECT_EQ(code_of(request(*mod, "kick", {{"room", "general"}, {"user", "nobody"}})), "not_found");
  EXPECT_EQ(code_of(request(*owner, "role", {{"room", "general"}, {"user", "bob"}, {"role", "owner"}})), "bad_request");
}

TEST_F(Moderation, KickedMembersLeaveAndMayRejoinAPublicRoom) {
  EXPECT_EQ(request(*mod, "kick", {{"room", "general"}, {"user", "bob"}}).at("type"), "ok");
  bob->expect(has({{"type", "left"}, {"room", "general"}, {"reason", "kicked"}}));
  owner->expect(has({{"type", "member"}, {"user", "bob"}, {"action", "kicked"}, {"by", "mike"}}));
  owner->expect(presence("general", "bob", "offline"), "bob offline");
  EXPECT_EQ(code_of(request(*bob, "message", {{"room", "general"}, {"id", new_id()}, {"text", "hi"}})), "forbidden");
  join(*bob, "general");
  send_message(*bob, "general", "back");
}

TEST_F(Moderation, BannedUsersCannotRejoinUntilUnbanned) {
  EXPECT_EQ(request(*mod, "ban", {{"room", "general"}, {"user", "bob"}}).at("type"), "ok");
  bob->expect(has({{"type", "left"}, {"room", "general"}, {"reason", "banned"}}));
  owner->expect(has({{"type", "member"}, {"user", "bob"}, {"action", "banned"}}));
  EXPECT_EQ(code_of(request(*bob, "join", {{"room", "general"}})), "forbidden");
  EXPECT_EQ(code_of(request(*owner, "invite", {{"room", "general"}, {"user", "bob"}})), "forbidden");
  restart_server();
  owner = connect("olga");
  bob = connect("bob");
  EXPECT_EQ(code_of(request(*bob, "join", {{"room", "general"}})), "forbidden") << "the ban is stored";
  EXPECT_EQ(request(*owner, "unban", {{"room", "general"}, {"user", "bob"}}).at("type"), "ok");
  join(*bob, "general");
}

TEST_F(Moderation, MutedMembersCannotSendUntilUnmuted) {
  EXPECT_EQ(request(*mod, "mute", {{"room", "general"}, {"user", "bob"}, {"seconds", 600}}).at("type"), "ok");
  auto notice = owner->expect(has({{"type", "member"}, {"user", "bob"}, {"action", "muted"}}));
  const std::int64_t until = get_int(notice, "until");
  bob->expect(has({{"type", "member"}, {"user", "bob"}, {"action", "muted"}}));
  auto refused = request(*bob, "message", {{"room", "general"}, {"id", new_id()}, {"text", "hi"}});
  EXPECT_EQ(code_of(refused), "muted");
  EXPECT_EQ(get_int(refused, "until"), until);
  // Other members are unaffected; the mute survives a reconnect.
  send_message(*owner, "general", "still here");
  bob = connect("bob");
  bool muted_in_welcome = false;
  const json::object welcome = welcome_of(*bob);
  for (auto& r : welcome.at("rooms").as_array()) {
    muted_in_welcome |= r.as_object().at("room") == "general" && get_int(r.as_object(), "muted_until") == until;
  }
  EXPECT_TRUE(muted_in_welcome);
  EXPECT_EQ(code_of(request(*bob, "message", {{"room", "general"}, {"id", new_id()}, {"text", "hi"}})), "muted");
  EXPECT_EQ(request(*mod, "mute", {{"room", "general"}, {"user", "bob"}, {"seconds", 0}}).at("type"), "ok");
  bob->expect(has({{"type", "member"}, {"user", "bob"}, {"action", "unmuted"}}));
  send_message(*bob, "general", "free again");
}

TEST_F(Moderation, DeletedMessagesBecomeTombstonesForEveryone) {
  auto mine = send_message(*bob, "general", "oops");
  auto theirs = send_message(*owner, "general", "rude words");
  const std::int64_t seq_mine = get_int(mine, "seq"), seq_theirs = get_int(theirs, "seq");
  EXPECT_EQ(code_of(entry(*bob, "delete", "general", seq_theirs)), "forbidden") << "a member deletes only their own";
  EXPECT_EQ(entry(*bob, "delete", "general", seq_mine).at("type"), "ack");
  EXPECT_EQ(entry(*mod, "delete", "general", seq_theirs).at("type"), "ack") << "moderators delete anyone's";
  auto seen = owner->expect(has({{"type", "deleted"}, {"target", seq_theirs}}), "deleted event");
  EXPECT_EQ(seen.at("user"), "mike");
  EXPECT_EQ(code_of(entry(*mod, "delete", "general", seq_theirs)), "not_found") << "already deleted";
  const json::object page = history(*bob, "general", std::nullopt);
  for (auto& m : page.at("messages").as_array()) {
    auto& o = m.as_object();
    if (get_int(o, "seq") == seq_mine || get_int(o, "seq") == seq_theirs) {
      EXPECT_EQ(o.at("deleted"), true);
      EXPECT_EQ(o.at("text"), "");
    }
  }
}

TEST_F(Moderation, BlockedUsersCannotMessageTheBlockerAndTheirTypingAndPresenceAreHidden) {
  auto other_device = connect("bob");
  auto dm = request(*owner, "dm", {{"to", "bob"}});
  const std::string room(dm.at("room").as_string());
  auto blocks = request(*bob, "block", {{"user", "olga"}});
  EXPECT_EQ(blocks.at("type"), "blocks");
  EXPECT_EQ(blocks.at("blocked"), json::array({"olga"}));
  other_device->expect(has({{"type", "blocks"}, {"blocked", json::array({"olga"})}}), "the other device's list");
  EXPECT_EQ(code_of(request(*owner, "message", {{"room", room}, {"id", new_id()}, {"text", "hey"}})), "forbidden");
  auto carol = connect("carol");
  EXPECT_EQ(request(*bob, "block", {{"user", "carol"}}).at("type"), "blocks");
  EXPECT_EQ(code_of(request(*carol, "dm", {{"to", "bob"}})), "forbidden");
  send_message(*bob, room, "bob may still write");

  // Typing and presence of olga no longer reach bob; mike still sees them.
  owner->send_json({{"type", "typing"}, {"room", "general"}, {"active", true}});
  mod->expect(typing("general", "olga", true), "mike sees olga typing");
  owner.reset();
  mod->expect(presence("general", "olga", "offline"), "mike sees olga leave");
  const std::string marker = new_id();
  send_message(*mod, "general", "marker", marker);
  bob->expect(message_with_id(marker), "marker");
  EXPECT_EQ(bob->count(has({{"type", "typing"}, {"user", "olga"}})), 0u) << bob->dump();
  EXPECT_EQ(bob->count(has({{"type", "presence"}, {"user", "olga"}, {"status", "offline"}})), 0u) << bob->dump();

  EXPECT_EQ(welcome_of(*connect("bob")).at("blocked"), json::array({"carol", "olga"}));
  EXPECT_EQ(request(*bob, "unblock", {{"user", "olga"}}).at("blocked"), json::array({"carol"}));
  owner = connect("olga");
  send_message(*owner, room, "hello again");
}

class WordFilter : public ParleyTest {};

TEST_F(WordFilter, MasksListedWordsInMessagesAndEdits) {
  start_server({{"--word-filter", "darn,heck"}});
  auto a = connect("alice");
  join(*a, "general");
  auto ack = send_message(*a, "general", "Darn it, what the heck; darned");
  a->expect(has({{"type", "message"}, {"text", "**** it, what the ****; darned"}}));
  EXPECT_EQ(entry(*a, "edit", "general", get_int(ack, "seq"), {{"text", "oh HECK"}}).at("type"), "ack");
  a->expect(has({{"type", "edited"}, {"text", "oh ****"}}));
}

TEST_F(WordFilter, RejectModeRefusesTheText) {
  start_server({{"--word-filter", "darn"}, {"--word-filter-mode", "reject"}});
  auto a = connect("alice");
  join(*a, "general");
  EXPECT_EQ(code_of(request(*a, "message", {{"room", "general"}, {"id", new_id()}, {"text", "darn"}})), "filtered");
  send_message(*a, "general", "fine words");
  EXPECT_EQ(all_messages(*a, "general").size(), 1u);
}

}  // namespace
}  // namespace parley::test
