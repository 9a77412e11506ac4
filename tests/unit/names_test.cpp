#include "common/names.hpp"

#include <gtest/gtest.h>

using namespace parley;

TEST(Names, Rooms) {
  EXPECT_TRUE(valid_room_name("general"));
  EXPECT_TRUE(valid_room_name("a"));
  EXPECT_TRUE(valid_room_name("0-team_x"));
  EXPECT_TRUE(valid_room_name(std::string(64, 'a')));
  EXPECT_FALSE(valid_room_name(std::string(65, 'a')));
  EXPECT_FALSE(valid_room_name(""));
  EXPECT_FALSE(valid_room_name("-a"));
  EXPECT_FALSE(valid_room_name("_a"));
  EXPECT_FALSE(valid_room_name("General"));
  EXPECT_FALSE(valid_room_name("a b"));
  EXPECT_FALSE(valid_room_name("a';drop"));
}

TEST(Names, Users) {
  EXPECT_TRUE(valid_user_name("alice_2"));
  EXPECT_TRUE(valid_user_name(std::string(32, 'z')));
  EXPECT_FALSE(valid_user_name(std::string(33, 'z')));
  EXPECT_FALSE(valid_user_name(""));
  EXPECT_FALSE(valid_user_name("al-ice"));
  EXPECT_FALSE(valid_user_name("Alice"));
}

TEST(Names, Utf8LengthCountsCodePoints) {
  EXPECT_EQ(utf8_length("abc"), 3u);
  EXPECT_EQ(utf8_length("h\xC3\xA9llo"), 5u);          // é
  EXPECT_EQ(utf8_length("\xF0\x9F\x98\x80"), 1u);       // 😀
}
