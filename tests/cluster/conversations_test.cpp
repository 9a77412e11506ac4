// Conversations across nodes, on PostgreSQL: direct rooms, moderation and block lists reach
// the user's connections wherever they are, and edits, reactions and search work the same.
#include "cluster_test.hpp"
#include "conversations.hpp"

namespace parley::test::cluster {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class Conversations : public ClusterTest {};

TEST_F(Conversations, DirectRoomsAcrossNodes) {
  start_cluster();
  auto alice = connect("alice", 0);
  auto bob = connect("bob", 1);
  auto eve = connect("eve", 2);
  auto dm = request(*alice, "dm", {{"to", "bob"}});
  ASSERT_EQ(dm.at("type"), "joined") << json::serialize(dm);
  const std::string room(dm.at("room").as_string());
  auto theirs = bob->expect(has({{"type", "joined"}, {"room", room}}), "bob's joined", 10s);
  EXPECT_EQ(theirs.at("with"), "alice");
  auto ack = send_message(*alice, room, "psst");
  bob->expect(message_with_id(std::string(ack.at("id").as_string())), "the message on node 2", 10s);
  EXPECT_EQ(code_of(request(*eve, "join", {{"room", room}})), "forbidden");
  EXPECT_EQ(code_of(request(*eve, "sync", {{"room", room}, {"after", 0}})), "forbidden");
}

TEST_F(Conversations, ModerationReachesTheTargetOnEveryNode) {
  start_cluster();
  auto olga = connect("olga", 0);
  auto bob = connect("bob", 1);
  auto bob_phone = connect("bob", 2);
  join(*olga, "general");
  join(*bob, "general");
  bob_phone->expect(has({{"type", "joined"}, {"room", "general"}}), "the phone's joined", 10s);

  EXPECT_EQ(request(*olga, "mute", {{"room", "general"}, {"user", "bob"}, {"seconds", 600}}).at("type"), "ok");
  for (WsClient* c : {bob.get(), bob_phone.get()}) {
    c->expect(has({{"type", "member"}, {"user", "bob"}, {"action", "muted"}}), "muted notice", 10s);
    EXPECT_EQ(code_of(request(*c, "message", {{"room", "general"}, {"id", new_id()}, {"text", "hi"}})), "muted");
  }
  EXPECT_EQ(request(*olga, "mute", {{"room", "general"}, {"user", "bob"}, {"seconds", 0}}).at("type"), "ok");
  bob_phone->expect(has({{"type", "member"}, {"user", "bob"}, {"action", "unmuted"}}), "unmuted notice", 10s);
  send_message(*bob_phone, "general", "free");

  EXPECT_EQ(request(*olga, "ban", {{"room", "general"}, {"user", "bob"}}).at("type"), "ok");
  for (WsClient* c : {bob.get(), bob_phone.get()}) {
    c->expect(has({{"type", "left"}, {"room", "general"}, {"reason", "banned"}}), "left", 10s);
    EXPECT_EQ(code_of(request(*c, "message", {{"room", "general"}, {"id", new_id()}, {"text", "hi"}})), "forbidden");
  }
  EXPECT_EQ(code_of(request(*bob_phone, "join", {{"room", "general"}})), "forbidden");
}

TEST_F(Conversations, SlowModeSetOnOneNodeHoldsOnEveryNode) {
  start_cluster();
  auto olga = connect("olga", 0);
  auto bob = connect("bob", 1);
  auto cleo = connect("cleo", 2);
  ASSERT_EQ(request(*olga, "create", {{"room", "board"}}).at("type"), "joined");
  join(*bob, "board");
  join(*cleo, "board");
  ASSERT_EQ(request(*olga, "slow_mode", {{"room", "board"}, {"seconds", 120}}).at("type"), "ok");
  for (WsClient* c : {bob.get(), cleo.get()}) {
    c->expect(has({{"type", "slow_mode"}, {"room", "board"}, {"seconds", 120}}), "slow mode on", 10s);
    send_message(*c, "board", "first");
    auto refused = request(*c, "message", {{"room", "board"}, {"id", new_id()}, {"text", "second"}});
    EXPECT_EQ(code_of(refused), "rate_limited") << json::serialize(refused);
  }
  // A newcomer on another node learns it from the store (PostgreSQL).
  auto dan = connect("dan", 1);
  EXPECT_EQ(join(*dan, "board").at("slow_mode_s"), 120);
}

TEST_F(Conversations, BlockListsReachTheUsersOtherNodes) {
  start_cluster();
  auto olga = connect("olga", 0);
  auto bob = connect("bob", 1);
  auto bob_phone = connect("bob", 2);
  auto mike = connect("mike", 2);
  for (WsClient* c : {olga.get(), bob.get(), mike.get()}) join(*c, "general");
  EXPECT_EQ(request(*bob, "block", {{"user", "olga"}}).at("type"), "blocks");
  bob_phone->expect(has({{"type", "blocks"}, {"blocked", json::array({"olga"})}}), "the phone's list", 10s);
  olga->send_json({{"type", "typing"}, {"room", "general"}, {"active", true}});
  mike->expect(typing("general", "olga", true), "mike sees olga typing", 10s);
  const std::string marker = new_id();
  send_message(*olga, "general", "marker", marker);
  bob_phone->expect(message_with_id(marker), "marker", 10s);
  EXPECT_EQ(bob_phone->count(has({{"type", "typing"}, {"user", "olga"}})), 0u) << bob_phone->dump();
  EXPECT_EQ(code_of(request(*olga, "dm", {{"to", "bob"}})), "forbidden");
}

TEST_F(Conversations, EditsReactionsAndSearchOnPostgres) {
  start_cluster();
  auto alice = connect("alice", 0);
  auto bob = connect("bob", 1);
  join(*alice, "ops");
  join(*bob, "ops");
  request(*alice, "create", {{"room", "board"}, {"kind", "private"}});
  const std::int64_t seq = get_int(send_message(*alice, "ops", "deploy at five"), "seq");
  send_message(*alice, "board", "deploy budget");
  EXPECT_EQ(entry(*alice, "edit", "ops", seq, {{"text", "deploy at six"}}).at("type"), "ack");
  EXPECT_EQ(entry(*bob, "react", "ops", seq, {{"emoji", "👍"}}).at("type"), "ack");
  EXPECT_EQ(code_of(entry(*bob, "edit", "ops", seq, {{"text", "mine now"}})), "forbidden");
  auto reader = connect("bob", 2);
  auto page = sync(*reader, "ops", 0);
  auto& entries = page.at("messages").as_array();
  ASSERT_EQ(entries.size(), 3u) << json::serialize(page);
  EXPECT_EQ(entries[0].as_object().at("text"), "deploy at six");
  EXPECT_EQ(entries[0].as_object().at("reactions"), json::parse(R"([{"emoji":"👍","count":1,"users":["bob"]}])"));
  EXPECT_EQ(entries[1].as_object().at("kind"), "edited");
  EXPECT_EQ(entries[2].as_object().at("kind"), "reaction");

  auto found = request(*reader, "search", {{"query", "deploy"}});
  ASSERT_EQ(found.at("messages").as_array().size(), 1u) << json::serialize(found) << " (bob is not in board)";
  EXPECT_EQ(found.at("messages").as_array()[0].as_object().at("text"), "deploy at six");
  EXPECT_EQ(request(*alice, "search", {{"query", "deploy"}}).at("messages").as_array().size(), 2u);
  EXPECT_EQ(entry(*alice, "delete", "ops", seq).at("type"), "ack");
  EXPECT_TRUE(request(*reader, "search", {{"query", "six"}}).at("messages").as_array().empty());
}

// Threads, data, mentions and pins cross nodes on PostgreSQL: a reply with data and a
// mention sent through node 1 reaches node 2 whole; the unread mention count is the store's,
// whichever node asks, and a read on one node tells the reader's devices on the others.
TEST_F(Conversations, ThreadsMentionsAndPinsAcrossNodes) {
  start_cluster();
  auto alice = connect("alice", 0);
  auto bob = connect("bob", 1);
  auto bob_phone = connect("bob", 2);
  join(*alice, "general");
  join(*bob, "general");
  bob_phone->expect(has({{"type", "joined"}, {"room", "general"}}), "the phone's joined", 10s);
  const auto root = get_int(send_message(*alice, "general", "plan?"), "seq");
  auto ack = request(*alice, "message", {{"room", "general"}, {"id", new_id()}, {"text", "@bob see this"},
                                          {"reply_to", root}, {"data", {{"card", 1}}}});
  ASSERT_EQ(ack.at("type"), "ack") << json::serialize(ack);
  auto seen = bob->expect(has({{"type", "message"}, {"seq", get_int(ack, "seq")}}), "the reply on node 2", 10s);
  EXPECT_EQ(get_int(seen, "reply_to"), root);
  EXPECT_EQ(seen.at("data"), (json::object{{"card", 1}}));
  EXPECT_EQ(seen.at("mentions"), (json::array{"bob"}));
  auto thread = request(*bob, "thread", {{"room", "general"}, {"seq", root}});
  ASSERT_EQ(thread.at("messages").as_array().size(), 1u) << json::serialize(thread);

  auto laptop = connect("bob", 2);
  const json::object welcome = welcome_of(*laptop);
  EXPECT_EQ(get_int(welcome.at("rooms").as_array()[0].as_object(), "mentions"), 1);
  bob->send_json({{"type", "read"}, {"room", "general"}, {"seq", get_int(ack, "seq")}});
  auto told = bob_phone->expect(has({{"type", "mentions"}, {"room", "general"}}), "the count on node 3", 10s);
  EXPECT_EQ(get_int(told, "count"), 0);

  ASSERT_EQ(request(*alice, "pin", {{"room", "general"}, {"seq", root}}).at("type"), "ok");
  auto pinned = bob_phone->expect(has({{"type", "pinned"}, {"seq", root}}), "the pin on node 3", 10s);
  EXPECT_EQ(pinned.at("by"), "alice");
  auto again = connect("alice", 1);
  auto joined = join(*again, "general");
  EXPECT_EQ(get_int(joined.at("pins").as_array()[0].as_object(), "seq"), root);
  EXPECT_EQ(joined.at("reads"), (json::array{json::object{{"user", "bob"}, {"seq", get_int(ack, "seq")}}}));
}

}  // namespace
}  // namespace parley::test::cluster
