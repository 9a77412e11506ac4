// message: ack to the sending connection, broadcast to every connection of every member
// (sender included), per-room seq from 1 without gaps, server ts, text limits.
#include "parley_test.hpp"

namespace parley::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class Messaging : public ParleyTest {
protected:
  void SetUp() override { start_server(); }
};

TEST_F(Messaging, AckToSenderAndBroadcastToEveryMemberConnection) {
  auto a1 = connect("alice");
  auto a2 = connect("alice");
  auto bob = connect("bob");
  auto carol = connect("carol");  // connected, not a member
  join(*a1, "general");
  join(*bob, "general");
  const std::string id = new_id();
  const std::string text = "h\xc3\xa9llo \xf0\x9f\x91\x8b \"quoted\"\nline2 \\ end";
  const std::int64_t t0 = now_ms();
  a1->send_json({{"type", "message"}, {"room", "general"}, {"id", id}, {"text", text}});
  json::object ack = a1->expect(has({{"type", "ack"}, {"id", id}}), "ack");
  const std::int64_t t1 = now_ms();
  EXPECT_EQ(ack.at("room"), "general");
  EXPECT_EQ(ack.at("seq"), 1);
  const std::int64_t ts = get_int(ack, "ts");
  EXPECT_GE(ts, t0 - 2000) << "ts is not server time in ms";
  EXPECT_LE(ts, t1 + 2000) << "ts is not server time in ms";
  for (WsClient* c : {a1.get(), a2.get(), bob.get()}) {
    json::object m = c->expect(message_with_id(id), "broadcast");
    EXPECT_EQ(m.at("room"), "general") << c->name();
    EXPECT_EQ(m.at("seq"), 1) << c->name();
    EXPECT_EQ(get_int(m, "ts"), ts) << c->name() << ": broadcast ts differs from ack ts";
    EXPECT_EQ(m.at("user"), "alice") << c->name();
    EXPECT_EQ(get_str(m, "text"), text) << c->name();
  }
  // Markers: anything sent earlier to these connections has arrived before their own acks.
  join(*carol, "general");
  send_message(*carol, "general", "carol marker");
  send_message(*a2, "general", "a2 marker");
  send_message(*bob, "general", "bob marker");
  EXPECT_EQ(carol->count(message_with_id(id)), 0u) << "a non-member got the message:\n" << carol->dump();
  EXPECT_EQ(a2->count(has({{"type", "ack"}, {"id", id}})), 0u) << "the ack went to another device";
  EXPECT_EQ(bob->count(has({{"type", "ack"}, {"id", id}})), 0u) << "the ack went to another member";
}

TEST_F(Messaging, SeqStartsAtOneAndIncrementsPerRoom) {
  auto a = connect("alice");
  join(*a, "one");
  join(*a, "two");
  for (int i = 1; i <= 5; ++i) EXPECT_EQ(get_int(send_message(*a, "one", "m"), "seq"), i);
  EXPECT_EQ(get_int(send_message(*a, "two", "m"), "seq"), 1) << "seq is not per room";
  EXPECT_EQ(get_int(send_message(*a, "one", "m"), "seq"), 6);
  json::object page = sync(*a, "one", 0);
  EXPECT_EQ(seqs_of(page), (std::vector<std::int64_t>{1, 2, 3, 4, 5, 6}));
}

TEST_F(Messaging, SeqContinuesAfterRestart) {
  {
    auto a = connect("alice");
    join(*a, "general");
    send_message(*a, "general", "1");
    send_message(*a, "general", "2");
  }
  restart_server();
  auto a = connect("alice");
  EXPECT_EQ(get_int(send_message(*a, "general", "3"), "seq"), 3);
}

TEST_F(Messaging, TextLimitCountsCharactersNotBytes) {
  auto a = connect("alice");
  join(*a, "general");
  std::string accented;
  for (int i = 0; i < 4000; ++i) accented += "\xc3\xa9";  // 4000 characters, 8000 bytes
  json::object ack = send_message(*a, "general", accented);
  EXPECT_EQ(ack.at("seq"), 1);
  send_message(*a, "general", std::string(4000, 'a'));
}

