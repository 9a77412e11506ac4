#pragma once
// The hub's view of one connection. Implemented by the WebSocket session (net/) and by test
// doubles. All methods are thread-safe and never block: they hand work to the connection's
// own executor.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/types.hpp"

namespace parley {

enum class Urgency : uint8_t {
  normal,     // must be delivered or the connection closed (1013 when over the hard cap)
  droppable,  // typing and presence: dropped when the connection's queue is over the soft cap
};

// The application's close codes the hub uses (docs/protocol.md → Close codes).
inline constexpr uint16_t kCloseTokenInvalid = 4001;   // expired or revoked: get a fresh token
inline constexpr uint16_t kCloseAccountClosed = 4003;  // disabled or deleted: do not reconnect

class Client {
 public:
  virtual ~Client() = default;
  // Queues one frame. The frame is shared: the client must not modify it.
  virtual void send(Frame frame, Urgency urgency = Urgency::normal) = 0;
  // Queues a chat message event that the server received at `received_us` (wall clock, µs
  // since the epoch): the connection counts it and its delivery latency once it is written.
  virtual void send_message(Frame frame, int64_t received_us) { send(std::move(frame), Urgency::normal); }
  // Starts a close handshake with `code`; frames queued after this are discarded.
  virtual void close(uint16_t code, std::string reason) = 0;
  virtual uint64_t id() const = 0;
  virtual const std::string& user() const = 0;
  // The version of the token the connection presented last (the JWT's `ver`; 0 without one).
  virtual int64_t token_version() const { return 0; }
  // token_key_of() of the id (jti) of the token the connection presented last; 0 without one.
  virtual uint64_t token_key() const { return 0; }
  // Commands for this connection that came by HTTP POST (the fallback transport), perhaps
  // through another node: newline-separated JSON, run in order as if the connection had read
  // them. False when `key` is not the connection's (or it takes no input this way).
  virtual bool relay(std::string_view /*key*/, std::string /*text*/) { return false; }
};

using ClientPtr = std::shared_ptr<Client>;

// A token id as a number a connection keeps in an atomic (FNV-1a; never 0 for an id).
inline uint64_t token_key_of(std::string_view token_id) {
  if (token_id.empty()) return 0;
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : token_id) h = (h ^ c) * 1099511628211ull;
  return h | 1;
}

}  // namespace parley
