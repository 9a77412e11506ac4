#pragma once
// The hub's EventEncoder over protocol v1 (protocol/encode.hpp): how domain events become the
// client frames every recipient shares.
#include "hub/encoder.hpp"

namespace parley {

class ProtocolEncoder final : public EventEncoder {
 public:
  explicit ProtocolEncoder(int64_t heartbeat_ms) : heartbeat_ms_(heartbeat_ms) {}
  Frame room_event(const RoomEvent& e) const override;
  Frame user_event(const UserEvent& e) const override;
  Frame welcome(const Welcome& w) const override;
  Frame occupancy(const std::string& room, int64_t count, bool counting) const override;

 private:
  const int64_t heartbeat_ms_;  // announced in welcome
};

}  // namespace parley
