#pragma once
// The bus carries domain events (common/events.hpp) between the nodes of a cluster.
//
// Direction is split: calls go out through Bus (publish, subscribe); events come in through
// BusHandler. Bus code never sees clients, frames or the hub.
//
// Contract for implementations:
// - publish() is thread-safe and does not block on the network.
// - An event goes to the *other* nodes only: the publishing node never gets its own events
//   back. The hub delivers to its own connections before it publishes, so on every bus the
//   connections of the node that took a message in have it queued before the sender's ack
//   (docs/protocol.md → "Acks and delivery order").
// - Events of one room (or user) published from one thread reach every other subscribed node
//   in publish order. At most once: a node that is cut off misses events and clients resync
//   by seq.
// - A node receives a room's (user's) events only while subscribed to it. A subscription
//   takes effect some time after subscribe_room() returns (and again after the bus
//   reconnects); the bus says when through BusHandler::on_room_subscribed, so that the hub
//   can fetch from the store what was published before.
#include <functional>
#include <string>

#include "common/events.hpp"

namespace parley {

class BusHandler {
 public:
  virtual ~BusHandler() = default;
  // An event of a subscribed room from another node, on a bus-owned thread.
  virtual void on_room_event(const RoomEvent& event) = 0;
  // An event of a subscribed user from another node, likewise.
  virtual void on_user_event(const UserEvent& event) = 0;
  // The room's events reach this node from now on (a subscription took effect: the first, or
  // again after a reconnect). Events published before may have been missed.
  virtual void on_room_subscribed(const std::string& /*room*/) {}
};

class Bus {
 public:
  virtual ~Bus() = default;
  // False for the single-node bus: an event for another node has nowhere to go.
  virtual bool reaches_other_nodes() const { return true; }
  // Must be called once before any publish.
  virtual void set_handler(BusHandler* handler) = 0;
  // `event.origin` is this node's id.
  virtual void publish(const RoomEvent& event) = 0;
  virtual void publish(const UserEvent& event) = 0;
  // Publishes and calls `done` once the bus has taken the event (true) or could not (false):
  // a later publish of the same user from any node is ordered after it.
  virtual void publish(const UserEvent& event, std::function<void(bool)> done) {
    publish(event);
    done(true);
  }
  // Called when the node gains its first local member of a room (or first connection of a
  // user), and unsubscribe when it loses the last one. Not reference-counted by the bus.
  virtual void subscribe_room(const std::string& room) = 0;
  virtual void unsubscribe_room(const std::string& room) = 0;
  virtual void subscribe_user(const std::string& user) = 0;
  virtual void unsubscribe_user(const std::string& user) = 0;
};

}  // namespace parley
