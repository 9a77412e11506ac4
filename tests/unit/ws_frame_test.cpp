#include "net/ws_frame.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace parley {
namespace {

std::vector<uint8_t> bytes_of(const WsFrameHeader& h) { return {h.bytes.begin(), h.bytes.begin() + h.size}; }

TEST(WsFrameHeader, SevenBitLengthsUpTo125) {
  EXPECT_EQ(bytes_of(ws_frame_header(WsOpcode::text, 0)), (std::vector<uint8_t>{0x81, 0}));
  EXPECT_EQ(bytes_of(ws_frame_header(WsOpcode::text, 125)), (std::vector<uint8_t>{0x81, 125}));
  EXPECT_EQ(bytes_of(ws_frame_header(WsOpcode::binary, 5)), (std::vector<uint8_t>{0x82, 5}));
}

TEST(WsFrameHeader, SixteenBitLengthsFrom126To65535) {
  EXPECT_EQ(bytes_of(ws_frame_header(WsOpcode::text, 126)), (std::vector<uint8_t>{0x81, 126, 0, 126}));
  EXPECT_EQ(bytes_of(ws_frame_header(WsOpcode::text, 65535)), (std::vector<uint8_t>{0x81, 126, 0xFF, 0xFF}));
}

TEST(WsFrameHeader, SixtyFourBitLengthsFrom65536InNetworkOrder) {
  EXPECT_EQ(bytes_of(ws_frame_header(WsOpcode::text, 65536)),
            (std::vector<uint8_t>{0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0}));
  EXPECT_EQ(bytes_of(ws_frame_header(WsOpcode::binary, 0x0102030405060708ULL)),
            (std::vector<uint8_t>{0x82, 127, 1, 2, 3, 4, 5, 6, 7, 8}));
}

}  // namespace
}  // namespace parley
