#include "protocol/encode.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

using namespace parley;
namespace json = boost::json;

TEST(Encode, MessageHasTypeFirstAndEveryField) {
  auto f = encode::message(ChatMessage{"general", 43, 1710600000123, "alice", "u-1", "hi \"there\" <b>"});
  EXPECT_EQ(f->rfind(R"({"type":"message",)", 0), 0u) << *f;
  auto v = json::parse(*f).as_object();
  EXPECT_EQ(v["room"], "general");
  EXPECT_EQ(v["seq"], 43);
  EXPECT_EQ(v["ts"], 1710600000123);
  EXPECT_EQ(v["user"], "alice");
  EXPECT_EQ(v["id"], "u-1");
  EXPECT_EQ(v["text"], "hi \"there\" <b>");
}

TEST(Encode, RefIsEchoedOnlyWhenGiven) {
  auto with = json::parse(*encode::ack("r", "id", 1, 2, json::value("x"))).as_object();
  EXPECT_EQ(with["ref"], "x");
  auto without = json::parse(*encode::ack("r", "id", 1, 2, nullptr)).as_object();
  EXPECT_FALSE(without.contains("ref"));
}

TEST(Encode, HistoryListsMessagesAscending) {
  MessagePage page{{ChatMessage{"r", 1, 10, "a", "x", "one"}, ChatMessage{"r", 2, 11, "b", "y", "two"}}, true};
  auto v = json::parse(*encode::history("r", page, nullptr)).as_object();
  EXPECT_EQ(v["type"], "history");
  EXPECT_EQ(v["has_more"], true);
  auto& list = v["messages"].as_array();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].as_object().at("seq"), 1);
  EXPECT_EQ(list[1].as_object().at("text"), "two");
}

TEST(Encode, ErrorCarriesCodeIdAndRef) {
  auto v = json::parse(*encode::error("rate_limited", "slow down", json::value(5), "m1")).as_object();
  EXPECT_EQ(v["type"], "error");
  EXPECT_EQ(v["code"], "rate_limited");
  EXPECT_EQ(v["id"], "m1");
  EXPECT_EQ(v["ref"], 5);
}
