// Presence is one view across the cluster: online/offline events reach members on other
// nodes, joined.online lists members online anywhere, and a user online on two nodes is
// offline only when the last of its connections, on any node, closes.
#include <algorithm>

#include <boost/json.hpp>

#include "cluster_test.hpp"

namespace parley::test::cluster {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class ClusterPresence : public ClusterTest {};

std::vector<std::string> online_of(const json::object& joined) {
  std::vector<std::string> out;
  for (const auto& v : joined.at("online").as_array()) out.emplace_back(v.as_string());
  std::sort(out.begin(), out.end());
  return out;
}

TEST_F(ClusterPresence, OnlineOfflineAndJoinedOnlineAcrossNodes) {
  start_cluster();
  auto alice = connect("alice", 0);
  json::object j = join(*alice, "hall");
  EXPECT_EQ(online_of(j), std::vector<std::string>{});

  auto bob = connect("bob", 1);
  j = join(*bob, "hall");
  EXPECT_EQ(online_of(j), std::vector<std::string>{"alice"}) << "alice is online on node1";
  alice->expect(presence("hall", "bob", "online"), "bob joined on node2", 10s);

  auto carol = connect("carol", 2);
  j = join(*carol, "hall");
  EXPECT_EQ(online_of(j), (std::vector<std::string>{"alice", "bob"}));
  alice->expect(presence("hall", "carol", "online"), "carol joined on node3 (alice)", 10s);
  bob->expect(presence("hall", "carol", "online"), "carol joined on node3 (bob)", 10s);

  // bob's only connection closes: both others, on other nodes, see him go offline.
  bob->close(1000);
  alice->expect(presence("hall", "bob", "offline"), "bob offline (alice)", 10s);
  carol->expect(presence("hall", "bob", "offline"), "bob offline (carol)", 10s);
  auto dave = connect("dave", 0);
  EXPECT_EQ(online_of(join(*dave, "hall")), (std::vector<std::string>{"alice", "carol"}));

  // bob comes back, on another node: online again for everyone.
  auto bob_again = connect("bob", 2);
  alice->expect(presence("hall", "bob", "online"), "bob back on node3 (alice)", 10s);
  dave->expect(presence("hall", "bob", "online"), "bob back on node3 (dave)", 10s);

  // carol leaves the room (still connected): offline for the room's members.
  leave(*carol, "hall");
  alice->expect(presence("hall", "carol", "offline"), "carol left", 10s);
  bob_again->expect(presence("hall", "carol", "offline"), "carol left (bob)", 10s);
  auto erin = connect("erin", 1);
  EXPECT_EQ(online_of(join(*erin, "hall")), (std::vector<std::string>{"alice", "bob", "dave"}));
  // No one is told about themselves.
  EXPECT_EQ(alice->count(presence("hall", "alice", "online")), 0u);
}

TEST_F(ClusterPresence, UserOnTwoNodesIsOfflineOnlyWhenTheLastConnectionCloses) {
  start_cluster();
  auto watcher = connect("watcher", 2);
  join(*watcher, "hall");
  auto phone = connect("gina", 0);
  join(*phone, "hall");
  watcher->expect(presence("hall", "gina", "online"), "gina online", 10s);
  auto laptop = connect("gina", 1);  // her second device, on another node
  // The laptop is settled on node2 (a store round trip after its welcome) before ...
  sync(*laptop, "hall", 0);
  // ... the phone goes away; gina is still online through the laptop.
  phone->close(1000);
  // A marker event sent after the close, on the laptop: when the watcher has it, a wrong
  // offline caused by the phone's close would have been published before it.
  json::object ack = send_message(*laptop, "hall", "still here");
  watcher->expect(message_with_id(get_str(ack, "id")), "marker", 10s);
  EXPECT_FALSE(watcher->wait_for(presence("hall", "gina", "offline"), 1500ms))
      << "gina went offline though her laptop on node2 is still connected";
  auto other = connect("henry", 2);
  EXPECT_EQ(online_of(join(*other, "hall")), (std::vector<std::string>{"gina", "watcher"}));
  // The laptop goes too: now she is offline.
  laptop->close(1000);
  watcher->expect(presence("hall", "gina", "offline"), "gina offline after her last connection", 10s);
  EXPECT_EQ(watcher->count(presence("hall", "gina", "online")), 1u) << "online announced again for the second device";
}

TEST_F(ClusterPresence, DeviceHandoffBetweenNodesKeepsTheUserOnline) {
  // The phone hands over to the laptop: the laptop connects on node2 and the phone, on node1,
  // closes right after its welcome. gina never stops being online, so the others must not see
  // her go offline, and the room's online list must still hold her afterwards.
  start_cluster();
  auto watcher = connect("watcher", 2);
  join(*watcher, "hall");
  for (int round = 0; round < 5; ++round) {
    const std::string user = "handoff" + std::to_string(round);
    auto phone = connect(user, 0);
    join(*phone, "hall");
    watcher->expect(presence("hall", user, "online"), user + " online", 10s);
    auto laptop = connect(user, 1);
    phone->close(1000);
    json::object ack = send_message(*laptop, "hall", "switched devices");
    watcher->expect(message_with_id(get_str(ack, "id")), "marker", 10s);
    auto newcomer = connect("newcomer" + std::to_string(round), 2);
    const std::vector<std::string> online = online_of(join(*newcomer, "hall"));
    EXPECT_TRUE(std::find(online.begin(), online.end(), user) != online.end())
        << "round " << round << ": " << user << " is connected on node2 but missing from the room's online list";
    EXPECT_FALSE(watcher->wait_for(presence("hall", user, "offline"), 500ms))
        << "round " << round << ": " << user << " announced offline while connected on node2";
    newcomer->close(1000);
    watcher->expect(presence("hall", "newcomer" + std::to_string(round), "offline"), "newcomer gone", 10s);
  }
}

// Over --presence-limit the room tells occupancy counts: counted in Redis over every node,
// each node telling its own members, and nobody hears per-user presence any more.
TEST_F(ClusterPresence, LargeRoomsCountTheirMembersOnEveryNode) {
  start_cluster({{"--presence-limit", "2"}});
  auto ann = connect("ann", 0);
  join(*ann, "hall");
  auto ben = connect("ben", 1);
  join(*ben, "hall");
  ann->expect(presence("hall", "ben", "online"), "ben on node2: within the limit", 10s);
  auto cat = connect("cat", 2);
  json::object j = join(*cat, "hall");
  EXPECT_EQ(j.at("online_count"), 3);
  EXPECT_EQ(j.at("presence"), "count");
  auto occupancy = [](std::int64_t n, std::string mode) {
    return has({{"type", "occupancy"}, {"room", "hall"}, {"online_count", n}, {"presence", mode}});
  };
  ann->expect(occupancy(3, "count"), "cat on node3 makes three (ann, node1)", 10s);
  ben->expect(occupancy(3, "count"), "cat on node3 makes three (ben, node2)", 10s);
  auto dan = connect("dan", 1);
  join(*dan, "hall");
  ann->expect(occupancy(4, "count"), "dan on node2 makes four", 10s);
  cat->expect(occupancy(4, "count"), "dan on node2 makes four (cat, node3)", 10s);
  // A page of the members from any node, counted over all of them.
  ann->send_json({{"type", "online"}, {"room", "hall"}, {"limit", 3}});
  json::object page = ann->expect(is_type("online"), "online page");
  EXPECT_EQ(page.at("users"), json::parse(R"(["ann","ben","cat"])"));
  EXPECT_EQ(page.at("online_count"), 4);
  EXPECT_EQ(page.at("next"), "cat");
  dan->close(1000);
  cat->close(1000);
  ann->expect(occupancy(2, "members"), "back at the limit", 10s);
  ben->close(1000);
  ann->expect(presence("hall", "ben", "offline"), "per-user presence again", 10s);
  // (cat's own online may still reach node1, which counted two before it: a node learns
  // that a room crossed the limit at its next count.)
  EXPECT_EQ(ann->count(presence("hall", "dan", "online")) + ann->count(presence("hall", "dan", "offline")), 0u)
      << ann->dump();
}

}  // namespace
}  // namespace parley::test::cluster
