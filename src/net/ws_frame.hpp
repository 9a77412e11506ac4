#pragma once
// The header of one outgoing WebSocket frame (RFC 6455 §5.2), as a server writes it: FIN set,
// no reserved bits, no mask. The payload follows the header unchanged, so one encoded message
// is the same bytes for every recipient and only these 2–10 header bytes are per write.
// No Beast here: the session gathers header and payload into one write of its own.
#include <array>
#include <cstddef>
#include <cstdint>

namespace parley {

enum class WsOpcode : uint8_t { text = 0x1, binary = 0x2 };

struct WsFrameHeader {
  static constexpr std::size_t kMaxSize = 10;
  std::array<uint8_t, kMaxSize> bytes{};
  uint8_t size = 0;
};

// The header of a final, unmasked data frame of `payload_size` bytes (7-bit, 16-bit or 64-bit
// length, the shortest form as §5.2 requires).
inline WsFrameHeader ws_frame_header(WsOpcode opcode, uint64_t payload_size) {
  WsFrameHeader h;
  h.bytes[0] = static_cast<uint8_t>(0x80 | static_cast<uint8_t>(opcode));
  if (payload_size <= 125) {
    h.bytes[1] = static_cast<uint8_t>(payload_size);
    h.size = 2;
  } else if (payload_size <= 0xFFFF) {
    h.bytes[1] = 126;
    h.bytes[2] = static_cast<uint8_t>(payload_size >> 8);
    h.bytes[3] = static_cast<uint8_t>(payload_size);
    h.size = 4;
  } else {
    h.bytes[1] = 127;
    for (int i = 0; i < 8; ++i) h.bytes[2 + i] = static_cast<uint8_t>(payload_size >> (8 * (7 - i)));
    h.size = 10;
  }
  return h;
}

}  // namespace parley
