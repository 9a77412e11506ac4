// Conversation commands: invitations, moderation, block lists and search, and how their
// effects reach the members of a room on every node.
#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "hub/hub.hpp"
#include "metrics/metrics.hpp"
#include "protocol/encode.hpp"
#include "protocol/names.hpp"

namespace parley {

using boost::json::value;

namespace {

const char* action_name(ModerationAction a, int64_t muted_until) {
  switch (a) {
    case ModerationAction::kick: return "kicked";
    case ModerationAction::ban: return "banned";
    case ModerationAction::unban: return "unbanned";
    case ModerationAction::mute: return muted_until > 0 ? "muted" : "unmuted";
    case ModerationAction::set_role: return "role";
  }
  return "";
}

}  // namespace

void Hub::member_added(const std::string& user, const RoomState& state, const std::string& by, std::function<void()> done) {
  metrics_.joins.add();
  presence_.online_in(state.room, [this, user, state, by, done = std::move(done)](std::vector<std::string> online) {
    std::erase(online, user);
    // origin "": no node has applied it yet (see on_user_event).
    bus_.publish(UserEvent{user, UserEventKind::joined, state.room, encode::joined(state, online, nullptr), "", 0});
    bus_.publish(RoomEvent{state.room, EventKind::notice, {}, encode::member({state.room, user, "invited", by})});
    done();
  });
}

void Hub::on_invite(const ClientPtr& c, const value& ref, InviteCmd cmd) {
  if (!check_member(c, cmd.room, ref)) return;
  if (!valid_user_name(cmd.user)) return reply_error(c, "bad_request", "invalid user name: use [a-z0-9_]{1,32}", ref);
  JoinRequest req{cmd.room, cmd.user, options_.max_rooms_per_user, JoinMode::invite, c->user()};
  store_.join(std::move(req), [this, c, ref, user = cmd.user](Result<RoomState> r) {
    if (!r.ok()) return reply_status(c, r.status, ref);
    spdlog::info("{} invited {} to {}", c->user(), user, r.value.room);
    member_added(user, r.value, c->user(), [c, ref] { c->send(encode::ok(ref)); });
  });
}

void Hub::on_moderate(const ClientPtr& c, const value& ref, ModerateCmd cmd) {
  if (!check_member(c, cmd.room, ref)) return;
  if (!valid_user_name(cmd.user)) return reply_error(c, "bad_request", "invalid user name: use [a-z0-9_]{1,32}", ref);
  ModerationRequest req{cmd.room, c->user(), cmd.user, cmd.action};
  if (cmd.action == ModerationAction::mute && cmd.seconds > 0) req.muted_until = clock_.wall_ms() + cmd.seconds * 1000;
  req.role = cmd.role;
  store_.moderate(req, [this, c, ref, req](Result<ModerationResult> r) {
    if (!r.ok()) return reply_status(c, r.status, ref);
    moderation_done(req, r.value);
    c->send(encode::ok(ref));
  });
}

void Hub::moderate_api(ModerationRequest req, Done<ModerationResult> done) {
  if (!valid_room_name(req.room)) return done(Status::invalid("invalid room name: use [a-z0-9][a-z0-9_-]{0,63}"));
  if (!valid_user_name(req.target)) return done(Status::invalid("invalid user name: use [a-z0-9_]{1,32}"));
  req.actor.clear();
  store_.moderate(req, [this, req, done = std::move(done)](Result<ModerationResult> r) {
    if (r.ok()) moderation_done(req, r.value);
    done(std::move(r));
  });
}

void Hub::moderation_done(const ModerationRequest& req, const ModerationResult& result) {
  spdlog::info("room {}: {} {} by {}", req.room, req.target, action_name(req.action, req.muted_until),
               req.actor.empty() ? "the server API" : req.actor);
  encode::MemberChange change{req.room, req.target, action_name(req.action, req.muted_until), req.actor, req.role,
                              req.muted_until};
  // The room hears it first, so that a removed member's own connections still get it.
  bus_.publish(RoomEvent{req.room, EventKind::notice, {}, encode::member(change)});
  const bool removed = req.action == ModerationAction::kick || req.action == ModerationAction::ban;
  if (removed && result.was_member) {
    bus_.publish(UserEvent{req.target, UserEventKind::left, req.room,
                           encode::left(req.room, nullptr, req.action == ModerationAction::ban ? "banned" : "kicked"), "", 0});
  }
}

void Hub::apply_member_notice(const std::string& frame) {
  boost::system::error_code ec;
  auto doc = boost::json::parse(frame, ec);
  if (ec || !doc.is_object()) return;
  auto& o = doc.as_object();
  auto text = [&](const char* key) -> std::string {
    auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
  };
  const std::string action = text("action");
  if (action != "muted" && action != "unmuted" && action != "role") return;
  std::lock_guard lock(mu_);
  auto u = users_.find(text("user"));
  if (u == users_.end()) return;
  auto m = u->second.rooms.find(text("room"));
  if (m == u->second.rooms.end()) return;
  if (action == "role") {
    m->second.role = encode::role_from_name(text("role")).value_or(Role::member);
  } else if (auto* until = o.if_contains("until"); action == "muted" && until && until->is_int64()) {
    m->second.muted_until = until->as_int64();
  } else {
    m->second.muted_until = 0;
  }
}

void Hub::on_block(const ClientPtr& c, const value& ref, BlockCmd cmd) {
  if (!valid_user_name(cmd.user)) return reply_error(c, "bad_request", "invalid user name: use [a-z0-9_]{1,32}", ref);
  if (cmd.user == c->user()) return reply_error(c, "bad_request", "you cannot block yourself", ref);
  store_.set_block(c->user(), cmd.user, cmd.on, [this, c, ref](Result<std::vector<std::string>> r) {
    if (!r.ok()) return reply_status(c, r.status, ref);
    {
      std::lock_guard lock(mu_);
      if (auto u = users_.find(c->user()); u != users_.end()) {
        set_blocked(u->second, c->user(), {r.value.begin(), r.value.end()});
      }
    }
    c->send(encode::blocks(r.value, ref));
    bus_.publish(UserEvent{c->user(), UserEventKind::blocks, "", encode::blocks(r.value, nullptr), options_.node_id, c->id()});
  });
}

void Hub::set_blocked(UserState& u, const std::string& user, std::set<std::string> blocked) {
  for (auto& other : u.blocked) {
    if (auto it = blocked_by_.find(other); it != blocked_by_.end() && it->second.erase(user) && it->second.empty()) {
      blocked_by_.erase(it);
    }
  }
  u.blocked = std::move(blocked);
  for (auto& other : u.blocked) blocked_by_[other].insert(user);
}

std::shared_ptr<const std::vector<ClientPtr>> Hub::unblocked(const std::vector<ClientPtr>& recipients,
                                                             const std::string& subject) const {
  const auto& blockers = blocked_by_.at(subject);
  auto out = std::make_shared<std::vector<ClientPtr>>();
  for (auto& c : recipients) {
    if (!blockers.count(c->user())) out->push_back(c);
  }
  return out;
}

void Hub::on_search(const ClientPtr& c, const value& ref, SearchCmd cmd) {
  if (!cmd.room.empty() && !check_member(c, cmd.room, ref)) return;
  SearchQuery q{c->user(), cmd.query, cmd.room, cmd.limit};
  store_.search(std::move(q), [this, c, ref, query = cmd.query](Result<std::vector<ChatMessage>> r) {
    if (!r.ok()) return reply_status(c, r.status, ref);
    c->send(encode::results(query, r.value, ref));
  });
}

}  // namespace parley
