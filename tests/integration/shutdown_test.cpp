// Graceful shutdown on SIGTERM/SIGINT: every WebSocket closed with 1012, no new
// connections, pending store batches finished, exit 0 within 10 s, no acked message lost.
#include <csignal>

#include "parley_test.hpp"

namespace parley::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class Shutdown : public ParleyTest {
protected:
  void drains_on(int sig) {
    start_server();
    auto d1 = connect("alice");
    auto d2 = connect("alice");
    auto bob = connect("bob");
    join(*d1, "general");
    join(*bob, "general");
    send_message(*d1, "general", "before shutdown");
    const auto t0 = Clock::now();
    signal_server(sig);
    for (WsClient* c : {d1.get(), d2.get(), bob.get()}) {
      CloseInfo ci = c->wait_closed(10s);
      EXPECT_TRUE(ci.close_frame) << c->name() << ": " << ci.describe();
      EXPECT_EQ(ci.code, 1012) << c->name() << ": " << ci.describe();
    }
    // Not accepting any more (the process may also be gone already).
    WsClient late("late");
    ConnectResult r = late.connect(port(), {.token = token("carol"), .timeout = 3s});
    EXPECT_FALSE(r.upgraded) << "a new connection was upgraded during shutdown";
    auto st = server().wait_exit(std::chrono::duration_cast<std::chrono::milliseconds>(10s - (Clock::now() - t0)) + 500ms);
    ASSERT_TRUE(st.has_value()) << "parleyd still running 10 s after the signal";
    EXPECT_TRUE(st->ok()) << st->describe();
  }
};

TEST_F(Shutdown, SigtermClosesWith1012AndExitsZero) { drains_on(SIGTERM); }

TEST_F(Shutdown, SigintClosesWith1012AndExitsZero) { drains_on(SIGINT); }

TEST_F(Shutdown, IdleServerExitsPromptly) {
  start_server();
  signal_server(SIGTERM);
  auto st = server().wait_exit(10s);
  ASSERT_TRUE(st.has_value()) << "parleyd ignored SIGTERM for 10 s";
  EXPECT_TRUE(st->ok()) << st->describe();
}

TEST_F(Shutdown, NoAckedMessageIsLostWhenStoppedUnderLoad) {
  start_server({{"--rate-per-sec", "100000"}, {"--rate-burst", "100000"}});
  auto alice = connect("alice");
  join(*alice, "general");
  std::vector<std::string> ids;
  for (int i = 0; i < 400; ++i) ids.push_back(post_message(*alice, "general", "load " + std::to_string(i)));
  // Stop as soon as acks start coming: the rest is in flight.
  alice->expect(is_type("ack"), "first ack");
  signal_server(SIGTERM);
  CloseInfo ci = alice->wait_closed(10s);
  EXPECT_EQ(ci.code, 1012) << ci.describe();
  auto st = server().wait_exit(10s);
  ASSERT_TRUE(st.has_value());
  EXPECT_TRUE(st->ok()) << st->describe();

  std::map<std::string, std::int64_t> acked;
  for (const Received& r : alice->received())
    if (r.obj.at("type") == "ack") acked[get_str(r.obj, "id")] = get_int(r.obj, "seq");
  ASSERT_FALSE(acked.empty());

  start_server({{"--rate-per-sec", "100000"}, {"--rate-burst", "100000"}});
  auto again = connect("alice");
  std::vector<json::object> stored = all_messages(*again, "general");
  std::map<std::string, std::int64_t> stored_seq;
  for (std::size_t n = 0; n < stored.size(); ++n) {
    EXPECT_EQ(get_int(stored[n], "seq"), static_cast<std::int64_t>(n + 1)) << "gap in the stored seqs";
    stored_seq[get_str(stored[n], "id")] = get_int(stored[n], "seq");
  }
  for (const auto& [id, seq] : acked) {
    auto it = stored_seq.find(id);
    ASSERT_NE(it, stored_seq.end()) << "acked message " << id << " (seq " << seq << ") lost in shutdown";
    EXPECT_EQ(it->second, seq);
  }
}

}  // namespace
}  // namespace parley::test
