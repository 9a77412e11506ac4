// libFuzzer target: one WebSocket text frame into the command decoder, and the error or
// command back out through the encoder. Must never crash, leak or read out of bounds.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protocol/decode.hpp"
#include "protocol/encode.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view frame(reinterpret_cast<const char*>(data), size);
  auto decoded = parley::decode_command(frame);
  if (auto* err = std::get_if<parley::ProtocolError>(&decoded)) {
    parley::encode::error(*err);
  } else if (auto* cmd = std::get_if<parley::Command>(&decoded)) {
    if (auto* m = std::get_if<parley::MessageCmd>(&cmd->body)) {
      parley::encode::message(parley::ChatMessage{m->room, 1, 1, "u", m->id, m->text});
      parley::encode::ack(m->room, m->id, 1, 1, cmd->ref);
    }
  }
  return 0;
}
