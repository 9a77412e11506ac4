#include "net/frames.hpp"

#include "protocol/encode.hpp"

namespace parley {

Frame ProtocolEncoder::room_event(const RoomEvent& e) const { return encode::room_event(e); }
Frame ProtocolEncoder::user_event(const UserEvent& e) const { return encode::user_event(e); }
Frame ProtocolEncoder::welcome(const Welcome& w) const {
  return encode::welcome(w.user, w.rooms, w.blocked, w.status, heartbeat_ms_);
}

Frame ProtocolEncoder::occupancy(const std::string& room, int64_t count, bool counting) const {
  return encode::occupancy(room, count, counting);
}

}  // namespace parley
