// Moderation (kick, ban, unban, mute, roles) and block lists, and how their effects reach the
// members of a room on every node.
#include <spdlog/spdlog.h>

#include "common/names.hpp"
#include "hub/hub.hpp"
#include "hub/rules.hpp"
#include "metrics/metrics.hpp"

namespace parley {
namespace {

MemberAction action_of(const ModerationRequest& req) {
  switch (req.action) {
    case ModerationAction::kick: return MemberAction::kicked;
    case ModerationAction::ban: return MemberAction::banned;
    case ModerationAction::unban: return MemberAction::unbanned;
    case ModerationAction::mute: return req.muted_until > 0 ? MemberAction::muted : MemberAction::unmuted;
    case ModerationAction::set_role: return MemberAction::role;
  }
  return MemberAction::kicked;
}

}  // namespace

void Hub::moderate(const Actor& a, ModerateRequest req, Done<ModerationResult> done) {
  if (!valid_room_name(req.room)) return done(hub_rules::bad_room());
  if (!a.is_backend()) {
    if (defer_while_joining(a, req.room, [this, a, req, done] { moderate(a, req, done); })) return;
    if (auto m = member_of(a, req.room); !m.ok()) return done(m.status);
  }
  if (!valid_user_name(req.target)) return done(hub_rules::bad_user());
  // The store checks the actor's role against the target's inside the write; the backend
  // (no actor) may act on anyone.
  ModerationRequest mr{req.room, a.user, req.target, req.action};
  if (req.action == ModerationAction::mute && req.seconds > 0) mr.muted_until = clock_.wall_ms() + req.seconds * 1000;
  mr.role = req.role;
  store_.moderate(mr, on_lane<ModerationResult>(mr.room, [this, mr, done](Result<ModerationResult> r) {
    if (r.ok()) moderation_done(mr, r.value);
    done(std::move(r));
  }));
}

void Hub::set_slow_mode(const Actor& a, std::string room, int64_t seconds, Done<RoomState> done) {
  if (!valid_room_name(room)) return done(hub_rules::bad_room());
  if (seconds < 0 || seconds > kMaxSlowModeSeconds) {
    return done(Status::invalid("seconds is 0 (off) to " + std::to_string(kMaxSlowModeSeconds)));
  }
  if (!a.is_backend()) {
    if (defer_while_joining(a, room, [this, a, room, seconds, done] { set_slow_mode(a, room, seconds, done); })) return;
    if (auto m = member_of(a, room); !m.ok()) return done(m.status);
  }
  store_.set_slow_mode(room, a.user, seconds, on_lane<RoomState>(room, [this, a, room, done](Result<RoomState> r) {
    if (!r.ok()) return done(r.status);
    spdlog::info("room {}: slow mode {} s by {}", room, r.value.slow_mode_s, a.is_backend() ? "the server API" : a.user);
    emit(RoomEvent{room, SlowModeChanged{r.value.slow_mode_s, r.value.settings_version, a.user}, {}});
    done(std::move(r.value));
  }));
}

void Hub::moderation_done(const ModerationRequest& req, const ModerationResult& result) {
  const MemberAction action = action_of(req);
  spdlog::info("room {}: {} {} by {}", req.room, req.target, member_action_name(action),
               req.actor.empty() ? "the server API" : req.actor);
  // The room hears it first, so that a removed member's own connections still get it.
  emit(RoomEvent{req.room, MemberNotice{req.target, action, req.actor, req.role, req.muted_until}, {}});
  const bool removed = req.action == ModerationAction::kick || req.action == ModerationAction::ban;
  if (removed && result.was_member) {
    const LeftReason why = req.action == ModerationAction::ban ? LeftReason::banned : LeftReason::kicked;
    emit(UserEvent{req.target, MembershipLeft{req.room, why}, {}, 0, true});
  }
}

void Hub::block(const Actor& a, std::string other, bool on, Done<std::vector<std::string>> done) {
  if (a.is_backend()) return done(hub_rules::users_only());
  if (!valid_user_name(other)) return done(hub_rules::bad_user());
  if (other == a.user) return done(Status::invalid("you cannot block yourself"));
  store_.set_block(a.user, other, on, on_lane<std::vector<std::string>>(a.user, [this, a, done](
                                                                             Result<std::vector<std::string>> r) {
    if (!r.ok()) return done(r.status);
    {
      auto& s = users_.users.shard(a.user);
      MutexLock lock(s.mu);
      if (auto u = s.map.find(a.user); u != s.map.end()) set_blocked(u->second, a.user, {r.value.begin(), r.value.end()});
    }
    done(r.value);
    emit(UserEvent{a.user, BlocksChanged{r.value}, {}, a.conn, false});
  }));
}

}  // namespace parley
