// Connections: admission, the welcome, presence when a user's first connection opens and
// last one closes, and the bookkeeping of which local users are online in which room.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "hub/hub.hpp"
#include "metrics/metrics.hpp"

namespace parley {

Hub::Hub(HubOptions options, Store& store, Bus& bus, Presence& presence, Metrics& metrics, const EventEncoder& encoder,
         Lanes lanes, Clock clock)
    : options_(std::move(options)),
      store_(store),
      bus_(bus),
      presence_(presence),
      metrics_(metrics),
      encoder_(encoder),
      lanes_(std::move(lanes)),
      clock_(std::move(clock)) {
  // A node that stopped without saying so: one live node reports each of its users.
  presence_.on_expired([this](const std::string& user, const std::vector<std::string>& rooms) {
    announce_presence(user, rooms, false);
    record_user_presence(user, false);
  });
}

bool Hub::reserve(const std::string& user) {
  auto& s = users_.users.shard(user);
  MutexLock lock(s.mu);
  auto& u = s.map[user];
  if (u.slots >= options_.max_conns_per_user) {
    if (u.idle()) s.map.erase(user);
    return false;
  }
  ++u.slots;
  return true;
}

void Hub::release(const std::string& user) {
  auto& s = users_.users.shard(user);
  MutexLock lock(s.mu);
  auto it = s.map.find(user);
  if (it == s.map.end()) return;
  --it->second.slots;
  if (it->second.idle()) s.map.erase(it);
}

void Hub::relay(const std::string& user, SessionInput in, std::function<void(Status)> done) {
  if (in.node == options_.node_id || !bus_.reaches_other_nodes()) {
    if (in.node == options_.node_id && take_input(user, in)) return done(Status::ok());
    return done(Status::not_found("no such session"));
  }
  // Every node holding one of the user's connections hears the user's events; the one that
  // holds this connection takes the input. The connection may have ended meanwhile: then the
  // input is dropped, as a WebSocket's last frames are when it drops.
  bus_.publish(UserEvent{user, std::move(in), options_.node_id, 0, false}, [done = std::move(done)](bool sent) {
    done(sent ? Status::ok() : Status::unavailable("the bus is not connected"));
  });
}

bool Hub::take_input(const std::string& user, const SessionInput& in) {
  ClientPtr target;
  {
    auto& s = users_.users.shard(user);
    MutexLock lock(s.mu);
    auto uit = s.map.find(user);
    if (uit == s.map.end()) return false;
    for (const auto* list : {&uit->second.conns, &uit->second.loading}) {
      for (const auto& c : *list) {
        if (c->id() == in.conn) target = c;
      }
    }
  }
  return target && target->relay(in.key, in.text);
}

void Hub::connect(const ClientPtr& client, std::function<void()> ready) {
  const std::string& user = client->user();
  {
    auto& s = users_.users.shard(user);
    MutexLock lock(s.mu);
    s.map[user].loading.push_back(client);
  }
  store_.rooms_of(user, on_lane<std::vector<RoomState>>(user, [this, client, ready = std::move(ready)](
                                                                  Result<std::vector<RoomState>> r) mutable {
    if (!r.ok()) {
      spdlog::error("conn {} user {}: cannot load rooms: {}", client->id(), client->user(), r.status.message());
      client->close(1011, "store unavailable");  // the session's disconnect() frees the slot
      return;
    }
    store_.settings_of(client->user(), on_lane<UserSettings>(client->user(), [this, client, ready = std::move(ready),
                                                                  rooms = std::move(r.value)](Result<UserSettings> b) {
      if (!b.ok()) {
        spdlog::error("conn {} user {}: cannot load block list: {}", client->id(), client->user(), b.status.message());
        client->close(1011, "store unavailable");
        return;
      }
      finish_connect(client, rooms, b.value);
      ready();
    }));
  }));
}

void Hub::finish_connect(const ClientPtr& client, const std::vector<RoomState>& states, const UserSettings& settings) {
  const std::vector<std::string>& blocked = settings.blocked;
  const std::string& user = client->user();
  // Whether the presence store's answer (first connection anywhere) came back before
  // node_online returned: then it is announced once the shard is released.
  struct Announce {
    std::mutex mu;
    bool returned = false;
    bool pending = false;
  };
  auto announce = std::make_shared<Announce>();
  std::vector<std::string> rooms;
  {
    auto& s = users_.users.shard(user);
    MutexLock lock(s.mu);
    auto uit = s.map.find(user);
    if (uit == s.map.end()) return;
    auto& u = uit->second;
    auto loading = std::find(u.loading.begin(), u.loading.end(), client);
    if (loading == u.loading.end()) return;  // disconnected while loading
    u.loading.erase(loading);
    // The welcome is queued before the connection joins any room's recipients: no event can
    // reach it first. User events reach u.conns under this shard, after it as well.
    client->send(encoder_.welcome(Welcome{user, states, blocked, settings.status}));
    u.conns.push_back(client);
    const bool first_here = !u.online;
    u.online = true;
    for (auto& room : states) {
      u.rooms[room.room] = Membership::of(room);
      add_online(room.room, user, u.conns, room.last_seq);
    }
    for (auto& entry : u.rooms) {
      const std::string& name = entry.first;
      if (entry.second.pending) continue;
      if (!std::any_of(states.begin(), states.end(), [&](const RoomState& st) { return st.room == name; })) {
        add_online(name, user, u.conns);  // joined while this connection loaded
      }
    }
    set_blocked(u, user, {blocked.begin(), blocked.end()});
    if (first_here) {
      for (auto& [name, m] : u.rooms) rooms.push_back(name);
      bus_.subscribe_user(user);
      // Registered before the welcome is read: once the client holds its welcome, another
      // node that sees the user's other device close already counts this connection (a
      // device handoff never announces the user offline).
      presence_.node_online(user, rooms, [this, user, rooms, announce](bool first_anywhere) {
        if (!first_anywhere) return;
        {
          std::lock_guard l(announce->mu);
          if (!announce->returned) {
            announce->pending = true;
            return;
          }
        }
        announce_presence(user, rooms, true);
        record_user_presence(user, true);
      });
    }
  }
  bool announce_now = false;
  {
    std::lock_guard l(announce->mu);
    announce->returned = true;
    announce_now = announce->pending;
  }
  if (announce_now) {
    announce_presence(user, rooms, true);
    record_user_presence(user, true);
  }
}

void Hub::disconnect(const ClientPtr& client) {
  std::vector<RoomEvent> events;
  std::vector<std::string> rooms;
  bool last_here = false;
  const std::string& user = client->user();
  {
    auto& s = users_.users.shard(user);
    MutexLock lock(s.mu);
    auto uit = s.map.find(user);
    if (uit == s.map.end()) return;
    auto& u = uit->second;
    auto loading = std::find(u.loading.begin(), u.loading.end(), client);
    auto cit = std::find(u.conns.begin(), u.conns.end(), client);
    if (loading == u.loading.end() && cit == u.conns.end()) return;  // already disconnected
    if (loading != u.loading.end()) u.loading.erase(loading);
    if (cit != u.conns.end()) u.conns.erase(cit);
    --u.slots;
    if (u.conns.empty() && u.online) {
      last_here = true;
      u.online = false;
      for (auto& [room, m] : u.rooms) {
        if (m.pending) continue;
        rooms.push_back(room);
        remove_online(room, user, events);
      }
      set_blocked(u, user, {});
      bus_.unsubscribe_user(user);
    } else if (u.online) {
      for (auto& [room, m] : u.rooms) {
        if (!m.pending) add_online(room, user, u.conns);
      }
    }
    if (u.idle()) s.map.erase(uit);
  }
  for (auto& e : events) emit(std::move(e));
  if (last_here) {
    presence_.node_offline(user, [this, user, rooms](bool last_anywhere) {
      if (!last_anywhere) return;
      announce_presence(user, rooms, false);
      record_user_presence(user, false);
    });
  }
}

std::vector<ClientPtr> Hub::clients() const {
  std::vector<ClientPtr> out;
  for (auto& s : users_.users.all()) {
    MutexLock lock(s.mu);
    for (auto& [name, u] : s.map) {
      out.insert(out.end(), u.loading.begin(), u.loading.end());
      out.insert(out.end(), u.conns.begin(), u.conns.end());
    }
  }
  return out;
}

std::size_t Hub::connection_count() const {
  std::size_t n = 0;
  for (auto& s : users_.users.all()) {
    MutexLock lock(s.mu);
    // Slots: connected, loading, and upgrades still under way (reserved before the 101 was
    // written): a drain that started between the 101 and connect() waits for those too.
    for (auto& [name, u] : s.map) n += static_cast<std::size_t>(u.slots);
  }
  return n;
}

bool Hub::add_online(const std::string& room, const std::string& user, const std::vector<ClientPtr>& conns,
                     std::optional<int64_t> last_seq) {
  auto& s = rooms_.shard(room);
  MutexLock shard_lock(s.mu);
  auto& slot = s.map[room];
  if (!slot) {
    slot = std::make_shared<LocalRoom>();
    bus_.subscribe_room(room);
  }
  LocalRoom& r = *slot;
  MutexLock lock(r.mu);
  if (last_seq) r.position(*last_seq);
  auto [it, added] = r.online.try_emplace(user);
  it->second = conns;
  r.changed();
  return added;
}

bool Hub::remove_online(const std::string& room, const std::string& user, std::vector<RoomEvent>& out) {
  auto& s = rooms_.shard(room);
  MutexLock shard_lock(s.mu);
  auto it = s.map.find(room);
  if (it == s.map.end()) return false;
  LocalRoom& r = *it->second;
  bool removed = false;
  bool empty = false;
  {
    MutexLock lock(r.mu);
    if (r.typing.erase(user)) out.push_back(RoomEvent{room, TypingChanged{user, false}, {}});
    r.typing_told.erase(user);
    removed = r.online.erase(user) > 0;
    r.changed();
    empty = r.empty();
  }
  // No local member left online: nobody on this node needs the room's events any more.
  if (empty) {
    s.map.erase(it);
    bus_.unsubscribe_room(room);
  }
  return removed;
}

void Hub::set_blocked(UserState& u, const std::string& user, std::set<std::string> blocked) {
  for (auto& other : u.blocked) {
    if (blocked.count(other)) continue;
    auto& s = users_.blockers.shard(other);
    MutexLock lock(s.mu);
    if (auto it = s.map.find(other); it != s.map.end() && it->second.erase(user) && it->second.empty()) s.map.erase(it);
  }
  for (auto& other : blocked) {
    auto& s = users_.blockers.shard(other);
    MutexLock lock(s.mu);
    s.map[other].insert(user);
  }
  u.blocked = std::move(blocked);
}

}  // namespace parley
