// The per-user message token bucket (default 10/s, burst 20): over it, rate_limited with
// the message id, and the message is neither stored nor broadcast.
#include <set>
#include <thread>

#include "parley_test.hpp"

namespace parley::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class RateLimit : public ParleyTest {
protected:
  struct Outcome {
    std::set<std::string> acked, limited;
    double seconds = 0;
  };
  // Sends n messages as fast as possible and sorts the replies.
  static Outcome flood(WsClient& c, int n, std::string_view room = "general") {
    std::vector<std::string> ids;
    const auto t0 = Clock::now();
    for (int i = 0; i < n; ++i) ids.push_back(post_message(c, room, "flood " + std::to_string(i)));
    Outcome out;
    for (const auto& id : ids) {
      json::object r = c.expect(
          [&](const json::object& o) { return has({{"type", "ack"}, {"id", id}})(o) || has({{"type", "error"}, {"id", id}})(o); },
          "reply for " + id);
      if (r.at("type") == "ack") {
        out.acked.insert(id);
      } else {
        EXPECT_EQ(r.at("code"), "rate_limited") << to_string(r);
        out.limited.insert(id);
      }
    }
    out.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    return out;
  }
};

TEST_F(RateLimit, DefaultBurstIs20ThenRateLimitedNotStoredNotBroadcast) {
  start_server();
  auto alice = connect("alice");
  auto bob = connect("bob");
  join(*alice, "general");
  join(*bob, "general");
  Outcome o = flood(*alice, 30);
  const std::size_t refill = static_cast<std::size_t>(o.seconds * 10) + 1;
  EXPECT_GE(o.acked.size(), 20u) << "burst smaller than 20";
  EXPECT_LE(o.acked.size(), 20u + refill) << "more than burst + refill accepted in " << o.seconds << " s";
  EXPECT_FALSE(o.limited.empty());
  // bob (his own bucket) sends a marker; he has seen exactly the accepted messages.
  const std::string marker = new_id();
  send_message(*bob, "general", "marker", marker);
  bob->expect(message_with_id(marker), "marker");
  for (const auto& id : o.limited) EXPECT_EQ(bob->count(message_with_id(id)), 0u) << "rate-limited message broadcast";
  for (const auto& id : o.acked) EXPECT_EQ(bob->count(message_with_id(id)), 1u);
  // And the store holds exactly them, gap-free.
  std::vector<json::object> stored = all_messages(*bob, "general");
  ASSERT_EQ(stored.size(), o.acked.size() + 1);
  for (std::size_t n = 0; n < stored.size(); ++n) {
    EXPECT_EQ(get_int(stored[n], "seq"), static_cast<std::int64_t>(n + 1));
    EXPECT_EQ(o.limited.count(get_str(stored[n], "id")), 0u) << "rate-limited message stored";
  }
}

TEST_F(RateLimit, BucketIsPerUserAcrossConnections) {
  start_server({{"--rate-per-sec", "0.5"}, {"--rate-burst", "3"}});
  auto d1 = connect("alice");
  auto d2 = connect("alice");
  auto bob = connect("bob");
  join(*d1, "general");
  join(*bob, "general");
  for (int i = 0; i < 3; ++i) send_message(*d1, "general", "ok");
  const std::string id = post_message(*d2, "general", "over the limit");
  json::object e = d2->expect(has({{"type", "error"}, {"id", id}}), "rate_limited on the second device");
  EXPECT_EQ(e.at("code"), "rate_limited");
  // Another user is not affected.
  send_message(*bob, "general", "bob is fine");
}

