// Delivery: every domain event goes to this node's connections first, then through the bus
// to the other nodes; events from the other nodes are applied and delivered here. Each event
// is encoded once, for all of its recipients.
#include <spdlog/spdlog.h>

#include "hub/hub.hpp"
#include "metrics/metrics.hpp"

namespace parley {

void Hub::emit(RoomEvent event, std::function<void()> then) {
  event.origin = options_.node_id;
  bus_.publish(event);
  deliver(event, std::move(then));
}

void Hub::emit(UserEvent event) {
  event.origin = options_.node_id;
  bus_.publish(event);
  if (event.presence_pending) {
    apply(event);
  } else {
    tell_user(event);
  }
}

void Hub::on_room_event(const RoomEvent& event) { deliver(event, {}); }

void Hub::on_user_event(const UserEvent& event) { apply(event); }

void Hub::on_room_subscribed(const std::string& room) {
  // A page at most: a longer outage leaves a gap that the reorder window releases past and
  // clients fill with `sync`, as after any gap.
  constexpr int kCatchUp = 256;
  std::shared_ptr<LocalRoom> local = rooms_.find(room);
  if (!local) return;
  int64_t from = 0;
  {
    MutexLock lock(local->mu);
    // Not positioned: no connection here holds a last_seq for the room yet, so the live
    // stream starts with whatever comes next.
    if (!local->positioned) return;
    from = local->delivered_seq;
  }
  store_.after(room, from, kCatchUp, on_lane<MessagePage>(room, [this, room](Result<MessagePage> r) {
    if (!r.ok()) {
      spdlog::warn("room {}: cannot fetch the messages published before the subscription: {}", room, r.status.message());
      return;
    }
    std::shared_ptr<LocalRoom> local = rooms_.find(room);
    if (!local) return;
    std::vector<std::function<void()>> thens;
    {
      MutexLock lock(local->mu);
      for (auto& m : r.value.messages) {
        if (m.seq <= local->delivered_seq) continue;  // it came over the bus after all
        std::vector<RoomEvent> ready;
        local->take_in_order(RoomEvent{room, MessageStored{std::move(m), 0}, {}}, clock_.mono_ms(), {}, ready, thens);
        for (auto& e : ready) fan_out(local->recipients(), e);
        metrics_.bus_catchup_messages.add();
      }
    }
    for (auto& fn : thens) fn();
  }));
}

void Hub::deliver(const RoomEvent& event, std::function<void()> then) {
  if (auto* notice = std::get_if<MemberNotice>(&event.payload)) apply_notice(event.room, *notice);
  if (auto* slow = std::get_if<SlowModeChanged>(&event.payload)) apply_slow_mode(event.room, *slow);
  std::set<std::string> blockers;
  if (auto* subject = event.subject()) {
    auto& s = users_.blockers.shard(*subject);
    MutexLock lock(s.mu);
    if (auto it = s.map.find(*subject); it != s.map.end()) blockers = it->second;
  }
  std::shared_ptr<LocalRoom> room = rooms_.find(event.room);
  if (!room) {
    if (then) then();
    return;
  }
  std::vector<std::function<void()>> thens;
  {
    // Held while the frames are queued: a room's events reach every connection in one order.
    MutexLock lock(room->mu);
    if (event.message()) {
      std::vector<RoomEvent> ready;
      room->take_in_order(event, clock_.mono_ms(), std::move(then), ready, thens);
      for (auto& e : ready) fan_out(room->recipients(), e);
    } else {
      const bool presence = std::holds_alternative<PresenceChanged>(event.payload);
      if (presence) room->presence_changed = true;
      // A room over the limit hears its occupancy at the tick instead.
      if (!presence || !room->over(options_.presence_limit)) {
        fan_out(room->recipients(), event, blockers.empty() ? nullptr : &blockers);
      }
      if (then) thens.push_back(std::move(then));
    }
  }
  for (auto& fn : thens) fn();
}

void Hub::fan_out(const std::vector<ClientPtr>& recipients, const RoomEvent& event,
                  const std::set<std::string>* blockers) const {
  if (recipients.empty()) return;
  const Frame frame = encoder_.room_event(event);
  if (auto* m = event.message()) {
    for (const auto& c : recipients) c->send_message(frame, m->received_us);
    return;
  }
  const Urgency urgency = event.droppable() ? Urgency::droppable : Urgency::normal;
  const std::string* subject = event.subject();
  for (const auto& c : recipients) {
    if (subject && c->user() == *subject) continue;
    if (blockers && blockers->count(c->user())) continue;
    c->send(frame, urgency);
  }
}

void Hub::apply_slow_mode(const std::string& room, const SlowModeChanged& change) {
  std::vector<std::string> members;
  if (auto r = rooms_.find(room)) {
    MutexLock lock(r->mu);
    for (auto& [user, conns] : r->online) members.push_back(user);
  }
  // The room's lock is let go first: users' shards are taken before rooms' (add_online).
  for (auto& user : members) {
    auto& s = users_.users.shard(user);
    MutexLock lock(s.mu);
    auto u = s.map.find(user);
    if (u == s.map.end()) continue;
    auto m = u->second.rooms.find(room);
    if (m == u->second.rooms.end() || m->second.settings_version >= change.version) continue;
    m->second.slow_mode_s = change.seconds;
    m->second.settings_version = change.version;
  }
}

void Hub::apply_notice(const std::string& room, const MemberNotice& n) {
  if (n.action != MemberAction::muted && n.action != MemberAction::unmuted && n.action != MemberAction::role) return;
  auto& s = users_.users.shard(n.user);
  MutexLock lock(s.mu);
  auto u = s.map.find(n.user);
  if (u == s.map.end()) return;
  auto m = u->second.rooms.find(room);
  if (m == u->second.rooms.end()) return;
  if (n.action == MemberAction::role) {
    m->second.role = n.role;
  } else {
    m->second.muted_until = n.action == MemberAction::muted ? n.until : 0;
  }
}

void Hub::apply(const UserEvent& event) {
  if (auto* in = std::get_if<SessionInput>(&event.payload)) {
    if (in->node == options_.node_id) take_input(event.user, *in);
    return;
  }
  std::vector<RoomEvent> events;
  bool online_changed = false;  // the user came online in the room here, or went offline
  const std::string* room = nullptr;
  bool joined = false;
  {
    auto& s = users_.users.shard(event.user);
    MutexLock lock(s.mu);
    auto uit = s.map.find(event.user);
    if (uit == s.map.end()) return;
    auto& u = uit->second;
    if (auto* c = std::get_if<AccessChanged>(&event.payload)) return close_revoked(u.conns, *c);
    if (auto* b = std::get_if<BlocksChanged>(&event.payload)) {
      set_blocked(u, event.user, {b->blocked.begin(), b->blocked.end()});
    } else if (auto* j = std::get_if<MembershipJoined>(&event.payload)) {
      room = &j->state.room;
      joined = true;
      u.rooms[*room] = Membership::of(j->state);
      // The joined frame carries last_seq: live delivery here continues after it.
      online_changed = u.online && add_online(*room, event.user, u.conns, j->state.last_seq);
    } else if (auto* l = std::get_if<MembershipLeft>(&event.payload)) {
      room = &l->room;
      u.rooms.erase(*room);
      online_changed = remove_online(*room, event.user, events);
    }
    if (!u.conns.empty()) {
      const Frame frame = encoder_.user_event(event);
      for (auto& conn : u.conns) {
        if (event.origin == options_.node_id && conn->id() == event.skip_conn) continue;
        conn->send(frame);
      }
    }
  }
  for (auto& e : events) emit(std::move(e));
  if (event.presence_pending && online_changed) {
    auto announce = [this, user = event.user, room = *room, joined](bool changed) {
      if (changed) announce_presence(user, {room}, joined);
    };
    if (joined) {
      presence_.room_joined(event.user, *room, announce);
    } else {
      presence_.room_left(event.user, *room, announce);
    }
  }
}

void Hub::tell_user(const UserEvent& event) {
  auto& s = users_.users.shard(event.user);
  MutexLock lock(s.mu);
  auto uit = s.map.find(event.user);
  if (uit == s.map.end() || uit->second.conns.empty()) return;
  if (auto* c = std::get_if<AccessChanged>(&event.payload)) return close_revoked(uit->second.conns, *c);
  const Frame frame = encoder_.user_event(event);
  for (auto& conn : uit->second.conns) {
    if (conn->id() != event.skip_conn) conn->send(frame);
  }
}

void Hub::close_revoked(const std::vector<ClientPtr>& conns, const AccessChanged& change) {
  for (auto& conn : conns) {
    if (change.shut) {
      conn->close(kCloseAccountClosed, "account closed");
    } else if (!change.token_id.empty()) {
      if (conn->token_key() == token_key_of(change.token_id)) conn->close(kCloseTokenInvalid, "logged out");
    } else if (conn->token_version() < change.token_version) {
      conn->close(kCloseTokenInvalid, "token revoked");
    }
  }
}

void Hub::tick() {
  flush_presence();
  const int64_t now = clock_.mono_ms();
  std::vector<RoomEvent> clears;
  std::vector<std::string> counted;  // rooms whose occupancy to refresh
  for (auto& s : rooms_.all()) {
    std::vector<std::pair<std::string, std::shared_ptr<LocalRoom>>> rooms;
    {
      MutexLock lock(s.mu);
      rooms.assign(s.map.begin(), s.map.end());
    }
    for (auto& [name, room] : rooms) {
      std::vector<std::function<void()>> thens;
      {
        MutexLock lock(room->mu);
        if (room->presence_changed || room->counting()) counted.push_back(name);
        room->presence_changed = false;
        for (auto it = room->typing.begin(); it != room->typing.end();) {
          if (it->second <= now) {
            clears.push_back(RoomEvent{name, TypingChanged{it->first, false}, {}});
            room->typing_told.erase(it->first);
            it = room->typing.erase(it);
          } else {
            ++it;
          }
        }
        // A gap that did not fill within the window: deliver what there is; clients resync
        // the missing seqs with `sync`.
        std::vector<RoomEvent> ready;
        room->release_held(now - options_.reorder_window_ms, ready, thens);
        for (auto& e : ready) fan_out(room->recipients(), e);
      }
      for (auto& fn : thens) fn();
    }
  }
  for (auto& e : clears) emit(std::move(e));
  refresh_occupancy(counted);
  for (auto* buckets : {&users_.buckets, &users_.typing_buckets}) {
    for (auto& s : buckets->all()) {
      MutexLock lock(s.mu);
      std::erase_if(s.map, [now](auto& kv) { return kv.second.full(now); });
    }
  }
}

}  // namespace parley
