// Backpressure on a connection that does not read: over --queue-soft-bytes, typing and
// presence events are dropped for it (messages are not); over --queue-hard-bytes it is
// closed with 1013 while everyone else is served, and it catches up by seq afterwards.
//
// The slow client is a raw socket with a small receive buffer that reads nothing until
// the test lets it. How much the kernel buffers between server and client is bounded by
// the socket buffer limits, so the floods below are sized from tcp_wmem.
#include <fstream>

#include <boost/json/parse.hpp>

#include "parley_test.hpp"

namespace parley::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr std::size_t kChars = 50'000;  // per message
constexpr int kSlowRcvbuf = 4096;

// The most a TCP send buffer can grow to (tcp_wmem max), 4 MiB if unknown.
std::size_t kernel_send_buffer_max() {
  std::ifstream in("/proc/sys/net/ipv4/tcp_wmem");
  std::size_t lo = 0, def = 0, hi = 0;
  if (in >> lo >> def >> hi && hi > 0) return hi;
  return 4u << 20;
}

class Backpressure : public ParleyTest {
protected:
  Flags flags(std::string soft, std::string hard) {
    return {{"--queue-soft-bytes", soft},        {"--queue-hard-bytes", hard},
            {"--max-text-chars", "60000"},       {"--max-frame-bytes", "131072"},
            {"--rate-per-sec", "100000"},        {"--rate-burst", "100000"},
            {"--typing-timeout-ms", "60000"}};
  }
  // Makes `user` a member of general through a normal connection that then leaves.
  void make_member(std::string_view user) {
    auto c = connect(user);
    join(*c, "general");
    c->close();
  }
  // The slow client: upgraded, and from now on reading nothing.
  std::unique_ptr<RawSocket> slow_client(std::string_view user) {
    auto s = std::make_unique<RawSocket>(port(), kSlowRcvbuf);
    if (s->upgrade("/ws?token=" + token(user)) != 101) throw std::runtime_error("slow client upgrade failed");
    return s;
  }
  // Sends big messages from `c` in batches of four (200 KB: a reading client drains that
  // long before any queue cap), waiting for each batch's acks, until `bytes` have been sent
  // or `stop()` holds. Returns the ids sent.
  static std::vector<std::string> flood(WsClient& c, std::size_t bytes,
                                        const std::function<bool()>& stop = [] { return false; }) {
    const std::string text(kChars, 'f');
    std::vector<std::string> ids;
    while (ids.size() * kChars < bytes && !stop()) {
      const std::size_t first = ids.size();
      for (int i = 0; i < 4; ++i) ids.push_back(post_message(c, "general", text));
      for (std::size_t i = first; i < ids.size(); ++i)
        c.expect(has({{"type", "ack"}, {"id", ids[i]}}), "flood ack", 20s);
    }
    return ids;
  }
};

TEST_F(Backpressure, SlowConsumerIsClosedWith1013AndOthersAreServed) {
  constexpr std::size_t kHard = 1u << 20;  // the default
  start_server(flags("65536", std::to_string(kHard)));
  make_member("carol");
  auto dave = connect("dave");
  join(*dave, "general");
  auto bob = connect("bob");
  join(*bob, "general");
  auto carol = slow_client("carol");
  dave->expect(presence("general", "carol", "online"), "carol online");

  // Enough to fill every kernel buffer on the way and then the hard cap twice over.
  const std::size_t enough = kernel_send_buffer_max() + 2 * kHard + (1u << 20);
  // carol's first connection (make_member) may have told dave "offline" a tick late: only an
  // offline after this point is the cut.
  const auto offline = presence("general", "carol", "offline");
  const std::size_t offline_before = dave->count(offline);
  const int sent = static_cast<int>(flood(*bob, enough, [&] { return dave->count(offline) > offline_before; }).size());

  // carol wakes up like a real client would: she sends something, then reads what was
  // queued before the cut, then the 1013 close, which she answers.
  carol->send_frame(0x1, R"({"type":"typing","room":"general","active":true})");
  carol->set_rcvbuf(4 << 20);  // read the backlog fast, well within any close grace period
  std::int64_t last_seq = 0;
  bool in_order = true;
  RawFrame f;
  for (;;) {
    f = carol->read_frame(20s);
    if (f.kind != RawFrame::text) {
      if (f.kind == RawFrame::ping || f.kind == RawFrame::pong) continue;
      break;
    }
    json::object o = boost::json::parse(f.payload).as_object();
    if (o.at("type") == "message") {
      const std::int64_t seq = get_int(o, "seq");
      if (last_seq != 0 && seq != last_seq + 1) in_order = false;
      last_seq = seq;
    }
  }
  ASSERT_EQ(f.kind, RawFrame::close) << "slow consumer got " << f.kind_name() << " instead of a close frame after "
                                     << sent << " messages of " << kChars << " chars";
  EXPECT_EQ(f.close_code(), 1013);
  EXPECT_TRUE(in_order) << "the messages carol did get have a gap";
  EXPECT_LT(last_seq, sent) << "carol got everything: she was never cut off";
  carol->send_frame(0x8, f.payload.substr(0, 2));
  EXPECT_TRUE(carol->wait_peer_closed(5s)) << "TCP still open after the close handshake";

  // Everyone else is served: presence cleared, new messages flow.
  dave->expect(offline, "carol offline after the cut", 10s);
  const std::string after = new_id();
  send_message(*bob, "general", "after the cut", after);
  dave->expect(message_with_id(after), "message after the cut", 10s);

  // carol resyncs by seq on a new connection.
  auto again = connect("carol");
  std::int64_t last = 0;
  const json::object w = welcome_of(*again);
  for (const auto& r : w.at("rooms").as_array())
    if (r.as_object().at("room") == "general") last = get_int(r.as_object(), "last_seq");
  EXPECT_EQ(last, sent + 1);
  std::int64_t next = last_seq;
  for (;;) {
    json::object page = sync(*again, "general", next, 10);  // 10 x 50 KB: under the 1 MiB cap
    for (std::int64_t s : seqs_of(page)) EXPECT_EQ(s, ++next);
    if (page.at("has_more") == false) break;
  }
  EXPECT_EQ(next, last);
}

