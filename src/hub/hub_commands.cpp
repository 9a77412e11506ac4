// The hub's command handlers: one function per client → server command of protocol v1.
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

bool Hub::check_member(const ClientPtr& c, const std::string& room, const value& ref, const std::string& id) {
  if (!valid_room_name(room)) {
    reply_error(c, "forbidden", "invalid room name", ref, id);
    return false;
  }
  bool member = false;
  {
    std::lock_guard lock(mu_);
    auto u = users_.find(c->user());
    member = u != users_.end() && u->second.rooms.count(room) > 0;
  }
  if (!member) reply_error(c, "forbidden", "not a member of " + room, ref, id);
  return member;
}

void Hub::on_join(const ClientPtr& c, const value& ref, JoinCmd cmd) {
  if (!valid_room_name(cmd.room)) {
    reply_error(c, "forbidden", "invalid room name: use [a-z0-9][a-z0-9_-]{0,63}", ref);
    return;
  }
  // Membership takes effect at once, so that commands pipelined after the join (message,
  // history...) see it; the store's writer applies the join before any later append. A failed
  // store write undoes it.
  const std::string& user = c->user();
  bool added = false, now_online = false;
  {
    std::lock_guard lock(mu_);
    auto uit = users_.find(user);
    if (uit == users_.end()) return;
    auto& u = uit->second;
    if (!u.rooms.count(cmd.room)) {
      if (u.rooms.size() >= static_cast<std::size_t>(options_.max_rooms_per_user)) {
        reply_error(c, "limit_exceeded", "a user may be in at most " + std::to_string(options_.max_rooms_per_user) + " rooms", ref);
        return;
      }
      u.rooms.insert(cmd.room);
      added = true;
      now_online = u.online && add_online_member(cmd.room, user);
    }
  }
  if (now_online) {
    presence_.room_joined(user, cmd.room);
    announce_presence(user, {cmd.room}, true);
  }
  store_.join(cmd.room, user, options_.max_rooms_per_user, [this, c, ref, added, now_online, room = cmd.room](Result<parley::RoomState> r) {
    if (r.ok()) {
      metrics_.joins.add();
      {
        std::lock_guard lock(mu_);
        // Everything up to last_seq is in the store: live delivery continues after it.
        if (auto rit = rooms_.find(room); rit != rooms_.end() && rit->second.delivered_seq == 0) {
          rit->second.delivered_seq = r.value.last_seq;
        }
      }
      presence_.online_in(room, [this, c, ref, state = r.value](std::vector<std::string> online) {
        std::erase(online, c->user());
        finish_join(c, ref, state, std::move(online));
      });
      return;
    }
    if (added) {
      std::vector<RoomEvent> events;
      {
        std::lock_guard lock(mu_);
        if (auto uit = users_.find(c->user()); uit != users_.end()) uit->second.rooms.erase(room);
        remove_online_member(room, c->user(), events);
      }
      publish_all(events);
      if (now_online) {
        presence_.room_left(c->user(), room);
        announce_presence(c->user(), {room}, false);
      }
    }
    if (r.status.code() == Status::Code::limit_exceeded) {
      reply_error(c, "limit_exceeded", r.status.message(), ref);
    } else {
      reply_store_error(c, r.status, ref);
    }
  });
}

void Hub::finish_join(const ClientPtr& c, const value& ref, const parley::RoomState& state, std::vector<std::string> online) {
  c->send(encode::joined(state, online, ref));
  bus_.publish(UserEvent{c->user(), UserEventKind::joined, state.room, encode::joined(state, online, nullptr),
                         options_.node_id, c->id()});
}

void Hub::on_leave(const ClientPtr& c, const value& ref, LeaveCmd cmd) {
  if (!check_member(c, cmd.room, ref)) return;
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
  store_.leave(cmd.room, user, [this, c, ref, was_online, room = cmd.room](Result<bool> r) {
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
        uit->second.rooms.insert(room);
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
  metrics_.messages_in.add();
  const int64_t received_us = wall_clock_us();
  if (!check_member(c, cmd.room, ref, cmd.id)) return;
  if (utf8_length(cmd.text) > options_.max_text_chars) {
    reply_error(c, "too_large", "text is longer than " + std::to_string(options_.max_text_chars) + " characters", ref, cmd.id);
    return;
  }
  std::vector<RoomEvent> events;
  {
    std::lock_guard lock(mu_);
    const int64_t now = clock_.mono_ms();
    auto [bucket, _] = buckets_.try_emplace(c->user(), options_.rate_per_sec, options_.rate_burst, now);
    if (!bucket->second.take(now)) {
      reply_error(c, "rate_limited", "too many messages; slow down", ref, cmd.id);
      return;
    }
    clear_typing(cmd.room, c->user(), events);
  }
  publish_all(events);

  AppendRequest req{cmd.room, c->user(), cmd.id, std::move(cmd.text), clock_.wall_ms()};
  store_.append(std::move(req), [this, c, ref, id = cmd.id, received_us](Result<Appended> r) {
    if (!r.ok()) return reply_store_error(c, r.status, ref, id);
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
