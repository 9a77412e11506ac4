#pragma once
// How the hub turns a domain event into the bytes its connections get: implemented at the
// edge (net/frames.cpp, with protocol/encode). The hub calls it once per event and shares the
// frame among every recipient; it never looks inside a frame.
#include <cstdint>
#include <string>
#include <vector>

#include "common/events.hpp"

namespace parley {

// A connection's first frame: who it is and the rooms it is in.
struct Welcome {
  std::string user;
  std::vector<RoomState> rooms;
  std::vector<std::string> blocked;
  UserStatus status;
};

class EventEncoder {
 public:
  virtual ~EventEncoder() = default;
  virtual Frame room_event(const RoomEvent& e) const = 0;
  virtual Frame user_event(const UserEvent& e) const = 0;
  virtual Frame welcome(const Welcome& w) const = 0;
  // How many members of `room` are online; `counting` false when the room drops back under
  // the presence limit.
  virtual Frame occupancy(const std::string& room, int64_t count, bool counting) const = 0;
};

}  // namespace parley
