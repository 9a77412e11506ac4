// Presence at scale. A user's presence changes wait in the outbox for the next tick, where
// only the last one per user and room goes out (a reconnect costs the room one event, not
// two; a burst of joins leaves as one burst per room), as `presence` events. The last state,
// not nothing: a member who joined in between holds a `joined` list taken from the presence
// store, already changed, and must hear the end of it. A room with more than presence_limit
// members online would cost every join a frame per member (N² for N joining): such a room
// tells instead, at most once per tick, how many are online (`occupancy`), and lists its
// members in pages on request (`online`). docs/protocol.md → "Presence in large rooms".
#include <algorithm>

#include "common/names.hpp"
#include "hub/hub.hpp"
#include "store/outbox.hpp"
#include "hub/rules.hpp"

namespace parley {

void Hub::announce_presence(const std::string& user, const std::vector<std::string>& rooms, bool online) {
  for (auto& room : rooms) {
    auto& s = presence_outbox_.shard(room);
    MutexLock lock(s.mu);
    s.map[room][user] = online;
  }
}

void Hub::record_user_presence(const std::string& user, bool online) {
  if (!options_.presence_webhooks) return;
  WebhookEvent e;
  e.type = online ? WebhookType::user_online : WebhookType::user_offline;
  e.user = user;
  e.ts = clock_.wall_ms();
  options_.presence_webhooks->record(std::move(e), [user](Result<bool> r) {
    if (!r.ok()) spdlog::warn("webhooks: presence of {} not recorded: {}", user, r.status.message());
  });
}

void Hub::flush_presence() {
  std::vector<std::pair<std::string, std::map<std::string, bool>>> due;
  for (auto& s : presence_outbox_.all()) {
    MutexLock lock(s.mu);
    for (auto& entry : s.map) due.emplace_back(entry.first, std::move(entry.second));
    s.map.clear();
  }
  for (auto& [room, changes] : due) {
    // A room that counts here counts on every node holding it: they all refresh its count
    // each tick, so its per-user changes need not travel.
    if (auto local = rooms_.find(room)) {
      MutexLock lock(local->mu);
      if (local->counting()) {
        local->presence_changed = true;
        continue;
      }
    }
    for (auto& [user, online] : changes) emit(RoomEvent{room, PresenceChanged{user, online}, {}});
  }
}

void Hub::refresh_occupancy(const std::vector<std::string>& rooms) {
  const std::size_t limit = options_.presence_limit;
  for (auto& name : rooms) {
    presence_.online_page(name, {}, 0, [this, name, limit](Presence::OnlinePage page) {
      std::shared_ptr<LocalRoom> room = rooms_.find(name);
      if (!room) return;
      MutexLock lock(room->mu);
      room->online_count = static_cast<int64_t>(page.count);
      const bool over = room->over(limit);
      if (over && room->told_count != room->online_count) {
        fan_out_occupancy(*room, name, true);
      } else if (!over && room->counting()) {
        fan_out_occupancy(*room, name, false);  // per-user presence resumes
      }
    });
  }
}

void Hub::fan_out_occupancy(LocalRoom& room, const std::string& name, bool counting) {
  room.told_count = counting ? room.online_count : -1;
  const int64_t count = std::max<int64_t>(room.online_count, static_cast<int64_t>(room.online.size()));
  const Frame frame = encoder_.occupancy(name, count, counting);
  for (const auto& c : room.recipients()) c->send(frame, Urgency::droppable);
}

void Hub::drop_blocked(const std::string& user, std::vector<std::string>& names) {
  auto& s = users_.users.shard(user);
  MutexLock lock(s.mu);
  if (auto u = s.map.find(user); u != s.map.end() && !u->second.blocked.empty()) {
    std::erase_if(names, [&](const std::string& other) { return u->second.blocked.count(other) > 0; });
  }
}

void Hub::online_summary(const RoomState& state, const std::string& user, std::function<void(Joined)> done) {
  const std::size_t limit = options_.presence_limit;
  // One more than the limit: the user themself may be among them.
  presence_.online_page(state.room, {}, limit + 1, [this, state, user, limit, done = std::move(done)](
                                                       Presence::OnlinePage page) {
    std::erase(page.users, user);
    if (page.users.size() > limit) page.users.resize(limit);
    drop_blocked(user, page.users);
    const auto count = static_cast<int64_t>(page.count);
    Joined j{state, std::move(page.users), count, count > static_cast<int64_t>(limit)};
    // The store read one more read position than joined shows: whether more exist.
    RoomExtras& extras = j.state.extras;
    if (extras.reads.size() > limit) {
      extras.reads.resize(limit);
      extras.reads_next = extras.reads.back().user;
    }
    if (extras.statuses.size() > limit) extras.statuses.resize(limit);
    done(std::move(j));
  });
}

void Hub::online(const Actor& a, OnlineQuery q, Done<OnlineMembers> done) {
  if (!valid_room_name(q.room)) return done(hub_rules::bad_room());
  auto page = [this, a, q, done](Status checked) {
    if (!checked.is_ok()) return done(checked);
    const auto limit = static_cast<std::size_t>(std::max(q.limit, 1));
    // One more than asked: whether there is a next page.
    presence_.online_page(q.room, q.after, limit + 1, [this, a, limit, done](Presence::OnlinePage p) {
      OnlineMembers out;
      out.count = static_cast<int64_t>(p.count);
      if (p.users.size() > limit) {
        p.users.resize(limit);
        out.next = p.users.back();
      }
      if (!a.is_backend()) drop_blocked(a.user, p.users);
      out.users = std::move(p.users);
      done(std::move(out));
    });
  };
  if (a.is_backend()) {
    store_.room(q.room, on_lane<RoomState>(q.room, [page](Result<RoomState> r) { page(r.status); }));
    return;
  }
  if (defer_while_joining(a, q.room, [this, a, q, done] { online(a, q, done); })) return;
  auto m = member_of(a, q.room);
  page(m.status);
}

}  // namespace parley

namespace parley {

void Hub::set_status(const Actor& a, UserStatus status, Done<Ok> done) {
  if (a.is_backend()) return done(hub_rules::users_only());
  if (utf8_length(status.text) > kMaxStatusChars) {
    return done(Status::too_large("a status text is at most " + std::to_string(kMaxStatusChars) + " characters"));
  }
  if (status.text.find_first_of(std::string_view("\0\n\r", 3)) != std::string::npos) {
    return done(Status::invalid("a status text is one line without NUL characters"));
  }
  store_.set_status(a.user, status, on_lane<bool>(a.user, [this, a, status, done](Result<bool> r) {
    if (!r.ok()) return done(r.status);
    std::vector<std::string> rooms;
    {
      auto& s = users_.users.shard(a.user);
      MutexLock lock(s.mu);
      if (auto u = s.map.find(a.user); u != s.map.end()) {
        for (auto& [room, m] : u->second.rooms) {
          if (!m.pending) rooms.push_back(room);
        }
      }
    }
    for (auto& room : rooms) emit(RoomEvent{room, StatusChanged{a.user, status}, {}});
    done(Ok{});
  }));
}

}  // namespace parley
