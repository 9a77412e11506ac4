#pragma once
// Who is online, across every node. The hub tracks its own connections; Presence answers the
// questions only the whole cluster can: is this the user's first connection anywhere, the
// last one, and who is online in a room.
//
// Contract for implementations:
// - Thread-safe; never blocks the caller; callbacks run once, on any thread, and must not block.
// - Calls about one user are applied in call order (a quick reconnect cannot be overtaken by
//   its own disconnect).
// - A node that dies without calling node_offline() has its users counted offline within the
//   implementation's expiry (the heartbeat timeout); one live node reports each such user
//   through the handler given to on_expired(), and the hub there announces it.
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace parley {

class Presence {
 public:
  virtual ~Presence() = default;

  // The user's first connection on this node opened; it is a member of `rooms`.
  // `done(true)` when no other node had the user online: the caller announces it.
  virtual void node_online(const std::string& user, const std::vector<std::string>& rooms,
                           std::function<void(bool first_anywhere)> done) = 0;

  // The user's last connection on this node closed. `done(true)` when no node has the user
  // online any more: the caller announces it.
  virtual void node_offline(const std::string& user, std::function<void(bool last_anywhere)> done) = 0;

  // An online user joined or left a room. `done` (optional) tells whether this call changed
  // the room's online set: when several nodes apply one change (a membership changed through
  // the server API reaches every node holding the user), exactly one of them gets true.
  using ChangedFn = std::function<void(bool changed)>;
  virtual void room_joined(const std::string& user, const std::string& room, ChangedFn done = {}) = 0;
  virtual void room_left(const std::string& user, const std::string& room, ChangedFn done = {}) = 0;

  // Called (on any thread) for a user that went offline everywhere because the node holding
  // them stopped without saying so; `rooms`: the rooms they were online in. Set once, before
  // any other call.
  using ExpiredFn = std::function<void(const std::string& user, const std::vector<std::string>& rooms)>;
  virtual void on_expired(ExpiredFn fn) = 0;

  // The users online in `room` on any node: up to `limit` of them in name order after
  // `after` (empty: from the first), and how many there are in all.
  struct OnlinePage {
    std::vector<std::string> users;
    std::size_t count = 0;
  };
  virtual void online_page(const std::string& room, const std::string& after, std::size_t limit,
                           std::function<void(OnlinePage)> done) = 0;

  // Whether the user has an open connection on any node (false when it cannot be told).
  virtual void is_online(const std::string& user, std::function<void(bool)> done) = 0;
};

}  // namespace parley
