// Presence in large rooms, through the real binary with --presence-limit 2: `joined` lists
// at most the limit and carries the count; over the limit the room hears `occupancy` counts
// (at most one per tick, only when the count changed) and no per-user `presence`; back at the
// limit one last `occupancy` says per-user presence resumes; `online` pages the members.
#include "parley_test.hpp"

#include <boost/json.hpp>

namespace parley::test {
namespace {

namespace json = boost::json;

Pred occupancy(std::int64_t count, std::string mode) {
  return has({{"type", "occupancy"}, {"room", "general"}, {"online_count", count}, {"presence", mode}});
}

class LargeRoom : public ParleyTest {
 protected:
  void SetUp() override { start_server({{"--presence-limit", "2"}}); }
  std::unique_ptr<WsClient> member(std::string_view user) {
    auto c = connect(user);
    last_joined = join(*c, "general");
    return c;
  }
  json::object online_page(WsClient& c, std::string after, int limit) {
    json::object cmd{{"type", "online"}, {"room", "general"}, {"limit", limit}};
    if (!after.empty()) cmd["after"] = after;
    c.send_json(cmd);
    return c.expect(is_type("online"), "online page after '" + after + "'");
  }
  json::object last_joined;
};

TEST_F(LargeRoom, JoinedListsUpToTheLimitAndTheCount) {
  auto ann = member("ann");
  EXPECT_EQ(last_joined.at("online_count"), 1);
  EXPECT_EQ(last_joined.at("presence"), "members");
  auto ben = member("ben");
  EXPECT_EQ(last_joined.at("online"), json::parse(R"(["ann"])"));
  EXPECT_EQ(last_joined.at("online_count"), 2);
  auto cat = member("cat");
  auto dan = member("dan");
  EXPECT_EQ(last_joined.at("online"), json::parse(R"(["ann","ben"])")) << "a first page of the limit's size";
  EXPECT_EQ(last_joined.at("online_count"), 4);
  EXPECT_EQ(last_joined.at("presence"), "count");
}

TEST_F(LargeRoom, OverTheLimitTheRoomHearsCountsNotUsers) {
  auto ann = member("ann");
  auto ben = member("ben");
  ann->expect(presence("general", "ben", "online"), "ben online: two are within the limit");
  auto cat = member("cat");
  ann->expect(occupancy(3, "count"), "three online: over the limit");
  auto dan = member("dan");
  ann->expect(occupancy(4, "count"), "dan makes four");
  cat->expect(occupancy(4, "count"), "cat hears it too");
  dan->close();
  ann->expect(occupancy(3, "count"), "dan gone");
  EXPECT_EQ(ann->count(presence("general", "cat", "online")) + ann->count(presence("general", "dan", "online")) +
                ann->count(presence("general", "dan", "offline")),
            0u)
      << "per-user presence in a room over the limit:\n"
      << ann->dump();
  EXPECT_EQ(ann->count(occupancy(4, "count")), 1u) << "an unchanged count is told once:\n" << ann->dump();
  // Back to the limit: per-user presence again.
  cat->close();
  ann->expect(occupancy(2, "members"), "back at the limit");
  ben->close();
  ann->expect(presence("general", "ben", "offline"), "ben offline, told per user again");
}

TEST_F(LargeRoom, OnlineMembersComeInPages) {
  std::vector<std::unique_ptr<WsClient>> all;
  for (const char* u : {"ann", "ben", "cat", "dan", "eve"}) all.push_back(member(u));
  WsClient& ann = *all[0];
  json::object p = online_page(ann, "", 2);
  EXPECT_EQ(p.at("users"), json::parse(R"(["ann","ben"])"));
  EXPECT_EQ(p.at("online_count"), 5);
  EXPECT_EQ(p.at("next"), "ben");
  p = online_page(ann, "ben", 2);
  EXPECT_EQ(p.at("users"), json::parse(R"(["cat","dan"])"));
  p = online_page(ann, "dan", 2);
  EXPECT_EQ(p.at("users"), json::parse(R"(["eve"])"));
  EXPECT_FALSE(p.contains("next")) << json::serialize(p);
  // Not a member: forbidden; a bad room name: bad_request.
  auto zed = connect("zed");
  zed->send_json({{"type", "online"}, {"room", "general"}});
  zed->expect(error_with("forbidden"), "a non-member asks");
  zed->send_json({{"type", "online"}, {"room", "No Such Room!"}});
  zed->expect(error_with("bad_request"), "a bad room name");
  zed->send_json({{"type", "online"}, {"room", "general"}, {"limit", 0}});
  zed->expect(error_with("bad_request"), "limit 0");
}

TEST_F(LargeRoom, BlockedUsersAreNotListed) {
  auto ann = member("ann");
  auto ben = member("ben");
  ann->send_json({{"type", "block"}, {"user", "ben"}});
  ann->expect(is_type("blocks"), "blocks");
  json::object p = online_page(*ann, "", 10);
  EXPECT_EQ(p.at("users"), json::parse(R"(["ann"])"));
  EXPECT_EQ(p.at("online_count"), 2);
}

}  // namespace
}  // namespace parley::test
