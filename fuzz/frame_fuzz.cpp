// libFuzzer target: the outbound frame header builder (net/ws_frame.hpp). The input picks an
// opcode and a payload length (the remaining bytes as payload, or a 64-bit length read from
// the input, without a payload, for lengths no test allocates); a strict RFC 6455 §5.2 reading
// of the header must give back exactly that: FIN, no RSV bits, the opcode, no mask, the
// shortest length form, the length.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "net/ws_frame.hpp"

namespace {

void check(parley::WsOpcode opcode, uint64_t length) {
  const auto h = parley::ws_frame_header(opcode, length);
  if (h.size < 2 || h.size > parley::WsFrameHeader::kMaxSize) std::abort();
  const uint8_t b0 = h.bytes[0], b1 = h.bytes[1];
  if ((b0 & 0x80) == 0) std::abort();                      // FIN
  if ((b0 & 0x70) != 0) std::abort();                      // RSV1-3
  if ((b0 & 0x0F) != static_cast<uint8_t>(opcode)) std::abort();
  if ((b1 & 0x80) != 0) std::abort();                      // a server never masks
  uint64_t decoded = b1 & 0x7F;
  std::size_t want = 2;
  if (decoded == 126) {
    want = 4;
    decoded = (uint64_t{h.bytes[2]} << 8) | h.bytes[3];
    if (decoded < 126) std::abort();                       // not the shortest form
  } else if (decoded == 127) {
    want = 10;
    decoded = 0;
    for (int i = 0; i < 8; ++i) decoded = (decoded << 8) | h.bytes[2 + i];
    if (decoded <= 0xFFFF || (decoded >> 63) != 0) std::abort();  // shortest form; MSB 0
  }
  if (h.size != want || decoded != length) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const auto opcode = (data[0] & 1) ? parley::WsOpcode::binary : parley::WsOpcode::text;
  check(opcode, size - 1);  // the rest of the input as the payload
  if (size >= 9) {
    uint64_t length = 0;
    std::memcpy(&length, data + 1, 8);
    check(opcode, length & 0x7FFF'FFFF'FFFF'FFFFULL);  // RFC 6455: the 64-bit length's MSB is 0
  }
  return 0;
}
