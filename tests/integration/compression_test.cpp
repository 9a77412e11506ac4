// permessage-deflate: negotiated with clients that offer it, applied only to frames of
// --deflate-min-bytes and more, and off entirely with --deflate-level 0.
#include "parley_test.hpp"

namespace parley::test {
namespace {

using namespace std::chrono_literals;

class Compression : public ParleyTest {
 protected:
  // Upgrades a raw socket offering permessage-deflate, joins `general` and sends one message
  // of `text`; returns the frames received up to and including the ack.
  std::vector<RawFrame> exchange(RawSocket& s, const std::string& text) {
    EXPECT_EQ(s.upgrade("/ws?token=" + token("alice"),
                        {{"Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"}}),
              101);
    std::vector<RawFrame> frames;
    frames.push_back(s.read_frame(5s));  // welcome
    s.send_frame(0x1, R"({"type":"join","room":"general"})");
    frames.push_back(s.read_frame(5s));  // joined
    s.send_frame(0x1, R"({"type":"message","room":"general","id":"big-1","text":")" + text + R"("})");
    frames.push_back(s.read_frame(5s));  // the message event (the sender's copy comes first)
    frames.push_back(s.read_frame(5s));  // ack
    return frames;
  }
};

TEST_F(Compression, LargeFramesAreCompressedSmallOnesAreNot) {
  start_server({});
  RawSocket s(port());
  const std::string text(3000, 'a');
  auto frames = exchange(s, text);
  EXPECT_NE(s.response_head().find("permessage-deflate"), std::string::npos) << s.response_head();
  ASSERT_EQ(frames.size(), 4u);
  EXPECT_FALSE(frames[0].compressed) << "welcome is under 1 KiB";
  EXPECT_FALSE(frames[1].compressed) << "joined is under 1 KiB";
  EXPECT_TRUE(frames[2].compressed) << "a 3 KB message event is compressed";
  EXPECT_LT(frames[2].payload.size(), 500u) << "3,000 repeated characters deflate to a few dozen bytes";
  EXPECT_FALSE(frames[3].compressed) << "the ack is under 1 KiB";
}

TEST_F(Compression, LevelZeroTurnsItOff) {
  start_server({{"--deflate-level", "0"}});
  RawSocket s(port());
  const std::string text(3000, 'a');
  auto frames = exchange(s, text);
  EXPECT_EQ(s.response_head().find("permessage-deflate"), std::string::npos) << s.response_head();
  ASSERT_EQ(frames.size(), 4u);
  EXPECT_FALSE(frames[2].compressed);
  EXPECT_NE(frames[2].payload.find(text), std::string::npos);
}

TEST_F(Compression, ClientsThatDoNotOfferItGetPlainFrames) {
  start_server({});
  auto alice = connect("alice");
  join(*alice, "general");
  const std::string text(3000, 'b');
  send_message(*alice, "general", text);
  EXPECT_EQ(alice->expect(is_type("message"), "message").at("text").as_string(), text);
}

}  // namespace
}  // namespace parley::test