TEST_F(Messaging, TextOverLimitIsTooLargeAndNotStored) {
  auto a = connect("alice");
  auto bob = connect("bob");
  join(*a, "general");
  join(*bob, "general");
  const std::string id = new_id();
  a->send_json({{"type", "message"}, {"room", "general"}, {"id", id}, {"text", std::string(4001, 'a')}, {"ref", "big"}});
  json::object e = a->expect(error_with("too_large"), "too_large");
  EXPECT_EQ(get_str(e, "id"), id);
  EXPECT_EQ(e.at("ref"), "big");
  EXPECT_TRUE(e.at("message").is_string());
  // Connection still open; nothing stored or broadcast.
  const std::string next = new_id();
  EXPECT_EQ(get_int(send_message(*a, "general", "ok", next), "seq"), 1) << "the refused message took a seq";
  bob->expect(message_with_id(next), "next message");
  EXPECT_EQ(bob->count(message_with_id(id)), 0u);
  EXPECT_EQ(sync(*a, "general", 0).at("messages").as_array().size(), 1u);
}

TEST_F(Messaging, TextWithANulCharacterIsRefusedAndNothingIsStored) {
  auto a = connect("alice");
  join(*a, "general");
  const std::string id = new_id();
  a->send_json({{"type", "message"}, {"room", "general"}, {"id", id}, {"text", std::string("a\0b", 3)}});
  json::object e = a->expect(error_with("bad_request"), "a NUL in the text");
  EXPECT_EQ(get_str(e, "id"), id);
  EXPECT_EQ(get_int(send_message(*a, "general", "ok"), "seq"), 1) << "the refused message took a seq";
}

TEST_F(Messaging, MessageToARoomOneIsNotInIsForbiddenWithId) {
  auto a = connect("alice");
  auto bob = connect("bob");
  join(*bob, "general");
  const std::string id = new_id();
  a->send_json({{"type", "message"}, {"room", "general"}, {"id", id}, {"text", "hi"}, {"ref", 1}});
  json::object e = a->expect(error_with("forbidden"), "forbidden");
  EXPECT_EQ(get_str(e, "id"), id);
  EXPECT_EQ(e.at("ref"), 1);
  const std::string marker = new_id();
  send_message(*bob, "general", "marker", marker);
  bob->expect(message_with_id(marker), "marker");
  EXPECT_EQ(bob->count(message_with_id(id)), 0u);
}

}  // namespace
}  // namespace parley::test

namespace parley::test {
namespace {

class AckOrder : public ParleyTest {};

// The bus contract on one node (LocalBus): the node queues a message to every member
// connection it holds, the sender's own included, before the ack — checked on a burst sent
// without waiting, so that acks and deliveries interleave.
TEST_F(AckOrder, TheSendersOwnCopyArrivesBeforeItsAck) {
  start_server({{"--rate-per-sec", "100000"}, {"--rate-burst", "100000"}});
  auto alice = connect("alice");
  auto bob = connect("bob");
  join(*alice, "general");
  join(*bob, "general");
  std::vector<std::string> ids;
  for (int i = 0; i < 50; ++i) ids.push_back(post_message(*alice, "general", "m" + std::to_string(i)));
  for (const auto& id : ids) alice->expect(has({{"type", "ack"}, {"id", id}}), "ack " + id);
  const auto frames = alice->received();
  auto position = [&](std::string_view type, const std::string& id) {
    for (std::size_t i = 0; i < frames.size(); ++i) {
      const auto* t = frames[i].obj.if_contains("type");
      const auto* m = frames[i].obj.if_contains("id");
      if (t && t->is_string() && t->as_string() == type && m && m->is_string() && m->as_string() == id) return i;
    }
    return frames.size();
  };
  for (const auto& id : ids) EXPECT_LT(position("message", id), position("ack", id)) << id << ": ack before own copy";
}

}  // namespace
}  // namespace parley::test
