// Ordering under concurrent senders: per-room seq strictly increasing and gap-free, the
// same order on every connection, acks agreeing with broadcasts, and each sender's
// messages kept in the order it sent them.
#include <algorithm>
#include <atomic>
#include <map>
#include <thread>

#include "parley_test.hpp"

namespace parley::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class Ordering : public ParleyTest {
protected:
  void SetUp() override { start_server({{"--rate-per-sec", "100000"}, {"--rate-burst", "100000"}}); }
};

// The ids of the room's messages in the order `c` received them; checks the seqs are
// 1..n in arrival order.
std::vector<std::string> arrival_order(WsClient& c, std::string_view room, std::size_t n) {
  std::vector<std::string> ids;
  std::int64_t expected = 1;
  for (const Received& r : c.received()) {
    if (!has({{"type", "message"}, {"room", room}})(r.obj)) continue;
    EXPECT_EQ(get_int(r.obj, "seq"), expected) << c.name() << " got seqs out of order or with a gap";
    ++expected;
    ids.push_back(get_str(r.obj, "id"));
  }
  EXPECT_EQ(ids.size(), n) << c.name();
  return ids;
}

TEST_F(Ordering, ConcurrentSendersSeeOneGapFreeOrder) {
  constexpr int kSenders = 4, kPerSender = 50, kTotal = kSenders * kPerSender;
  std::vector<std::unique_ptr<WsClient>> senders;
  for (int i = 0; i < kSenders; ++i) {
    senders.push_back(connect("user" + std::to_string(i)));
    join(*senders.back(), "general");
  }
  auto observer = connect("observer");
  join(*observer, "general");

  std::vector<std::vector<std::string>> sent(kSenders);
  for (int i = 0; i < kSenders; ++i)
    for (int k = 0; k < kPerSender; ++k) sent[i].push_back(new_id());
  {
    std::vector<std::thread> threads;
    for (int i = 0; i < kSenders; ++i)
      threads.emplace_back([&, i] {
        for (int k = 0; k < kPerSender; ++k)
          post_message(*senders[i], "general", "u" + std::to_string(i) + " m" + std::to_string(k), sent[i][k]);
      });
    for (auto& t : threads) t.join();
  }

  // Every sender gets an ack for each of its messages.
  std::map<std::string, std::int64_t> ack_seq;
  for (int i = 0; i < kSenders; ++i) {
    std::int64_t prev = 0;
    for (int k = 0; k < kPerSender; ++k) {
      json::object ack = senders[i]->expect(has({{"type", "ack"}, {"id", sent[i][k]}}), "ack " + std::to_string(k));
      const std::int64_t seq = get_int(ack, "seq");
      EXPECT_GT(seq, prev) << "user" << i << "'s message " << k << " was ordered before its predecessor";
      prev = seq;
      ack_seq[sent[i][k]] = seq;
    }
  }
  // Every connection receives all of them.
  std::vector<WsClient*> all;
  for (auto& s : senders) all.push_back(s.get());
  all.push_back(observer.get());
  for (WsClient* c : all)
    for (int i = 0; i < kSenders; ++i)
      for (int k = 0; k < kPerSender; ++k) c->expect(message_with_id(sent[i][k]), "message");

  const std::vector<std::string> reference = arrival_order(*observer, "general", kTotal);
  for (WsClient* c : all) EXPECT_EQ(arrival_order(*c, "general", kTotal), reference) << c->name();
  for (std::size_t n = 0; n < reference.size(); ++n)
    EXPECT_EQ(ack_seq[reference[n]], static_cast<std::int64_t>(n + 1)) << "ack seq differs from broadcast seq";

  // The stored history has the same order.
  std::vector<json::object> stored = all_messages(*observer, "general");
  ASSERT_EQ(stored.size(), static_cast<std::size_t>(kTotal));
  for (std::size_t n = 0; n < stored.size(); ++n) {
    EXPECT_EQ(get_int(stored[n], "seq"), static_cast<std::int64_t>(n + 1));
    EXPECT_EQ(get_str(stored[n], "id"), reference[n]);
  }
}

