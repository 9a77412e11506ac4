#pragma once
// This node's users: connection slots, connections, the membership cache, joins waiting for
// the store, block lists; who blocks whom; rate-limit buckets. Sharded by user name.
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "hub/client.hpp"
#include "hub/rate_limiter.hpp"
#include "hub/sharded.hpp"

namespace parley {

// The user's membership of one room, as far as this node knows.
struct Membership {
  RoomKind kind = RoomKind::public_room;
  Role role = Role::member;
  std::string peer;                  // direct rooms: the other user
  int64_t muted_until = 0;
  bool pending = false;              // a join or create is in the store: operations wait
  // The room's slow mode as last heard (seconds; settings_version orders the changes), and
  // the user's last message in the room through this node (mono ms, and its id: a resend of
  // it is no new message).
  int64_t slow_mode_s = 0;
  int64_t settings_version = 0;
  int64_t last_post_ms = 0;
  std::string last_post_id;

  static Membership of(const RoomState& s) {
    Membership m{s.kind, s.role, s.peer, s.muted_until, false};
    m.slow_mode_s = s.slow_mode_s;
    m.settings_version = s.settings_version;
    return m;
  }
};

struct UserState {
  int slots = 0;                     // reserved + connected connections
  std::vector<ClientPtr> loading;    // connected, rooms still loading
  std::vector<ClientPtr> conns;      // connected and welcomed
  std::map<std::string, Membership> rooms;  // rooms the user is a member of (persistent fact)
  std::map<std::string, std::vector<std::function<void()>>> deferred;  // operations waiting for a join
  std::set<std::string> blocked;     // the user's block list
  bool online = false;               // presence online has been announced

  bool idle() const { return slots <= 0 && conns.empty() && loading.empty(); }
  const Membership* member_of(const std::string& room) const {
    auto m = rooms.find(room);
    return m == rooms.end() || m->second.pending ? nullptr : &m->second;
  }
};

struct UsersRegistry {
  Sharded<UserState> users;
  // Blocked user → the users connected here who block them (typing and presence skip those).
  Sharded<std::set<std::string>> blockers;
  Sharded<TokenBucket> buckets;         // messages, by user
  Sharded<TokenBucket> typing_buckets;  // typing changes, by user and room ("user room")
};

}  // namespace parley
