// The hostile-input battery beyond the per-command errors (errors_test): fragmented frames,
// ping floods, connection floods from one address (and behind a trusted proxy), deep
// nesting, huge numbers and SQL metacharacters. Each gets its documented answer and the
// server keeps serving everyone else.
#include <string>
#include <vector>

#include "parley_test.hpp"

namespace parley::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class HostileInput : public ParleyTest {
protected:
  // A raw connection for `user` from `source`, upgraded and past its welcome.
  std::unique_ptr<RawSocket> raw_client(const std::string& user, const char* source = nullptr) {
    auto raw = std::make_unique<RawSocket>(port(), 0, source);
    EXPECT_EQ(raw->upgrade("/ws?token=" + token(user)), 101);
    RawFrame welcome = raw->read_frame(5s);
    EXPECT_NE(welcome.payload.find("\"welcome\""), std::string::npos) << welcome.kind_name() << " " << welcome.payload;
    return raw;
  }
  // The next text frame that contains `needle` (control frames and others skipped).
  static RawFrame read_text_with(RawSocket& raw, std::string_view needle) {
    const auto deadline = Clock::now() + 5s;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      RawFrame f = raw.read_frame(std::max(left, 0ms));
      if (f.kind == RawFrame::text && f.payload.find(needle) != std::string::npos) return f;
      if (f.kind != RawFrame::text && f.kind != RawFrame::ping && f.kind != RawFrame::pong) return f;
    }
  }
  // A status-only upgrade attempt from `source`, with extra headers.
  int upgrade_status(const std::string& user, const char* source,
                     const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    RawSocket raw(port(), 0, source);
    return raw.upgrade("/ws?token=" + token(user), headers);
  }
};

// ---- fragmented frames ------------------------------------------------------------------

TEST_F(HostileInput, FragmentedMessageWithAPingBetweenIsReassembled) {
  start_server();
  auto bob = connect("bob");
  join(*bob, "general");
  auto raw = raw_client("alice");
  raw->send_frame(0x1, R"({"type":"join","room":"general"})");
  ASSERT_EQ(read_text_with(*raw, "\"joined\"").kind, RawFrame::text);
  raw->send_frame(0x1, R"({"type":"message","room":"general",)", false);
  raw->send_frame(0x0, R"("id":"frag-1","text":"in )", false);
  raw->send_frame(0x9, "between");  // a control frame may sit between fragments
  raw->send_frame(0x0, R"(three parts"})", true);
  RawFrame ack = read_text_with(*raw, "\"ack\"");
  ASSERT_EQ(ack.kind, RawFrame::text) << ack.kind_name();
  EXPECT_NE(ack.payload.find("frag-1"), std::string::npos) << ack.payload;
  json::object m = bob->expect(message_with_id("frag-1"), "the reassembled message");
  EXPECT_EQ(m.at("text"), "in three parts");
}

TEST_F(HostileInput, ContinuationWithoutAStartCloses1002) {
  start_server();
  auto bob = connect("bob");
  auto raw = raw_client("alice");
  raw->send_frame(0x0, R"({"type":"join","room":"general"})", true);
  RawFrame f = raw->read_until_close(5s);
  ASSERT_EQ(f.kind, RawFrame::close) << f.kind_name();
  EXPECT_EQ(f.close_code(), 1002);
  join(*bob, "general");  // others are served
}

TEST_F(HostileInput, NewMessageInsideAFragmentedOneCloses1002) {
  start_server();
  auto raw = raw_client("alice");
  raw->send_frame(0x1, R"({"type":"join",)", false);
  raw->send_frame(0x1, R"({"type":"join","room":"general"})", true);
  RawFrame f = raw->read_until_close(5s);
  ASSERT_EQ(f.kind, RawFrame::close) << f.kind_name();
  EXPECT_EQ(f.close_code(), 1002);
}

TEST_F(HostileInput, FragmentsAddingUpOverTheLimitClose1009) {
  start_server({{"--max-frame-bytes", "4096"}});
  auto raw = raw_client("alice");
  const std::string part(1500, 'x');
  raw->send_frame(0x1, R"({"type":"message","room":"general","id":"big","text":")" + part, false);
  raw->send_frame(0x0, part, false);
  raw->send_frame(0x0, part + R"("})", true);
  RawFrame f = raw->read_until_close(5s);
  ASSERT_EQ(f.kind, RawFrame::close) << f.kind_name();
  EXPECT_EQ(f.close_code(), 1009);
}

// ---- ping floods ------------------------------------------------------------------------

