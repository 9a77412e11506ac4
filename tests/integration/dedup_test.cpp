// Idempotent send: re-sending a message id by the same user returns the original ack and
// is neither stored nor broadcast again — from any of the user's connections, and after a
// restart (graceful or kill -9).
#include "parley_test.hpp"

namespace parley::test {
namespace {

namespace json = boost::json;

class Dedup : public ParleyTest {
protected:
  void SetUp() override { start_server(); }

  // After a marker message from `sender` has reached `watcher`, count the broadcasts of `id`.
  std::size_t broadcasts_of(WsClient& sender, WsClient& watcher, const std::string& id) {
    const std::string marker = new_id();
    send_message(sender, "general", "marker", marker);
    watcher.expect(message_with_id(marker), "marker");
    return watcher.count(message_with_id(id));
  }
};

TEST_F(Dedup, SameIdReturnsOriginalAckWithoutSecondBroadcast) {
  auto alice = connect("alice");
  auto bob = connect("bob");
  join(*alice, "general");
  join(*bob, "general");
  const std::string id = new_id();
  json::object first = send_message(*alice, "general", "original", id);
  json::object again = send_message(*alice, "general", "edited resend", id);
  EXPECT_EQ(again.at("seq"), first.at("seq"));
  EXPECT_EQ(again.at("ts"), first.at("ts"));
  EXPECT_EQ(again.at("room"), "general");
  EXPECT_EQ(broadcasts_of(*alice, *bob, id), 1u) << bob->dump();
  EXPECT_EQ(alice->count(message_with_id(id)), 1u) << alice->dump();
  std::vector<json::object> stored = all_messages(*alice, "general");
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[0].at("text"), "original");
  EXPECT_EQ(stored[1].at("seq"), 2) << "the duplicate consumed a seq";
}

TEST_F(Dedup, PipelinedDuplicateWhileTheFirstIsInFlight) {
  auto alice = connect("alice");
  auto bob = connect("bob");
  join(*alice, "general");
  join(*bob, "general");
  // Both copies leave before the first is acked (or stored).
  const std::string id = new_id();
  post_message(*alice, "general", "copy one", id);
  post_message(*alice, "general", "copy two", id);
  const json::object a1 = alice->expect(has({{"type", "ack"}, {"id", id}}), "first ack");
  const json::object a2 = alice->expect(has({{"type", "ack"}, {"id", id}}), "second ack");
  EXPECT_EQ(a1.at("seq"), a2.at("seq"));
  EXPECT_EQ(broadcasts_of(*alice, *bob, id), 1u) << bob->dump();
  EXPECT_EQ(all_messages(*alice, "general").size(), 2u);  // the copy and the marker
}

TEST_F(Dedup, SameIdFromAnotherConnectionOfTheSameUser) {
  auto d1 = connect("alice");
  auto d2 = connect("alice");
  auto bob = connect("bob");
  join(*d1, "general");
  join(*bob, "general");
  const std::string id = new_id();
  json::object first = send_message(*d1, "general", "from d1", id);
  json::object again = send_message(*d2, "general", "from d2", id);
  EXPECT_EQ(again.at("seq"), first.at("seq"));
  EXPECT_EQ(broadcasts_of(*d1, *bob, id), 1u) << bob->dump();
}

TEST_F(Dedup, SameIdFromAnotherUserIsAnotherMessage) {
  auto alice = connect("alice");
  auto bob = connect("bob");
  join(*alice, "general");
  join(*bob, "general");
  const std::string id = new_id();
  json::object a = send_message(*alice, "general", "alice's", id);
  json::object b = send_message(*bob, "general", "bob's", id);
  EXPECT_NE(a.at("seq"), b.at("seq")) << "dedup is per user, not global";
  alice->expect(has({{"type", "message"}, {"id", id}, {"user", "bob"}}), "bob's message with alice's id");
  EXPECT_EQ(all_messages(*alice, "general").size(), 2u);
}

TEST_F(Dedup, SurvivesGracefulRestart) {
  const std::string id = new_id();
  json::object first;
  {
    auto alice = connect("alice");
    join(*alice, "general");
    first = send_message(*alice, "general", "before restart", id);
  }
  restart_server();
  auto alice = connect("alice");
  auto bob = connect("bob");
  join(*bob, "general");
  json::object again = send_message(*alice, "general", "after restart", id);
  EXPECT_EQ(again.at("seq"), first.at("seq"));
  EXPECT_EQ(broadcasts_of(*alice, *bob, id), 0u) << "the duplicate was broadcast after restart:\n" << bob->dump();
  std::vector<json::object> stored = all_messages(*alice, "general");
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[0].at("text"), "before restart");
}

TEST_F(Dedup, SurvivesKill9) {
  const std::string id = new_id();
  json::object first;
  {
    auto alice = connect("alice");
    join(*alice, "general");
    send_message(*alice, "general", "zero");
    first = send_message(*alice, "general", "acked then killed", id);
    kill_server();
  }
  start_server();
  auto alice = connect("alice");
  json::object again = send_message(*alice, "general", "resent after crash", id);
  EXPECT_EQ(again.at("seq"), first.at("seq"));
  std::vector<json::object> stored = all_messages(*alice, "general");
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[1].at("text"), "acked then killed");
}

}  // namespace
}  // namespace parley::test