TEST_F(Ordering, RoomsAreSequencedIndependentlyUnderConcurrency) {
  constexpr int kPer = 40;
  auto a = connect("alice");
  auto b = connect("bob");
  for (WsClient* c : {a.get(), b.get()}) {
    join(*c, "red");
    join(*c, "blue");
  }
  std::thread ta([&] {
    for (int k = 0; k < kPer; ++k) post_message(*a, k % 2 ? "red" : "blue", "a");
  });
  std::thread tb([&] {
    for (int k = 0; k < kPer; ++k) post_message(*b, k % 2 ? "blue" : "red", "b");
  });
  ta.join();
  tb.join();
  for (WsClient* c : {a.get(), b.get()})
    for (int k = 0; k < kPer; ++k) c->expect(is_type("ack"), "ack");
  for (const char* room : {"red", "blue"}) {
    std::vector<json::object> stored = all_messages(*a, room);
    ASSERT_EQ(stored.size(), static_cast<std::size_t>(kPer)) << room;
    for (std::size_t n = 0; n < stored.size(); ++n) EXPECT_EQ(get_int(stored[n], "seq"), static_cast<std::int64_t>(n + 1));
    // Both connections saw the room's messages in seq order.
    for (WsClient* c : {a.get(), b.get()}) {
      for (int k = 0; k < kPer; ++k) c->expect(has({{"type", "message"}, {"room", room}}), "message");
      arrival_order(*c, room, kPer);
    }
  }
}

TEST_F(Ordering, LiveMessagesAfterJoinedContinueExactlyFromItsLastSeq) {
  // A client joins, gets last_seq L, syncs up to L and relies on live messages for
  // L+1, L+2, ... Nothing at or below L may come live after joined (a duplicate), and
  // nothing after L may be skipped (a gap). Stress it with join/leave cycles while
  // another member keeps posting.
  constexpr int kCycles = 8;
  auto bob = connect("bob");
  auto alice = connect("alice");
  join(*bob, "general");
  std::vector<std::string> ids;
  std::atomic<bool> done{false};
  {
    // bob posts in acked batches of ten until alice's cycles are over.
    std::jthread sender([&] {
      while (!done && ids.size() < 20000) {
        const std::size_t first = ids.size();
        for (int k = 0; k < 10; ++k) ids.push_back(post_message(*bob, "general", "m"));
        for (std::size_t k = first; k < ids.size(); ++k)
          if (!bob->wait_for(has({{"type", "ack"}, {"id", ids[k]}}), 20s)) return;
      }
    });
    struct Stop {
      std::atomic<bool>& d;
      ~Stop() { d = true; }
    } stop{done};
    for (int cycle = 0; cycle < kCycles; ++cycle) {
      const std::int64_t last = get_int(join(*alice, "general"), "last_seq");
      // Some live traffic in this membership window, then leave.
      alice->expect(
          [&](const json::object& o) { return has({{"type", "message"}})(o) && get_int(o, "seq") > last; },
          "a live message after joined", 10s);
      leave(*alice, "general");
    }
  }
  ASSERT_GT(ids.size(), 0u);

  // Walk alice's inbox: between each joined and the following left, the room's
  // messages must be last_seq+1, last_seq+2, ...
  std::optional<std::int64_t> expected;  // next seq due in the current window
  int windows = 0;
  for (const Received& r : alice->received()) {
    const json::object& o = r.obj;
    if (has({{"type", "joined"}, {"room", "general"}})(o)) {
      expected = get_int(o, "last_seq") + 1;
      ++windows;
    } else if (has({{"type", "left"}, {"room", "general"}})(o)) {
      expected.reset();
    } else if (expected && has({{"type", "message"}, {"room", "general"}})(o)) {
      const std::int64_t seq = get_int(o, "seq");
      EXPECT_EQ(seq, *expected) << (seq < *expected ? "a message at or below joined.last_seq came live (duplicate)"
                                                    : "a live message was skipped (gap)")
                                << " in membership window " << windows;
      *expected = seq + 1;
    }
  }
  EXPECT_EQ(windows, kCycles);
}

}  // namespace
}  // namespace parley::test
