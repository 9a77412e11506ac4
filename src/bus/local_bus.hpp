#pragma once
// The single-node bus: publish hands the event straight to the handler, on the publishing
// thread, so per-room publish order is delivery order. Subscriptions are meaningless on one
// node and ignored.
#include "bus/bus.hpp"

namespace parley {

class LocalBus final : public Bus {
 public:
  void set_handler(BusHandler* handler) override { handler_ = handler; }
  void publish(RoomEvent event) override;
  void publish(UserEvent event) override;
  void subscribe_room(const std::string&) override {}
  void unsubscribe_room(const std::string&) override {}
  void subscribe_user(const std::string&) override {}
  void unsubscribe_user(const std::string&) override {}

 private:
  BusHandler* handler_ = nullptr;
};

}  // namespace parley
