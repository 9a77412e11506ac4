#pragma once
// The bus carries room events between nodes (and, on one node, from the committer to the hub).
//
// Direction is split: calls go out through Bus (publish, subscribe); events come in through
// BusHandler. Bus code never sees clients or the hub.
//
// Contract for implementations:
// - publish() is thread-safe and does not block on the network.
// - Events of one room published from one thread are delivered to every subscribed node in
//   publish order. At most once: a node that is cut off misses events and clients resync by seq.
// - A node receives a room's events only while subscribed to it.
#include <string>

#include "common/types.hpp"

namespace parley {

enum class EventKind : uint8_t {
  message,   // durable: clients recover it by seq if dropped
  read,      // read receipt
  typing,    // ephemeral: may be dropped under backpressure
  presence,  // ephemeral: may be dropped under backpressure
  notice,    // a membership or moderation change (`member`): not stored, not dropped
};

// One event for the members of a room. `frame` is the encoded wire text, shared by every
// recipient. `skip_user`'s own connections do not receive it (empty: everyone does). `seq` is
// the message's seq for EventKind::message (receivers restore per-room order with it), else 0.
// `received_us`: when the server that took the message in received it (wall clock, µs since
// the epoch; 0 for other events), for the delivery-latency metric of every receiving node.
struct RoomEvent {
  std::string room;
  EventKind kind = EventKind::message;
  std::string skip_user;
  Frame frame;
  int64_t seq = 0;
  int64_t received_us = 0;
};

// joined / left: a membership change; blocks: the user's block list changed (the frame is
// the `blocks` event holding the new list).
enum class UserEventKind : uint8_t { joined, left, blocks };

// A change of one user's membership, for every connection of that user on every node. The
// connection `skip_conn` of node `origin` (the one that asked, already answered) is skipped.
// The origin node applied the change to its own state when the command came; an empty
// `origin` (a change made through the server API) is applied by every node, its own included.
struct UserEvent {
  std::string user;
  UserEventKind kind = UserEventKind::joined;
  std::string room;
  Frame frame;
  std::string origin;
  uint64_t skip_conn = 0;
};

class BusHandler {
 public:
  virtual ~BusHandler() = default;
  // Called for every event of a subscribed room, from a bus-owned or publishing thread.
  virtual void on_room_event(const RoomEvent& event) = 0;
  // Called for every event of a subscribed user, likewise.
  virtual void on_user_event(const UserEvent& event) = 0;
};

class Bus {
 public:
  virtual ~Bus() = default;
  // Must be called once before any publish.
  virtual void set_handler(BusHandler* handler) = 0;
  virtual void publish(RoomEvent event) = 0;
  virtual void publish(UserEvent event) = 0;
  // Called when the node gains its first local member of a room (or first connection of a
  // user), and unsubscribe when it loses the last one. Not reference-counted by the bus.
  virtual void subscribe_room(const std::string& room) = 0;
  virtual void unsubscribe_room(const std::string& room) = 0;
  virtual void subscribe_user(const std::string& user) = 0;
  virtual void unsubscribe_user(const std::string& user) = 0;
};

}  // namespace parley
