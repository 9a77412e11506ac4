#pragma once
// This node's rooms: those with a member online here. Each holds its online members'
// connections, the recipient snapshot fan-out walks, the reorder buffer that restores seq
// order across nodes, and typing indicators. Sharded by room name; each room has its own
// mutex, held while its messages are fanned out so that every connection sees seq order.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/events.hpp"
#include "hub/client.hpp"
#include "hub/sharded.hpp"

namespace parley {

class LocalRoom {
 public:
  // A message that arrived ahead of a gap, and what waits for it to go out (the ack).
  struct Held {
    RoomEvent event;
    int64_t since_ms = 0;
    std::vector<std::function<void()>> then;
  };

  mutable Mutex mu;
  std::map<std::string, std::vector<ClientPtr>> online GUARDED_BY(mu);  // local online members
  std::map<std::string, int64_t> typing GUARDED_BY(mu);  // user → mono ms when it expires
  std::map<std::string, int64_t> typing_told GUARDED_BY(mu);  // user → when a refresh was last told
  int64_t delivered_seq GUARDED_BY(mu) = 0;  // newest message seq fanned out here
  bool positioned GUARDED_BY(mu) = false;    // delivered_seq is known
  std::map<int64_t, Held> held GUARDED_BY(mu);
  // Presence at scale (hub_presence.cpp): the room's members online on every node as last
  // counted (-1: not yet), whether presence changed since, and the occupancy count last told
  // (-1 while the room's presence goes per user, within the hub's presence_limit).
  int64_t online_count GUARDED_BY(mu) = -1;
  bool presence_changed GUARDED_BY(mu) = false;
  int64_t told_count GUARDED_BY(mu) = -1;

  // The online members' connections, rebuilt after a change on the next delivery.
  const std::vector<ClientPtr>& recipients() REQUIRES(mu);
  void changed() REQUIRES(mu) { recipients_.reset(); }
  bool empty() const REQUIRES(mu) { return online.empty() && typing.empty(); }
  // The room tells its presence as occupancy counts.
  bool counting() const REQUIRES(mu) { return told_count >= 0; }
  // Over `limit` online: by the last count, or by this node's own members alone.
  bool over(std::size_t limit) const REQUIRES(mu) {
    return online_count > static_cast<int64_t>(limit) || online.size() > limit;
  }
  // A room not yet positioned here starts its live stream after `last_seq`.
  void position(int64_t last_seq) REQUIRES(mu);
  // The messages that can go out now, in seq order, given that `event` arrived; `then` runs
  // when it is out (appended to `ready_then` now, or kept with the held message).
  void take_in_order(const RoomEvent& event, int64_t now_ms, std::function<void()> then, std::vector<RoomEvent>& ready,
                     std::vector<std::function<void()>>& ready_then) REQUIRES(mu);
  // Held messages past the window: released in order, gaps left for clients to sync.
  void release_held(int64_t older_than_ms, std::vector<RoomEvent>& ready, std::vector<std::function<void()>>& ready_then)
      REQUIRES(mu);

 private:
  std::shared_ptr<const std::vector<ClientPtr>> recipients_ GUARDED_BY(mu);
};

class RoomsRegistry : public Sharded<std::shared_ptr<LocalRoom>> {
 public:
  // The room, if this node has it (held past the shard's lock by the caller).
  std::shared_ptr<LocalRoom> find(const std::string& room) {
    auto& s = shard(room);
    MutexLock lock(s.mu);
    auto it = s.map.find(room);
    return it == s.map.end() ? nullptr : it->second;
  }
};

}  // namespace parley
