// Configurable limits: handshake timeout, connections per user (HTTP 429) and rooms per
// user (error limit_exceeded).
#include "parley_test.hpp"

namespace parley::test {
namespace {

using namespace std::chrono_literals;

class Limits : public ParleyTest {};

TEST_F(Limits, SilentTcpClientIsDisconnectedAfterHandshakeTimeout) {
  start_server({{"--handshake-timeout-ms", "300"}});
  auto bob = connect("bob");  // upgraded before the silent client arrives
  RawSocket silent(port());
  const auto t0 = Clock::now();
  ASSERT_TRUE(silent.wait_peer_closed(5s)) << "a client that sent nothing was kept for 5 s";
  const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
  EXPECT_GE(waited.count(), 200) << "closed long before --handshake-timeout-ms 300";
  // The timeout is for the handshake only: bob, connected for longer than that, still works.
  join(*bob, "general");
  send_message(*bob, "general", "still here");
}

TEST_F(Limits, StalledUpgradeRequestIsDisconnectedAfterHandshakeTimeout) {
  start_server({{"--handshake-timeout-ms", "300"}});
  RawSocket stalled(port());
  stalled.send_all("GET /ws?token=" + token("alice") + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n");
  EXPECT_TRUE(stalled.wait_peer_closed(5s)) << "a half-sent upgrade request was kept for 5 s";
}

TEST_F(Limits, ConnectionsPerUserOverTheLimitGet429) {
  start_server({{"--max-conns-per-user", "2"}});
  auto a1 = connect("alice");
  auto a2 = connect("alice");
  WsClient a3("alice#3");
  ConnectResult r = a3.connect(port(), {.token = token("alice")});
  EXPECT_EQ(r.status, 429) << r.error;
  // The limit is per user.
  auto bob = connect("bob");
  EXPECT_TRUE(bob->is_open());
  // The refused attempt did not disturb the two connections alice has.
  join(*a1, "general");
  send_message(*a2, "general", "both still work");
  a1->expect(has({{"type", "message"}, {"text", "both still work"}}));
  // Once one closes, alice may connect again. The server learns of the close a moment
  // after the close handshake, so retry on 429 for a short while.
  a1->close();
  int status = 0;
  const auto deadline = Clock::now() + 3s;
  while (Clock::now() < deadline) {
    WsClient again("alice#again");
    status = again.connect(port(), {.token = token("alice")}).status;
    if (status != 429) break;
    std::this_thread::sleep_for(20ms);  // no event tells when the server has counted the close
  }
  EXPECT_EQ(status, 101) << "alice still refused after closing a connection";
}

TEST_F(Limits, RoomsPerUserOverTheLimitIsLimitExceeded) {
  start_server({{"--max-rooms-per-user", "3"}});
  auto a = connect("alice");
  join(*a, "r1");
  join(*a, "r2");
  join(*a, "r3");
  a->send_json({{"type", "join"}, {"room", "r4"}, {"ref", "j4"}});
  auto err = a->expect(error_with("limit_exceeded"), "limit_exceeded for the 4th room");
  EXPECT_EQ(err.at("ref"), "j4");
  EXPECT_TRUE(err.contains("message"));
  // Joining a room again does not count as another room.
  join(*a, "r1");
  // The refused room was not created for alice: she is not a member.
  post_message(*a, "r4", "not a member");
  a->expect(error_with("forbidden"), "forbidden for r4");
  // Leaving frees a slot.
  leave(*a, "r3");
  join(*a, "r4");
  // Membership (and so the count) persists across a restart.
  a.reset();
  restart_server();
  auto again = connect("alice");
  again->send_json({{"type", "join"}, {"room", "r5"}});
  again->expect(error_with("limit_exceeded"), "limit_exceeded after restart");
}

}  // namespace
}  // namespace parley::test
