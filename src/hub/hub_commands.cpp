// The hub's command handlers: one function per client → server command of protocol v1
// (conversation and moderation commands: hub_moderation.cpp).
#include <spdlog/spdlog.h>

#include "hub/hub.hpp"
#include "metrics/metrics.hpp"
#include "protocol/encode.hpp"
#include "protocol/names.hpp"

namespace parley {

using boost::json::value;

void Hub::reply_error(const ClientPtr& c, std::string_view code, const std::string& message, const value& ref,
                      const std::string& id) {
  metrics_.errors.add(code);
  spdlog::info("conn {} user {}: error {}: {}", c->id(), c->user(), code, message);
  c->send(encode::error(code, message, ref, id));
}

void Hub::reply_store_error(const ClientPtr& c, const Status& s, const value& ref, const std::string& id) {
  metrics_.errors.add("unavailable");
  spdlog::error("conn {} user {}: store error: {}", c->id(), c->user(), s.message());
  c->send(encode::error("unavailable", "the message store is unavailable, retry later", ref, id));
}

void Hub::reply_status(const ClientPtr& c, const Status& s, const value& ref, const std::string& id) {
  switch (s.code()) {
    case Status::Code::forbidden: return reply_error(c, "forbidden", s.message(), ref, id);
    case Status::Code::not_found: return reply_error(c, "not_found", s.message(), ref, id);
    case Status::Code::conflict: return reply_error(c, "conflict", s.message(), ref, id);
    case Status::Code::limit_exceeded: return reply_error(c, "limit_exceeded", s.message(), ref, id);
    case Status::Code::invalid: return reply_error(c, "bad_request", s.message(), ref, id);
    default: return reply_store_error(c, s, ref, id);
  }
}

const Hub::Membership* Hub::membership(const std::string& user, const std::string& room) const {
  auto u = users_.find(user);
  if (u == users_.end()) return nullptr;
  auto m = u->second.rooms.find(room);
  return m == u->second.rooms.end() || m->second.pending ? nullptr : &m->second;
}

std::optional<Hub::Membership> Hub::check_member(const ClientPtr& c, const std::string& room, const value& ref,
                                                 const std::string& id) {
  if (!valid_room_name(room)) {
    reply_error(c, "forbidden", "invalid room name", ref, id);
    return std::nullopt;
  }
  std::optional<Membership> m;
  {
    std::lock_guard lock(mu_);
    if (auto* p = membership(c->user(), room)) m = *p;
  }
  if (!m) reply_error(c, "forbidden", "not a member of " + room, ref, id);
  return m;
}

bool Hub::defer_if_pending(const ClientPtr& c, Command& command) {
  const std::string* room = std::visit(
      [](auto& cmd) -> const std::string* {
        if constexpr (requires { cmd.room; }) return &cmd.room;
        return nullptr;
      },
      command.body);
  if (!room) return false;
  std::lock_guard lock(mu_);
  auto u = users_.find(c->user());
  if (u == users_.end()) return false;
  auto m = u->second.rooms.find(*room);
  if (m == u->second.rooms.end() || !m->second.pending) return false;
  std::string name = *room;
  u->second.deferred[name].push_back(Deferred{c, std::move(command)});
  return true;
}

bool Hub::start_pending(const ClientPtr& c, const std::string& room, const value& ref) {
  std::lock_guard lock(mu_);
  auto uit = users_.find(c->user());
  if (uit == users_.end()) return false;
  auto& u = uit->second;
  if (u.rooms.count(room)) return true;
  if (u.rooms.size() >= static_cast<std::size_t>(options_.max_rooms_per_user)) {
    reply_error(c, "limit_exceeded", "a user may be in at most " + std::to_string(options_.max_rooms_per_user) + " rooms", ref);
    return false;
  }
  u.rooms[room].pending = true;
  return true;
}

void Hub::admit(const ClientPtr& c, const value& ref, const RoomState& state) {
  const std::string& user = c->user();
  bool now_online = false;
  std::vector<Deferred> waiting;
  {
    std::lock_guard lock(mu_);
    auto uit = users_.find(user);
    if (uit == users_.end()) return;
    auto& u = uit->second;
    u.rooms[state.room] = Membership{state.kind, state.role, state.peer, state.muted_until};
    now_online = u.online && add_online_member(state.room, user, state.last_seq);
    // Everything up to last_seq is in the store: live delivery continues after it.
    position(state.room, state.last_seq);
    if (auto d = u.deferred.find(state.room); d != u.deferred.end()) {
      waiting = std::move(d->second);
      u.deferred.erase(d);
    }
  }
  if (now_online) {
    presence_.room_joined(user, state.room);
    announce_presence(user, {state.room}, true);
  }
  metrics_.joins.add();
  presence_.online_in(state.room, [this, c, ref, state, waiting = std::move(waiting)](std::vector<std::string> online) mutable {
    std::erase(online, c->user());
    finish_join(c, ref, state, std::move(online));
    for (auto& d : waiting) handle(d.client, std::move(d.command));
  });
}

void Hub::abandon_pending(const ClientPtr& c, const std::string& room) {
  std::vector<Deferred> waiting;
  {
    std::lock_guard lock(mu_);
    auto uit = users_.find(c->user());
    if (uit == users_.end()) return;
    auto& u = uit->second;
    if (auto m = u.rooms.find(room); m != u.rooms.end() && m->second.pending) u.rooms.erase(m);
    if (auto d = u.deferred.find(room); d != u.deferred.end()) {
      waiting = std::move(d->second);
      u.deferred.erase(d);
    }
  }
  for (auto& d : waiting) handle(d.client, std::move(d.command));
}

void Hub::on_join(const ClientPtr& c, const value& ref, JoinCmd cmd) {
  if (!valid_room_name(cmd.room)) {
    reply_error(c, "forbidden", "invalid room name: use [a-z0-9][a-z0-9_-]{0,63}", ref);
    return;
  }
  bool member = false;
  {
    std::lock_guard lock(mu_);
    member = membership(c->user(), cmd.room) != nullptr;
  }
  if (!member && reserved_room_name(cmd.room)) {
    reply_error(c, "forbidden", "names starting with dm- belong to direct conversations: use dm", ref);
    return;
  }
  // Until the store answers, the user's later commands for the room wait (defer_if_pending):
  // the store's writer applies the join before any later append, and a refused join (a
  // private room, a ban) must not let them through.
  if (!start_pending(c, cmd.room, ref)) return;
  JoinRequest req{cmd.room, c->user(), options_.max_rooms_per_user, JoinMode::open};
  store_.join(std::move(req), [this, c, ref, room = cmd.room](Result<RoomState> r) {
    if (r.ok()) return admit(c, ref, r.value);
    abandon_pending(c, room);
    reply_status(c, r.status, ref);
  });
}

void Hub::on_create(const ClientPtr& c, const value& ref, CreateCmd cmd) {
  if (!valid_room_name(cmd.room) || reserved_room_name(cmd.room)) {
    reply_error(c, "forbidden", "invalid room name: use [a-z0-9][a-z0-9_-]{0,63}, not starting with dm-", ref);
    return;
  }
  {
    std::lock_guard lock(mu_);
    if (auto u = users_.find(c->user()); u != users_.end() && u->second.rooms.count(cmd.room)) {
      reply_error(c, "conflict", cmd.room + " exists", ref);
      return;
    }
  }
  if (!start_pending(c, cmd.room, ref)) return;
  store_.create_room(cmd.room, cmd.kind, c->user(), [this, c, ref, cmd](Result<bool> r) {
    if (r.ok() && r.value) return admit(c, ref, RoomState{cmd.room, 0, 0, cmd.kind, Role::owner});
    abandon_pending(c, cmd.room);
    if (r.ok()) return reply_error(c, "conflict", cmd.room + " exists", ref);
    reply_status(c, r.status, ref);
  });
}

void Hub::on_dm(const ClientPtr& c, const value& ref, DmCmd cmd) {
  if (!valid_user_name(cmd.to)) return reply_error(c, "bad_request", "invalid user name: use [a-z0-9_]{1,32}", ref);
  if (cmd.to == c->user()) return reply_error(c, "bad_request", "a direct conversation needs another user", ref);
  const std::string room = direct_room_name(c->user(), cmd.to);
  bool member = false;
  {
    std::lock_guard lock(mu_);
    member = membership(c->user(), room) != nullptr;
  }
  if (!start_pending(c, room, ref)) return;
  store_.open_direct(room, c->user(), cmd.to, options_.max_rooms_per_user,
                     [this, c, ref, room, to = cmd.to, member](Result<RoomState> r) {
    if (!r.ok()) {
      abandon_pending(c, room);
      return reply_status(c, r.status, ref);
    }
    if (!member) {
      // The other user's connections, on every node, learn about the new conversation.
      RoomState theirs{room, r.value.last_seq, 0, RoomKind::direct, Role::member, c->user()};
      bus_.publish(UserEvent{to, UserEventKind::joined, room, encode::joined(theirs, {}, nullptr), "", 0});
    }
    admit(c, ref, r.value);
  });
}

void Hub::finish_join(const ClientPtr& c, const value& ref, const parley::RoomState& state, std::vector<std::string> online) {
  {
    std::lock_guard lock(mu_);
    if (auto u = users_.find(c->user()); u != users_.end() && !u->second.blocked.empty()) {
      std::erase_if(online, [&](const std::string& other) { return u->second.blocked.count(other) > 0; });
    }
  }
  c->send(encode::joined(state, online, ref));
  bus_.publish(UserEvent{c->user(), UserEventKind::joined, state.room, encode::joined(state, online, nullptr),
                         options_.node_id, c->id()});
}

void Hub::on_leave(const ClientPtr& c, const value& ref, LeaveCmd cmd) {
  auto m = check_member(c, cmd.room, ref);
  if (!m) return;
  if (m->kind == RoomKind::direct) return reply_error(c, "forbidden", "nobody can leave a direct conversation", ref);
  // Like join, the membership ends at once for the commands that follow.
  const std::string& user = c->user();
  std::vector<RoomEvent> events;
  bool was_online = false;
  {
    std::lock_guard lock(mu_);
    auto uit = users_.find(user);
    if (uit == users_.end() || uit->second.rooms.erase(cmd.room) == 0) return;
    was_online = remove_online_member(cmd.room, user, events);
  }
  publish_all(events);
  if (was_online) {
    presence_.room_left(user, cmd.room);
    announce_presence(user, {cmd.room}, false);
  }
  store_.leave(cmd.room, user, [this, c, ref, was_online, room = cmd.room, m = *m](Result<bool> r) {
    if (r.ok() || r.status.code() == Status::Code::not_found) {
      c->send(encode::left(room, ref));
      bus_.publish(UserEvent{c->user(), UserEventKind::left, room, encode::left(room, nullptr), options_.node_id, c->id()});
      return;
    }
    bool back_online = false;
    {
      std::lock_guard lock(mu_);
      auto uit = users_.find(c->user());
      if (uit != users_.end()) {
        uit->second.rooms[room] = m;
        back_online = uit->second.online && add_online_member(room, c->user());
      }
    }
    if (back_online && was_online) {
      presence_.room_joined(c->user(), room);
      announce_presence(c->user(), {room}, true);
    }
    reply_store_error(c, r.status, ref);
  });
}

void Hub::on_message(const ClientPtr& c, const value& ref, MessageCmd cmd) {
  on_entry(c, ref, AppendRequest{cmd.room, c->user(), cmd.id, std::move(cmd.text), 0});
}

void Hub::on_entry(const ClientPtr& c, const value& ref, AppendRequest req) {
  metrics_.messages_in.add();
  const int64_t received_us = wall_clock_us();
  auto m = check_member(c, req.room, ref, req.id);
  if (!m) return;
  const bool has_text = req.kind == EntryKind::message || req.kind == EntryKind::edited;
  req.ts = clock_.wall_ms();
  if (req.kind != EntryKind::deleted && m->muted_until > req.ts) {
    metrics_.errors.add("muted");
    c->send(encode::error("muted", "you are muted in " + req.room, ref, req.id, m->muted_until));
    return;
  }
  if (has_text && utf8_length(req.text) > options_.max_text_chars) {
    reply_error(c, "too_large", "text is longer than " + std::to_string(options_.max_text_chars) + " characters", ref, req.id);
    return;
  }
  if (has_text && options_.word_filter.apply(req.text) && options_.word_filter.reject()) {
    reply_error(c, "filtered", "the text holds a word that is not allowed here", ref, req.id);
    return;
  }
  std::vector<RoomEvent> events;
  {
    std::lock_guard lock(mu_);
    const int64_t now = clock_.mono_ms();
    auto [bucket, _] = buckets_.try_emplace(c->user(), options_.rate_per_sec, options_.rate_burst, now);
    if (!bucket->second.take(now)) {
      reply_error(c, "rate_limited", "too many messages; slow down", ref, req.id);
      return;
    }
    if (req.kind == EntryKind::message) clear_typing(req.room, c->user(), events);
  }
  publish_all(events);

  if (m->kind == RoomKind::direct) req.peer = m->peer;
  req.moderator = m->role >= Role::moderator;
  req.edit_window_ms = options_.edit_window_ms;
  const std::string id = req.id;
  store_.append(std::move(req), [this, c, ref, id, received_us](Result<Appended> r) {
    if (!r.ok()) return reply_status(c, r.status, ref, id);
    const ChatMessage& m = r.value.message;
    // Fan out first, ack second: once the sender holds its ack, every member at commit time
    // has the message queued (the sender's own copy arrives before the ack).
    if (!r.value.duplicate) {
      bus_.publish(RoomEvent{m.room, EventKind::message, {}, encode::message(m), m.seq, received_us});
    }
    metrics_.acks.add();
    c->send(encode::ack(m.room, m.id, m.seq, m.ts, ref));
  });
}

void Hub::on_typing(const ClientPtr& c, const value& ref, TypingCmd cmd) {
  if (!check_member(c, cmd.room, ref)) return;
  std::vector<RoomEvent> events;
  {
    std::lock_guard lock(mu_);
    auto it = rooms_.find(cmd.room);
    if (it == rooms_.end()) return;
    if (cmd.active) {
      it->second.typing[c->user()] = clock_.mono_ms() + options_.typing_timeout_ms;
      events.push_back(RoomEvent{cmd.room, EventKind::typing, c->user(), encode::typing(cmd.room, c->user(), true)});
    } else {
      clear_typing(cmd.room, c->user(), events);
    }
  }
  publish_all(events);
}

void Hub::on_read(const ClientPtr& c, const value& ref, ReadCmd cmd) {
  if (!check_member(c, cmd.room, ref)) return;
  store_.set_read(cmd.room, c->user(), cmd.seq, [this, c, ref, room = cmd.room, seq = cmd.seq](Result<bool> r) {
    switch (r.status.code()) {
      case Status::Code::ok:
        if (r.value) bus_.publish(RoomEvent{room, EventKind::read, {}, encode::read(room, c->user(), seq)});
        return;
      case Status::Code::not_found:
        return reply_error(c, "forbidden", "not a member of " + room, ref);
      case Status::Code::invalid:
        return reply_error(c, "bad_request", r.status.message(), ref);
      default:
        return reply_store_error(c, r.status, ref);
    }
  });
}

void Hub::on_sync(const ClientPtr& c, const value& ref, SyncCmd cmd) {
  metrics_.resumes.add();
  if (!check_member(c, cmd.room, ref)) return;
  store_.after(cmd.room, cmd.after, cmd.limit, [this, c, ref, room = cmd.room](Result<MessagePage> r) {
    if (!r.ok()) return reply_store_error(c, r.status, ref);
    c->send(encode::history(room, r.value, ref));
  });
}

void Hub::on_history(const ClientPtr& c, const value& ref, HistoryCmd cmd) {
  if (!check_member(c, cmd.room, ref)) return;
  store_.before(cmd.room, cmd.before, cmd.limit, [this, c, ref, room = cmd.room](Result<MessagePage> r) {
    if (!r.ok()) return reply_store_error(c, r.status, ref);
    c->send(encode::history(room, r.value, ref));
  });
}

}  // namespace parley