TEST_F(HostileInput, PingFloodCloses1008OthersAreServed) {
  start_server();
  auto bob = connect("bob");
  join(*bob, "general");
  auto raw = raw_client("alice");
  try {
    for (int i = 0; i < 200; ++i) raw->send_frame(0x9, "flood");
  } catch (const std::exception&) {
    // the server may already have closed: that is the point
  }
  RawFrame f = raw->read_until_close(5s);
  ASSERT_EQ(f.kind, RawFrame::close) << f.kind_name();
  EXPECT_EQ(f.close_code(), 1008);
  send_message(*bob, "general", "bob still served");
}

TEST_F(HostileInput, PingsWithinTheBurstAreAnsweredAndTheConnectionStays) {
  start_server({{"--ping-burst", "30"}});
  auto raw = raw_client("alice");
  for (int i = 0; i < 25; ++i) raw->send_frame(0x9, "p" + std::to_string(i));
  int pongs = 0;
  while (pongs < 25) {
    RawFrame f = raw->read_frame(5s);
    ASSERT_EQ(f.kind, RawFrame::pong) << "after " << pongs << " pongs: " << f.kind_name() << " " << f.payload;
    EXPECT_EQ(f.payload, "p" + std::to_string(pongs));
    ++pongs;
  }
  raw->send_frame(0x1, R"({"type":"join","room":"general"})");
  EXPECT_EQ(read_text_with(*raw, "\"joined\"").kind, RawFrame::text);
}

// ---- connection floods ------------------------------------------------------------------

TEST_F(HostileInput, ConnectionFloodFromOneAddressGets429OthersAreServed) {
  start_server({{"--max-conns-per-ip", "4"}});
  // Idle TCP connections count as much as upgraded ones.
  std::vector<std::unique_ptr<RawSocket>> held;
  for (int i = 0; i < 2; ++i) held.push_back(std::make_unique<RawSocket>(port(), 0, "127.0.0.3"));
  for (int i = 0; i < 2; ++i) held.push_back(raw_client("flood" + std::to_string(i), "127.0.0.3"));
  RawSocket extra(port(), 0, "127.0.0.3");
  EXPECT_EQ(extra.upgrade("/ws?token=" + token("flood9")), 429);
  EXPECT_NE(extra.response_head().find("429"), std::string::npos);
  EXPECT_TRUE(extra.wait_peer_closed(5s));
  // Another address is not affected.
  EXPECT_EQ(upgrade_status("carol", "127.0.0.4"), 101);
  auto bob = connect("bob");
  join(*bob, "general");
  // A place freed is a place to take again, once the server has seen the close.
  held.front()->close();
  const auto deadline = Clock::now() + 5s;
  int status = 0;
  while (Clock::now() < deadline && (status = upgrade_status("flood8", "127.0.0.3")) == 429) {
  }
  EXPECT_EQ(status, 101);
}

TEST_F(HostileInput, BehindATrustedProxyTheForwardedAddressIsLimited) {
  start_server({{"--max-conns-per-ip", "2"}, {"--trusted-proxies", "127.0.0.5"}});
  const char* proxy = "127.0.0.5";
  // The proxy itself is not limited: more idle connections than the limit.
  std::vector<std::unique_ptr<RawSocket>> idle;
  for (int i = 0; i < 3; ++i) idle.push_back(std::make_unique<RawSocket>(port(), 0, proxy));
  std::vector<std::unique_ptr<RawSocket>> held;
  for (int i = 0; i < 2; ++i) {
    held.push_back(std::make_unique<RawSocket>(port(), 0, proxy));
    ASSERT_EQ(held.back()->upgrade("/ws?token=" + token("u" + std::to_string(i)), {{"X-Forwarded-For", "203.0.113.7"}}), 101);
  }
  EXPECT_EQ(upgrade_status("u3", proxy, {{"X-Forwarded-For", "203.0.113.7"}}), 429);
  // The rightmost address that is not a trusted proxy counts: a client-supplied entry to
  // its left changes nothing.
  EXPECT_EQ(upgrade_status("u4", proxy, {{"X-Forwarded-For", "198.51.100.1, 203.0.113.7"}}), 429);
  EXPECT_EQ(upgrade_status("u5", proxy, {{"X-Forwarded-For", "203.0.113.8"}}), 101);
}

