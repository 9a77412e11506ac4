#pragma once
// Presence shared by every node, in Redis (keys spread over instances like the bus channels):
//   parley:presence:<user>  hash  node → expiry (ms)   who holds the user online
//   parley:uroom:<user>     set   rooms of the online user
//   parley:roomonline:<room> zset users online in the room (scores 0: name order)
//   parley:node:<node>      set   users online on that node
//   parley:nodes            zset  node → expiry (ms)   node liveness
// Each node refreshes its entries every heartbeat/3 with an expiry of 2 heartbeats. A node
// whose liveness expired is claimed by exactly one surviving node (ZREM returns 1 to one of
// them), which takes the dead node's users offline and announces it to their rooms.
// First/last decisions run as Lua scripts on the user's instance, so two nodes racing on one
// user agree.
#include <map>
#include <mutex>
#include <set>

#include "bus/presence.hpp"
#include "bus/redis_bus.hpp"

namespace parley {

class RedisPresence final : public Presence {
 public:
  RedisPresence(RedisBus& bus, std::string node_id, int64_t heartbeat_ms);

  void node_online(const std::string& user, const std::vector<std::string>& rooms,
                   std::function<void(bool)> done) override;
  void node_offline(const std::string& user, std::function<void(bool)> done) override;
  void room_joined(const std::string& user, const std::string& room, ChangedFn done = {}) override;
  void room_left(const std::string& user, const std::string& room, ChangedFn done = {}) override;
  void online_page(const std::string& room, const std::string& after, std::size_t limit,
                   std::function<void(OnlinePage)> done) override;
  void is_online(const std::string& user, std::function<void(bool)> done) override;
  void on_expired(ExpiredFn fn) override { expired_ = std::move(fn); }

  // Refreshes this node's entries and sweeps dead nodes; call often, it paces itself.
  void tick(int64_t now_ms);
  // Writes this node's users again (after Redis lost its data, e.g. a restart).
  void reregister();

 private:
  // Takes `user` offline on `node`; `done(last, rooms)` tells whether no node holds it now.
  void take_offline(const std::string& user, const std::string& node,
                    std::function<void(bool, std::vector<std::string>)> done);
  void claim_dead_node(const std::string& node);
  int64_t expiry(int64_t now_ms) const { return now_ms + 2 * heartbeat_ms_ + 500; }

  RedisBus& bus_;
  ExpiredFn expired_;
  const std::string node_;
  const int64_t heartbeat_ms_;
  int64_t next_tick_ms_ = 0;
  std::mutex mu_;             // guards local_users_
  std::map<std::string, std::set<std::string>> local_users_;  // user online here → rooms
};

}  // namespace parley
