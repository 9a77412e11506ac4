// Rooms and membership: join, leave, create, direct rooms, invitations and the backend's
// membership changes, with how their effects reach the user's connections on every node.
#include <spdlog/spdlog.h>

#include "common/names.hpp"
#include "hub/hub.hpp"
#include "hub/rules.hpp"
#include "metrics/metrics.hpp"

namespace parley {

void Hub::join(const Actor& a, std::string room, Done<Joined> done) {
  if (!valid_room_name(room)) return done(hub_rules::bad_room());
  if (a.is_backend()) return done(hub_rules::users_only());
  if (defer_while_joining(a, room, [this, a, room, done] { join(a, room, done); })) return;
  if (!member_of(a, room).ok() && reserved_room_name(room)) return done(hub_rules::reserved_room());
  // Until the store answers, the user's later operations on the room wait: the store's writer
  // applies the join before any later append, and a refused join (a private room, a ban)
  // must not let them through.
  if (auto st = start_pending(a, room); !st.is_ok()) return done(st);
  store_.join(JoinRequest{room, a.user, options_.max_rooms_per_user, JoinMode::open, {}, extras_limit()},
              on_lane<RoomState>(room, [this, a, room, done](Result<RoomState> r) {
                if (r.ok()) return admit(a, r.value, done);
                abandon_pending(a, room);
                done(r.status);
              }));
}

void Hub::leave(const Actor& a, std::string room, Done<Ok> done) {
  if (defer_while_joining(a, room, [this, a, room, done] { leave(a, room, done); })) return;
  auto m = member_of(a, room);
  if (!m.ok()) return done(m.status);
  if (m.value.kind == RoomKind::direct) return done(Status::forbidden("nobody can leave a direct conversation"));
  // Like join, the membership ends at once for the operations that follow.
  std::vector<RoomEvent> events;
  bool was_online = false;
  {
    auto& s = users_.users.shard(a.user);
    MutexLock lock(s.mu);
    auto uit = s.map.find(a.user);
    if (uit == s.map.end() || uit->second.rooms.erase(room) == 0) return done(hub_rules::not_member(room));
    was_online = remove_online(room, a.user, events);
  }
  for (auto& e : events) emit(std::move(e));
  if (was_online) {
    presence_.room_left(a.user, room);
    announce_presence(a.user, {room}, false);
  }
  store_.leave(room, a.user, on_lane<bool>(room, [this, a, room, was_online, m = m.value, done](Result<bool> r) {
    if (r.ok() || r.status.code() == Status::Code::not_found) {
      done(Ok{});
      return emit(UserEvent{a.user, MembershipLeft{room, LeftReason::left}, {}, a.conn, false});
    }
    // Not stored: the membership is back.
    bool back_online = false;
    {
      auto& s = users_.users.shard(a.user);
      MutexLock lock(s.mu);
      if (auto uit = s.map.find(a.user); uit != s.map.end()) {
        uit->second.rooms[room] = m;
        back_online = uit->second.online && add_online(room, a.user, uit->second.conns);
      }
    }
    if (back_online && was_online) {
      presence_.room_joined(a.user, room);
      announce_presence(a.user, {room}, true);
    }
    done(r.status);
  }));
}

void Hub::create_room(const Actor& a, std::string room, RoomKind kind, Done<Created> done) {
  if (!valid_room_name(room)) return done(hub_rules::bad_room());
  if (reserved_room_name(room)) return done(hub_rules::reserved_room());
  if (a.is_backend()) {
    return store_.create_room(room, kind, "", on_lane<bool>(room, [room, done](Result<bool> r) {
      if (!r.ok()) return done(r.status);
      if (r.value) spdlog::info("api: room {} created", room);
      done(Created{r.value, {}});
    }));
  }
  if (defer_while_joining(a, room, [this, a, room, kind, done] { create_room(a, room, kind, done); })) return;
  {
    auto& s = users_.users.shard(a.user);
    MutexLock lock(s.mu);
    if (auto u = s.map.find(a.user); u != s.map.end() && u->second.rooms.count(room)) {
      return done(Status::conflict(room + " exists"));
    }
  }
  if (auto st = start_pending(a, room); !st.is_ok()) return done(st);
  store_.create_room(room, kind, a.user, on_lane<bool>(room, [this, a, room, kind, done](Result<bool> r) {
    if (r.ok() && r.value) {
      return admit(a, RoomState{room, 0, 0, kind, Role::owner, {}, 0}, [done](Result<Joined> j) {
        if (!j.ok()) return done(j.status);
        done(Created{true, std::move(j.value)});
      });
    }
    abandon_pending(a, room);
    done(r.ok() ? Status::conflict(room + " exists") : r.status);
  }));
}

void Hub::open_direct(const Actor& actor, std::string a, std::string b, Done<Joined> done) {
  if (!actor.is_backend()) a = actor.user;
  if (!valid_user_name(a) || !valid_user_name(b)) return done(hub_rules::bad_user());
  if (a == b) return done(Status::invalid("a direct conversation needs two different users"));
  const std::string room = direct_room_name(a, b);
  bool member = false;
  if (!actor.is_backend()) {
    if (defer_while_joining(actor, room, [this, actor, a, b, done] { open_direct(actor, a, b, done); })) return;
    member = member_of(actor, room).ok();
    if (auto st = start_pending(actor, room); !st.is_ok()) return done(st);
  }
  store_.open_direct(room, a, b, options_.max_rooms_per_user, extras_limit(),
                     on_lane<RoomState>(room, [this, actor, room, a, b, member, done](Result<RoomState> r) {
    if (!r.ok()) {
      if (!actor.is_backend()) abandon_pending(actor, room);
      return done(r.status);
    }
    // The other side's connections, on every node, learn about the conversation (again, when
    // the backend opens an existing one: as for a repeated add-member).
    RoomState theirs{room, r.value.last_seq, 0, RoomKind::direct, Role::member, a};
    if (actor.is_backend()) {
      spdlog::info("api: direct room {} of {} and {}", room, a, b);
      emit(UserEvent{a, MembershipJoined{r.value, {}}, {}, 0, true});
      emit(UserEvent{b, MembershipJoined{theirs, {}}, {}, 0, true});
      return done(Joined{r.value, {}});
    }
    if (!member) emit(UserEvent{b, MembershipJoined{theirs, {}}, {}, 0, true});
    admit(actor, r.value, done);
  }));
}

void Hub::add_member(const Actor& a, std::string room, std::string user, Done<RoomState> done) {
  if (!valid_room_name(room)) return done(hub_rules::bad_room());
  if (!a.is_backend()) {
    if (defer_while_joining(a, room, [this, a, room, user, done] { add_member(a, room, user, done); })) return;
    if (auto m = member_of(a, room); !m.ok()) return done(m.status);
  }
  if (!valid_user_name(user)) return done(hub_rules::bad_user());
  JoinRequest req{room, user, options_.max_rooms_per_user, a.is_backend() ? JoinMode::admin : JoinMode::invite, a.user,
                  extras_limit()};
  store_.join(std::move(req), on_lane<RoomState>(room, [this, a, user, done](Result<RoomState> r) {
    if (!r.ok()) return done(r.status);
    spdlog::info("{} added {} to {}", a.is_backend() ? "the server API" : a.user, user, r.value.room);
    member_added(user, r.value, a.user, [done, state = r.value] { done(state); });
  }));
}

void Hub::member_added(const std::string& user, const RoomState& state, const std::string& by, std::function<void()> then) {
  metrics_.joins.add();
  online_summary(state, user, [this, user, state, by, then = std::move(then)](Joined j) {
    emit(UserEvent{user, MembershipJoined{std::move(j.state), std::move(j.online), j.online_count, j.by_count}, {}, 0, true});
    emit(RoomEvent{state.room, MemberNotice{user, MemberAction::invited, by, Role::member, 0}, {}});
    then();
  });
}

void Hub::remove_member(const Actor& a, std::string room, std::string user, Done<Ok> done) {
  if (!a.is_backend()) return done(hub_rules::users_only());
  if (!valid_room_name(room)) return done(hub_rules::bad_room());
  if (!valid_user_name(user)) return done(hub_rules::bad_user());
  store_.leave(room, user, on_lane<bool>(room, [this, room, user, done](Result<bool> r) {
    if (!r.ok()) return done(r.status);
    spdlog::info("api: {} removed from {}", user, room);
    emit(UserEvent{user, MembershipLeft{room, LeftReason::removed}, {}, 0, true});
    done(Ok{});
  }));
}

void Hub::room_info(const Actor&, std::string room, Done<RoomState> done) {
  if (!valid_room_name(room)) return done(hub_rules::bad_room());
  store_.room(room, on_lane<RoomState>(room, [done](Result<RoomState> r) { done(std::move(r)); }));
}

}  // namespace parley