TEST_F(HostileInput, ForwardedForFromAnUntrustedPeerIsIgnored) {
  start_server({{"--max-conns-per-ip", "2"}});
  std::vector<std::unique_ptr<RawSocket>> held;
  for (int i = 0; i < 2; ++i) {
    held.push_back(std::make_unique<RawSocket>(port(), 0, "127.0.0.6"));
    ASSERT_EQ(held.back()->upgrade("/ws?token=" + token("s" + std::to_string(i)),
                                   {{"X-Forwarded-For", "192.0.2." + std::to_string(i + 1)}}),
              101);
  }
  EXPECT_EQ(upgrade_status("s3", "127.0.0.6", {{"X-Forwarded-For", "192.0.2.99"}}), 429);
}

// ---- hostile JSON -----------------------------------------------------------------------

TEST_F(HostileInput, DeepNestingIsBadRequestAndTheConnectionStays) {
  start_server();
  auto alice = connect("alice");
  join(*alice, "general");
  const int depth = 20000;
  std::string nested = R"({"type":"message","room":"general","id":"deep","text":"x","extra":)" +
                       std::string(depth, '[') + std::string(depth, ']') + "}";
  alice->send_text(nested);
  EXPECT_EQ(alice->expect(is_type("error"), "deep nesting").at("code"), "bad_request");
  std::string objects = R"({"type":"join","room":"general","x":)";
  for (int i = 0; i < 5000; ++i) objects += R"({"a":)";
  objects += "1" + std::string(5000, '}') + "}";
  alice->send_text(objects);
  EXPECT_EQ(alice->expect(is_type("error"), "deep objects").at("code"), "bad_request");
  send_message(*alice, "general", "still served");
}

TEST_F(HostileInput, HugeNumbersAreBadRequest) {
  start_server();
  auto alice = connect("alice");
  join(*alice, "general");
  send_message(*alice, "general", "one");
  for (const char* after : {"1e400", "99999999999999999999999", "-1", "1.5", "18446744073709551616"}) {
    alice->send_text(std::string(R"({"type":"sync","room":"general","ref":"n","after":)") + after + "}");
    json::object e = alice->expect(has({{"type", "error"}, {"ref", "n"}}), std::string("sync after ") + after);
    EXPECT_EQ(e.at("code"), "bad_request") << after;
  }
  alice->send_text(R"({"type":"read","room":"general","ref":"r","seq":9223372036854775807})");
  EXPECT_EQ(alice->expect(has({{"type", "error"}, {"ref", "r"}}), "read far past the end").at("code"), "bad_request");
  alice->send_text(R"({"type":"history","room":"general","ref":"h","before":1,"limit":1e300})");
  EXPECT_EQ(alice->expect(has({{"type", "error"}, {"ref", "h"}}), "huge limit").at("code"), "bad_request");
  EXPECT_EQ(seqs_of(sync(*alice, "general", 0)), (std::vector<std::int64_t>{1}));
}

TEST_F(HostileInput, SqlMetacharactersAreStoredAndReturnedVerbatim) {
  start_server();
  auto alice = connect("alice");
  join(*alice, "general");
  const std::vector<std::string> texts = {
      "'); DROP TABLE messages; --", R"(" OR 1=1 --)", "'; DELETE FROM rooms WHERE ''='", "%_\\%",
      "Robert'); UPDATE users SET password_hash='x' --", "$1 $$ ; COMMIT; BEGIN;"};
  for (const auto& t : texts) send_message(*alice, "general", t, "sql-" + std::to_string(&t - texts.data()));
  restart_server();  // whatever was stored went through the store, not a cache
  auto again = connect("alice");
  auto all = all_messages(*again, "general");
  ASSERT_EQ(all.size(), texts.size());
  for (std::size_t i = 0; i < texts.size(); ++i) EXPECT_EQ(all[i].at("text").as_string(), texts[i]);
  // Names cannot carry them at all.
  again->send_text(R"({"type":"join","room":"x'; DROP TABLE rooms; --","ref":"j"})");
  EXPECT_EQ(again->expect(has({{"type", "error"}, {"ref", "j"}}), "bad room").at("code"), "bad_request");
  auto reg = http_post_json(port(), "/api/register", json::object{{"user", "bob' OR '1'='1"}, {"password", "long enough pw"}});
  EXPECT_EQ(reg.status, 400);
  WsClient forged("forged");
  ConnectOptions o;
  o.token = mint_token(kSecret, "bob'--", std::time(nullptr) + 3600);
  EXPECT_EQ(try_connect(forged, o).status, 401);
  EXPECT_EQ(all_messages(*again, "general").size(), texts.size());
}

}  // namespace
}  // namespace parley::test