TEST_F(Backpressure, OverSoftLimitTypingAndPresenceAreDroppedMessagesAreNot) {
  start_server(flags("65536", std::to_string(256u << 20)));
  make_member("carol");
  make_member("erin");
  auto dave = connect("dave");
  join(*dave, "general");
  auto bob = connect("bob");
  join(*bob, "general");
  auto carol = slow_client("carol");
  dave->expect(presence("general", "carol", "online"), "carol online");

  // Far more than the kernel can hold: carol's server-side queue ends up way over 64 KiB.
  const std::vector<std::string> ids = flood(*bob, kernel_send_buffer_max() + (2u << 20));
  const int sent = static_cast<int>(ids.size());
  // dave's queue is empty again before the typing and presence events.
  dave->expect(message_with_id(ids.back()), "last flood message at dave", 20s);
  bob->send_json({{"type", "typing"}, {"room", "general"}, {"active", true}});
  dave->expect(typing("general", "bob", true), "typing (to a fast member)");
  auto erin = connect("erin");
  dave->expect(presence("general", "erin", "online"), "erin online (to a fast member)");
  const std::string last = new_id();
  send_message(*bob, "general", "the end", last);

  // carol now reads everything: every message, in order, and no typing or presence.
  std::int64_t expected_seq = 1;
  int typing_events = 0, presence_events = 0;
  bool got_last = false;
  while (!got_last) {
    RawFrame f = carol->read_frame(20s);
    ASSERT_TRUE(f.kind == RawFrame::text || f.kind == RawFrame::ping)
        << "slow reader got " << f.kind_name() << " (code " << f.close_code() << ") at seq " << expected_seq;
    if (f.kind != RawFrame::text) continue;
    json::object o = boost::json::parse(f.payload).as_object();
    if (o.at("type") == "typing") ++typing_events;
    // (erin's offline from make_member may still come: it can leave at a tick after carol connected)
    if (o.at("type") == "presence" && o.at("user") == "erin" && o.at("status") == "online") ++presence_events;
    if (o.at("type") == "message") {
      EXPECT_EQ(get_int(o, "seq"), expected_seq) << "a message was dropped for the slow reader";
      expected_seq = get_int(o, "seq") + 1;
      got_last = get_str(o, "id") == last;
    }
  }
  EXPECT_EQ(expected_seq, sent + 2);
  EXPECT_EQ(typing_events, 0) << "typing was queued to a connection over the soft limit";
  EXPECT_EQ(presence_events, 0) << "presence was queued to a connection over the soft limit";
}

TEST_F(Backpressure, HistoryPageBiggerThanTheHardCapDoesNotCutAFastClient) {
  // Default caps and text limit; 200 messages of 4000 two-byte characters make a full
  // sync page of about 1.6 MB, more than the default 1 MiB hard cap. A client that reads
  // as fast as it can must still be able to page through the room.
  start_server({{"--rate-per-sec", "100000"}, {"--rate-burst", "100000"}});
  auto alice = connect("alice");
  join(*alice, "general");
  std::string text;
  for (int i = 0; i < 4000; ++i) text += "\xc3\xa9";
  std::vector<std::string> ids;
  for (int i = 0; i < 200; ++i) {
    ids.push_back(post_message(*alice, "general", text));
    if (ids.size() % 20 == 0)
      for (std::size_t k = ids.size() - 20; k < ids.size(); ++k)
        alice->expect(has({{"type", "ack"}, {"id", ids[k]}}), "ack", 20s);
  }
  auto reader = connect("alice");
  std::int64_t next = 0;
  for (int pages = 0; pages < 400; ++pages) {
    reader->send_json({{"type", "sync"}, {"room", "general"}, {"after", next}, {"limit", 200}});
    auto reply = reader->wait_for(has({{"type", "history"}, {"room", "general"}}), 20s);
    ASSERT_TRUE(reply.has_value()) << "no history reply after seq " << next << "; connection "
                                   << reader->close_info().describe();
    for (std::int64_t s : seqs_of(reply->obj)) EXPECT_EQ(s, ++next);
    if (reply->obj.at("has_more") == false) break;
  }
  EXPECT_EQ(next, 200);
  EXPECT_TRUE(reader->is_open()) << reader->close_info().describe();
}

}  // namespace
}  // namespace parley::test
