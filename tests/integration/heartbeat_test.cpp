// Heartbeat: the server pings every heartbeat_ms; a connection that misses two pongs is
// closed and its presence cleared, while clients that answer stay connected.
#include "parley_test.hpp"

namespace parley::test {
namespace {

using namespace std::chrono_literals;

class Heartbeat : public ParleyTest {};

TEST_F(Heartbeat, SilentClientIsDroppedAfterTwoMissedPongs) {
  constexpr int kHeartbeatMs = 200;
  start_server({{"--heartbeat-ms", std::to_string(kHeartbeatMs)}});
  auto bob = connect("bob");
  join(*bob, "general");

  // alice never answers pings: a raw connection that reads but does not pong.
  RawSocket alice(port());
  ASSERT_EQ(alice.upgrade("/ws?token=" + token("alice")), 101);
  const auto t0 = Clock::now();
  alice.send_frame(0x1, R"({"type":"join","room":"general"})");
  int pings = 0;
  RawFrame last;
  for (;;) {
    last = alice.read_frame(5s);
    if (last.kind == RawFrame::ping) ++pings;
    if (last.kind == RawFrame::eof || last.kind == RawFrame::close || last.kind == RawFrame::timeout) break;
  }
  const auto lived = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
  ASSERT_NE(last.kind, RawFrame::timeout) << "a client that never pongs was still connected after " << lived
                                          << " ms (" << pings << " pings)";
  EXPECT_GE(pings, 2) << "closed before two pings went unanswered";
  EXPECT_GE(lived, kHeartbeatMs * 3 / 2) << "closed too early for two missed pongs";
  if (last.kind == RawFrame::close) {
    EXPECT_TRUE(alice.wait_peer_closed(5s)) << "TCP left open after close frame";
  }

  bob->expect(presence("general", "alice", "offline"), "alice offline after missed pongs");
  // bob answers pings (Beast does it while reading) and is still connected.
  EXPECT_GE(bob->pings_received(), 2) << "the server does not ping every heartbeat";
  EXPECT_TRUE(bob->is_open());
  send_message(*bob, "general", "still here");
}

TEST_F(Heartbeat, AnsweringClientStaysConnectedAcrossManyIntervals) {
  start_server({{"--heartbeat-ms", "100"}});
  auto alice = connect("alice");
  EXPECT_EQ(get_int(welcome_of(*alice), "heartbeat_ms"), 100);
  join(*alice, "general");
  // Ten intervals pass while alice answers every ping; at 100 ms they take about a second.
  const auto t0 = Clock::now();
  alice->wait_pings(10, 10s);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
  EXPECT_GE(alice->pings_received(), 10);
  EXPECT_LT(took, 3000) << "10 pings at --heartbeat-ms 100 took " << took << " ms";
  EXPECT_TRUE(alice->is_open()) << alice->close_info().describe();
  send_message(*alice, "general", "alive");
}

}  // namespace
}  // namespace parley::test
