// Protocol-violation close codes: 1009 for a frame over --max-frame-bytes, 1007 for a
// text frame that is not UTF-8. (1012 is in shutdown_test, 1013 in backpressure_test.)
#include "parley_test.hpp"

namespace parley::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

std::string message_of_bytes(std::size_t total) {
  const std::string head = R"({"type":"message","room":"general","id":"big","text":")";
  const std::string tail = R"("})";
  return head + std::string(total - head.size() - tail.size(), 'x') + tail;
}

class CloseCodes : public ParleyTest {};

TEST_F(CloseCodes, FrameOverDefault64KiBCloses1009) {
  start_server();
  auto bob = connect("bob");
  join(*bob, "general");
  // A raw client: it writes the whole oversized frame, then reads. (A library client may fail
  // its own write once the server has answered, and drop the close frame it was sent.)
  RawSocket raw(port());
  ASSERT_EQ(raw.upgrade("/ws?token=" + token("alice")), 101);
  ASSERT_EQ(raw.read_frame(5s).kind, RawFrame::text);  // welcome
  raw.send_frame(0x1, R"({"type":"join","room":"general"})");
  bob->expect(presence("general", "alice", "online"), "alice online");
  try {
    raw.send_frame(0x1, message_of_bytes(64 * 1024 + 100));
  } catch (const std::exception&) {
    // the server may close before the last bytes are written; the close frame is still read
  }
  RawFrame f = raw.read_until_close(5s);
  ASSERT_EQ(f.kind, RawFrame::close) << "got " << f.kind_name() << " instead of a close frame";
  EXPECT_EQ(f.close_code(), 1009);
  // bob is unaffected and sees alice go offline.
  bob->expect(presence("general", "alice", "offline"), "alice offline");
  send_message(*bob, "general", "bob still here");
}

TEST_F(CloseCodes, FrameUnderTheLimitIsNotClosed) {
  start_server();
  auto alice = connect("alice");
  join(*alice, "general");
  alice->send_text(message_of_bytes(60 * 1024));  // under 64 KiB, over 4000 characters
  EXPECT_EQ(alice->expect(is_type("error"), "too_large").at("code"), "too_large");
  EXPECT_TRUE(alice->is_open());
}

TEST_F(CloseCodes, MaxFrameBytesFlagIsHonoured) {
  start_server({{"--max-frame-bytes", "1024"}});
  auto ok = connect("bob");
  join(*ok, "general");
  const std::string fits = message_of_bytes(1000);
  ok->send_text(fits);
  ok->expect(is_type("ack"), "ack for a 1000-byte frame");
  auto alice = connect("alice");
  alice->send_text(message_of_bytes(2000));
  CloseInfo ci = alice->wait_closed();
  EXPECT_EQ(ci.code, 1009) << ci.describe();
  EXPECT_TRUE(ok->is_open());
}

TEST_F(CloseCodes, InvalidUtf8TextFrameCloses1007) {
  start_server();
  auto bob = connect("bob");
  join(*bob, "general");
  RawSocket raw(port());
  ASSERT_EQ(raw.upgrade("/ws?token=" + token("alice")), 101);
  RawFrame welcome = raw.read_frame(5s);
  ASSERT_EQ(welcome.kind, RawFrame::text) << welcome.kind_name();
  EXPECT_NE(welcome.payload.find("welcome"), std::string::npos) << welcome.payload;
  raw.send_frame(0x1, R"({"type":"join","room":"general"})");
  raw.send_frame(0x1, "{\"type\":\"message\",\"room\":\"general\",\"id\":\"u\",\"text\":\"\xc3\x28\xff\"}");
  RawFrame f = raw.read_until_close(5s);
  ASSERT_EQ(f.kind, RawFrame::close) << "got " << f.kind_name() << " instead of a close frame";
  EXPECT_EQ(f.close_code(), 1007);
  // Complete the close handshake like a browser would; the server then drops the TCP connection.
  raw.send_frame(0x8, f.payload.substr(0, 2));
  EXPECT_TRUE(raw.wait_peer_closed(5s)) << "TCP still open after the close handshake";
  // The invalid message was not stored or broadcast.
  bob->expect(presence("general", "alice", "offline"), "alice offline");
  EXPECT_EQ(bob->count(is_type("message")), 0u) << bob->dump();
  EXPECT_TRUE(sync(*bob, "general", 0).at("messages").as_array().empty());
}

TEST_F(CloseCodes, InvalidUtf8AcrossFragmentsCloses1007) {
  start_server();
  RawSocket raw(port());
  ASSERT_EQ(raw.upgrade("/ws?token=" + token("alice")), 101);
  ASSERT_EQ(raw.read_frame(5s).kind, RawFrame::text);
  // A valid lead byte at the end of one fragment, an invalid continuation in the next.
  raw.send_frame(0x1, "{\"type\":\"join\",\"room\":\"\xc3", false);
  raw.send_frame(0x0, "\x41\"}", true);
  RawFrame f = raw.read_until_close(5s);
  ASSERT_EQ(f.kind, RawFrame::close) << "got " << f.kind_name();
  EXPECT_EQ(f.close_code(), 1007);
}

}  // namespace
}  // namespace parley::test