TEST_F(RateLimit, BucketRefillsOverTime) {
  // One token per second: far longer than a commit takes even on a loaded machine, so the
  // retry right after the first ack is refused, and a later one is accepted.
  start_server({{"--rate-per-sec", "1"}, {"--rate-burst", "1"}});
  auto alice = connect("alice");
  join(*alice, "general");
  send_message(*alice, "general", "first");
  const auto t0 = Clock::now();
  const std::string early = post_message(*alice, "general", "too soon");
  EXPECT_EQ(alice->expect(has({{"type", "error"}, {"id", early}}), "rate_limited").at("code"), "rate_limited");
  // Time passing is what is tested here: retry every 50 ms until a token is back.
  bool accepted = false;
  while (!accepted && Clock::now() - t0 < 4s) {
    std::this_thread::sleep_for(50ms);
    const std::string id = post_message(*alice, "general", "retry");
    const Pred ack = has({{"type", "ack"}, {"id", id}}), refused = has({{"type", "error"}, {"id", id}});
    accepted = alice->expect([&](const json::object& o) { return ack(o) || refused(o); }, "reply").at("type") == "ack";
  }
  EXPECT_TRUE(accepted) << "no token refilled within 4 s at 1/s";
  EXPECT_GE(Clock::now() - t0, 300ms) << "a token came back long before the refill rate allows";
}

}  // namespace
}  // namespace parley::test

namespace parley::test {
namespace {

TEST_F(RateLimit, RateLimitedTellsWhenTheNextMessageWouldBeTaken) {
  start_server({{"--rate-per-sec", "0.5"}, {"--rate-burst", "1"}});
  auto alice = connect("alice");
  join(*alice, "general");
  send_message(*alice, "general", "first");
  const std::string id = post_message(*alice, "general", "too soon");
  auto e = alice->expect(has({{"type", "error"}, {"id", id}}), "rate_limited");
  EXPECT_EQ(e.at("code"), "rate_limited");
  const int64_t wait = get_int(e, "retry_after_ms");
  EXPECT_GT(wait, 0);
  EXPECT_LE(wait, 2000) << "one token every 2 s";
}

TEST_F(RateLimit, ADuplicateResendIsAckedWithoutCostingAToken) {
  // Three tokens and no refill to speak of during the test.
  start_server({{"--rate-per-sec", "0.001"}, {"--rate-burst", "3"}});
  auto alice = connect("alice");
  join(*alice, "general");
  const std::string id = new_id();
  const int64_t seq = get_int(send_message(*alice, "general", "once", id), "seq");
  // The outbox resends it (say, after a reconnect) again and again: answered from the dedup.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(get_int(send_message(*alice, "general", "once", id), "seq"), seq) << i;
  // The two tokens left are still there.
  send_message(*alice, "general", "second");
  send_message(*alice, "general", "third");
  const std::string over = post_message(*alice, "general", "fourth");
  EXPECT_EQ(alice->expect(has({{"type", "error"}, {"id", over}}), "rate_limited").at("code"), "rate_limited");
}

json::object typing_cmd(bool active) { return {{"type", "typing"}, {"room", "general"}, {"active", active}}; }

TEST_F(RateLimit, TypingChangesAreLimitedPerUserAndRoomAndRefreshesAreAbsorbed) {
  start_server({{"--typing-rate-per-sec", "0.001"}, {"--typing-burst", "3"}, {"--typing-timeout-ms", "60000"}});
  auto alice = connect("alice");
  auto bob = connect("bob");
  join(*alice, "general");
  join(*bob, "general");
  // A flood of refreshes of one indicator reaches bob once.
  for (int i = 0; i < 20; ++i) alice->send_json(typing_cmd(true));
  // A flood of changes: three get through (one of them the start above), the rest are refused.
  for (int i = 0; i < 6; ++i) alice->send_json(typing_cmd(i % 2 == 0 ? false : true));
  // Refused: the third and fifth change (the others are a refresh of an ongoing indicator).
  for (int i = 0; i < 2; ++i) {
    auto e = alice->expect(has({{"type", "error"}, {"code", "rate_limited"}}), "typing rate_limited");
    EXPECT_GT(get_int(e, "retry_after_ms"), 0);
  }
  const std::string marker = new_id();
  send_message(*alice, "general", "marker", marker);
  bob->expect(message_with_id(marker), "marker");
  EXPECT_EQ(bob->count(is_type("typing")), 4u) << "start, stop, start, and the stop the message made:\n" << bob->dump();
  // Another room has its own bucket.
  join(*alice, "other");
  join(*bob, "other");
  alice->send_json({{"type", "typing"}, {"room", "other"}, {"active", true}});
  bob->expect(has({{"type", "typing"}, {"room", "other"}, {"user", "alice"}}), "typing in another room");
}

}  // namespace
}  // namespace parley::test
