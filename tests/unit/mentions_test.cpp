// Mentions read out of a message's text (hub/mentions.hpp): where an @ starts one, what a
// name is, @room, duplicates, the cap.
#include "hub/mentions.hpp"

#include <gtest/gtest.h>

using namespace parley;

namespace {

std::vector<std::string> users(std::string_view text) { return parse_mentions(text).users; }

TEST(Mentions, NamesAfterAnAtAreReadSortedAndOnce) {
  EXPECT_EQ(users("@carol and @bob, then @carol again"), (std::vector<std::string>{"bob", "carol"}));
  EXPECT_EQ(users("(@dan) \"@eve\" @Fay!"), (std::vector<std::string>{"dan", "eve", "fay"}));
  EXPECT_EQ(users("@a_1:"), (std::vector<std::string>{"a_1"}));
}

TEST(Mentions, AddressesPathsAndWordsAreNone) {
  EXPECT_TRUE(users("mail@example.org").empty());
  EXPECT_TRUE(users("a.b@c d/@e x-@f y+@g @@h").empty());
  EXPECT_TRUE(users("@ alone, @").empty());
  EXPECT_TRUE(users("@" + std::string(33, 'a')).empty()) << "longer than a name";
  EXPECT_EQ(users("@" + std::string(32, 'a')).size(), 1u);
  EXPECT_EQ(users("@bob-smith"), (std::vector<std::string>{"bob"})) << "a name ends where its characters do";
}

TEST(Mentions, RoomIsTheRoomNeverAUser) {
  auto m = parse_mentions("@room heads up @bob");
  EXPECT_TRUE(m.room);
  EXPECT_EQ(m.users, (std::vector<std::string>{"bob"}));
  EXPECT_FALSE(parse_mentions("@roomy").room);
  EXPECT_TRUE(parse_mentions("@ROOM").room);
}

TEST(Mentions, AtMostTheCapOfUsersAreKept) {
  std::string text;
  for (int i = 0; i < 40; ++i) text += "@u" + std::to_string(i) + " ";
  auto m = parse_mentions(text);
  EXPECT_EQ(m.users.size(), kMaxMentions);
  EXPECT_TRUE(std::find(m.users.begin(), m.users.end(), "u0") != m.users.end()) << "the first ones by position";
  EXPECT_TRUE(std::find(m.users.begin(), m.users.end(), "u39") == m.users.end());
}

}  // namespace
