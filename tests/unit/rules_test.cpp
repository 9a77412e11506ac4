// The stores' shared rules (store/rules.hpp) and the word filter (hub/word_filter.hpp).
#include <gtest/gtest.h>

#include "hub/word_filter.hpp"
#include "store/rules.hpp"

using namespace parley;

namespace {

ModerationRequest by(std::string actor, std::string target, ModerationAction a = ModerationAction::kick) {
  return ModerationRequest{"general", std::move(actor), std::move(target), a};
}

TEST(ModerationRules, NeedAHigherRoleThanTheTarget) {
  rules::ModerationFacts f{RoomKind::public_room, Role::moderator, Role::member};
  EXPECT_TRUE(rules::check_moderation(by("mod", "bob"), f).is_ok());
  f.target_role = Role::moderator;
  EXPECT_EQ(rules::check_moderation(by("mod", "other"), f).code(), Status::Code::forbidden);
  f.actor_role = Role::member;
  f.target_role = Role::member;
  EXPECT_EQ(rules::check_moderation(by("bob", "carol"), f).code(), Status::Code::forbidden);
  f.actor_role = Role::moderator;
  EXPECT_EQ(rules::check_moderation(by("mod", "mod"), f).code(), Status::Code::forbidden) << "not on oneself";
  EXPECT_EQ(rules::check_moderation(by("mod", "bob", ModerationAction::set_role), f).code(), Status::Code::forbidden)
      << "roles are the owner's";
  f.target_role.reset();
  EXPECT_EQ(rules::check_moderation(by("mod", "gone"), f).code(), Status::Code::not_found);
  EXPECT_TRUE(rules::check_moderation(by("mod", "gone", ModerationAction::ban), f).is_ok()) << "a ban ahead of a join";
  f.room = RoomKind::direct;
  EXPECT_EQ(rules::check_moderation(by("", "bob"), f).code(), Status::Code::forbidden);
  f.room.reset();
  EXPECT_EQ(rules::check_moderation(by("", "bob"), f).code(), Status::Code::not_found);
}

TEST(ModerationRules, TheApiActsOnAnyone) {
  rules::ModerationFacts f{RoomKind::private_room, std::nullopt, Role::owner};
  EXPECT_TRUE(rules::check_moderation(by("", "olga"), f).is_ok());
}

TEST(JoinRules, EachKindAndMode) {
  using rules::check_join;
  JoinRequest open{"r", "bob", 10, JoinMode::open};
  EXPECT_TRUE(check_join(open, {std::nullopt}).is_ok()) << "a new room";
  EXPECT_TRUE(check_join(open, {RoomKind::public_room}).is_ok());
  EXPECT_EQ(check_join(open, {RoomKind::private_room}).code(), Status::Code::forbidden);
  EXPECT_EQ(check_join(open, {RoomKind::direct}).code(), Status::Code::forbidden);
  EXPECT_EQ(check_join(open, {RoomKind::public_room, true}).code(), Status::Code::forbidden) << "banned";
  JoinRequest invite{"r", "bob", 10, JoinMode::invite, "alice"};
  EXPECT_EQ(check_join(invite, {RoomKind::private_room, false, Role::member}).code(), Status::Code::forbidden);
  EXPECT_TRUE(check_join(invite, {RoomKind::private_room, false, Role::moderator}).is_ok());
  EXPECT_TRUE(check_join(invite, {RoomKind::public_room, false, Role::member}).is_ok());
  EXPECT_EQ(check_join(invite, {RoomKind::public_room, false, std::nullopt}).code(), Status::Code::forbidden);
  EXPECT_EQ(check_join(invite, {std::nullopt}).code(), Status::Code::not_found);
  JoinRequest admin{"r", "bob", 10, JoinMode::admin};
  EXPECT_TRUE(check_join(admin, {RoomKind::private_room}).is_ok());
  EXPECT_EQ(check_join(admin, {RoomKind::direct}).code(), Status::Code::forbidden);
}

TEST(TargetRules, EditsAreTheAuthorsWithinTheWindow) {
  AppendRequest edit{"r", "alice", "e", "new", 1000};
  edit.kind = EntryKind::edited;
  edit.target = 1;
  edit.edit_window_ms = 500;
  rules::Target t{"alice", 600};
  EXPECT_TRUE(rules::check_target(edit, t).is_ok());
  t.ts = 499;
  EXPECT_EQ(rules::check_target(edit, t).code(), Status::Code::forbidden);
  t = {"bob", 900};
  EXPECT_EQ(rules::check_target(edit, t).code(), Status::Code::forbidden);
  EXPECT_EQ(rules::check_target(edit, std::nullopt).code(), Status::Code::not_found);
  t = {"alice", 900, EntryKind::message, true};
  EXPECT_EQ(rules::check_target(edit, t).code(), Status::Code::not_found) << "deleted";
  AppendRequest del = edit;
  del.kind = EntryKind::deleted;
  t = {"bob", 0};
  EXPECT_EQ(rules::check_target(del, t).code(), Status::Code::forbidden);
  del.moderator = true;
  EXPECT_TRUE(rules::check_target(del, t).is_ok());
}

TEST(SearchWords, SplitOnAnythingButLettersDigitsAndNonAscii) {
  EXPECT_EQ(rules::search_words("Deploy, deploy AT 5!"), (std::vector<std::string>{"Deploy", "deploy", "AT", "5"}));
  EXPECT_EQ(rules::search_words("\" OR * NEAR("), (std::vector<std::string>{"OR", "NEAR"}));
  EXPECT_EQ(rules::fts5_query({"a", "b"}), "\"a\" \"b\"");
  EXPECT_EQ(rules::search_words("café crème"), (std::vector<std::string>{"café", "crème"}));
}

TEST(WordFilterTest, MasksWholeWordsIgnoringCase) {
  WordFilter f({"Darn"});
  std::string text = "darn! DARN darned adarn";
  EXPECT_TRUE(f.apply(text));
  EXPECT_EQ(text, "****! **** darned adarn");
  std::string clean = "fine";
  EXPECT_FALSE(f.apply(clean));
  EXPECT_FALSE(WordFilter().apply(clean));
}

}  // namespace
