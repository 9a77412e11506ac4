#pragma once
// The single-node bus: there is no other node, so an event has nowhere to go. (The hub has
// already delivered it to this node's connections.) Counts what it was given, for tests.
#include <atomic>

#include "bus/bus.hpp"

namespace parley {

class LocalBus final : public Bus {
 public:
  void set_handler(BusHandler*) override {}
  void publish(const RoomEvent&) override { room_events_.fetch_add(1, std::memory_order_relaxed); }
  void publish(const UserEvent&) override { user_events_.fetch_add(1, std::memory_order_relaxed); }
  void subscribe_room(const std::string&) override {}
  void unsubscribe_room(const std::string&) override {}
  void subscribe_user(const std::string&) override {}
  void unsubscribe_user(const std::string&) override {}

  uint64_t room_events() const { return room_events_.load(); }
  uint64_t user_events() const { return user_events_.load(); }

 private:
  std::atomic<uint64_t> room_events_{0};
  std::atomic<uint64_t> user_events_{0};
};

}  // namespace parley
