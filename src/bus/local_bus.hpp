#pragma once
// The single-node bus: there is no other node, so an event has nowhere to go. (The hub has
// already delivered it to this node's connections.)
#include "bus/bus.hpp"

namespace parley {

class LocalBus final : public Bus {
 public:
  bool reaches_other_nodes() const override { return false; }
  void set_handler(BusHandler*) override {}
  void publish(const RoomEvent&) override {}
  void publish(const UserEvent&) override {}
  void subscribe_room(const std::string&) override {}
  void unsubscribe_room(const std::string&) override {}
  void subscribe_user(const std::string&) override {}
  void unsubscribe_user(const std::string&) override {}
};

}  // namespace parley
