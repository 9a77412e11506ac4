#include "bus/local_bus.hpp"

namespace parley {

void LocalBus::publish(RoomEvent event) {
  if (handler_) handler_->on_room_event(event);
}

void LocalBus::publish(UserEvent event) {
  if (handler_) handler_->on_user_event(event);
}

}  // namespace parley
