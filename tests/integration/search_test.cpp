// Full-text search: whole words, newest first, only in rooms the user is a member of now;
// deleted messages are not found, edited ones by their new text.
#include <set>

#include "conversations.hpp"

namespace parley::test {
namespace {

namespace json = boost::json;

std::vector<std::string> texts(const json::object& results) {
  std::vector<std::string> out;
  for (auto& m : results.at("messages").as_array()) out.emplace_back(m.as_object().at("text").as_string());
  return out;
}

class Search : public ParleyTest {
protected:
  void SetUp() override {
    start_server();
    alice = connect("alice");
    bob = connect("bob");
    join(*alice, "ops");
    join(*bob, "ops");
    request(*alice, "create", {{"room", "board"}, {"kind", "private"}});
    send_message(*alice, "ops", "Deploy at five");
    send_message(*bob, "ops", "the deployment is late");
    send_message(*alice, "board", "deploy budget approved");
    send_message(*alice, "ops", "deploy done, thanks");
  }
  std::unique_ptr<WsClient> alice, bob;
};

TEST_F(Search, FindsWholeWordsNewestFirstInPermittedRoomsOnly) {
  auto mine = request(*alice, "search", {{"query", "DEPLOY"}});
  ASSERT_EQ(mine.at("type"), "results") << json::serialize(mine);
  // Newest first: by ts (ms), and by seq within a room. Messages of two rooms stored in the same
  // millisecond have no order between them, so the check is on ts, not on a fixed list.
  std::vector<std::string> got = texts(mine);
  EXPECT_EQ(std::set<std::string>(got.begin(), got.end()),
            (std::set<std::string>{"deploy done, thanks", "deploy budget approved", "Deploy at five"}));
  const auto& found = mine.at("messages").as_array();
  for (std::size_t i = 1; i < found.size(); ++i) {
    const auto& a = found[i - 1].as_object();
    const auto& b = found[i].as_object();
    EXPECT_GE(a.at("ts").as_int64(), b.at("ts").as_int64()) << json::serialize(mine);
    if (a.at("room") == b.at("room")) EXPECT_GT(a.at("seq").as_int64(), b.at("seq").as_int64()) << json::serialize(mine);
  }
  for (const auto& m : found) {
    if (m.as_object().at("text") == "deploy budget approved") EXPECT_EQ(m.as_object().at("room"), "board");
  }
  EXPECT_EQ(texts(request(*bob, "search", {{"query", "deploy"}})),
            (std::vector<std::string>{"deploy done, thanks", "Deploy at five"})) << "bob is not in board";
  EXPECT_EQ(texts(request(*alice, "search", {{"query", "deploy thanks"}})), (std::vector<std::string>{"deploy done, thanks"}));
  EXPECT_EQ(texts(request(*alice, "search", {{"query", "deploy"}, {"room", "board"}})),
            (std::vector<std::string>{"deploy budget approved"}));
  EXPECT_EQ(code_of(request(*bob, "search", {{"query", "deploy"}, {"room", "board"}})), "forbidden");
  EXPECT_TRUE(texts(request(*alice, "search", {{"query", "\" OR *"}})).empty()) << "no FTS syntax gets in";
  EXPECT_EQ(code_of(request(*alice, "search", {{"query", ""}})), "bad_request");
  leave(*bob, "ops");
  EXPECT_TRUE(texts(request(*bob, "search", {{"query", "deploy"}})).empty()) << "not after leaving";
}

TEST_F(Search, FollowsEditsAndDeletions) {
  auto first = request(*alice, "search", {{"query", "five"}});
  const std::int64_t seq = get_int(first.at("messages").as_array()[0].as_object(), "seq");
  entry(*alice, "edit", "ops", seq, {{"text", "Deploy at six"}});
  EXPECT_TRUE(texts(request(*alice, "search", {{"query", "five"}})).empty());
  EXPECT_EQ(texts(request(*alice, "search", {{"query", "six"}})), (std::vector<std::string>{"Deploy at six"}));
  entry(*alice, "delete", "ops", seq);
  EXPECT_TRUE(texts(request(*alice, "search", {{"query", "six"}})).empty());
  restart_server();
  alice = connect("alice");
  EXPECT_EQ(texts(request(*alice, "search", {{"query", "deploy"}})).size(), 2u);
}

}  // namespace
}  // namespace parley::test
