// The server API's operations (hub.hpp → "The server API"): what the application backend
// does to rooms, members and messages, under the rules of the WebSocket commands. A change
// reaches the connections the way the commands' changes do — membership as a UserEvent on
// the user's channel, messages as a RoomEvent on the room's — so every node applies it.
#include <spdlog/spdlog.h>

#include "hub/hub.hpp"
#include "metrics/metrics.hpp"
#include "protocol/encode.hpp"
#include "protocol/names.hpp"

namespace parley {
namespace {

constexpr std::size_t kMaxIdBytes = 128;

Status bad_room() { return Status::invalid("invalid room name: use [a-z0-9][a-z0-9_-]{0,63}"); }
Status bad_user() { return Status::invalid("invalid user name: use [a-z0-9_]{1,32}"); }

}  // namespace

void Hub::create_room(const std::string& room, RoomKind kind, Done<bool> done) {
  if (!valid_room_name(room)) return done(bad_room());
  if (reserved_room_name(room)) return done(Status::invalid("names starting with dm- belong to direct conversations"));
  store_.create_room(room, kind, "", [room, done = std::move(done)](Result<bool> r) {
    if (r.ok() && r.value) spdlog::info("api: room {} created", room);
    done(std::move(r));
  });
}

void Hub::open_direct(const std::string& a, const std::string& b, Done<RoomState> done) {
  if (!valid_user_name(a) || !valid_user_name(b)) return done(bad_user());
  if (a == b) return done(Status::invalid("a direct conversation needs two different users"));
  const std::string room = direct_room_name(a, b);
  store_.open_direct(room, a, b, options_.max_rooms_per_user, [this, a, b, done = std::move(done)](Result<RoomState> r) {
    if (!r.ok()) return done(r.status);
    // Both users' connections, on every node, learn about it (again, if it existed: as for a
    // repeated add-member).
    RoomState theirs{r.value.room, r.value.last_seq, 0, RoomKind::direct, Role::member, a};
    bus_.publish(UserEvent{a, UserEventKind::joined, r.value.room, encode::joined(r.value, {}, nullptr), "", 0});
    bus_.publish(UserEvent{b, UserEventKind::joined, r.value.room, encode::joined(theirs, {}, nullptr), "", 0});
    spdlog::info("api: direct room {} of {} and {}", r.value.room, a, b);
    done(std::move(r));
  });
}

void Hub::room(const std::string& room, Done<RoomState> done) {
  if (!valid_room_name(room)) return done(bad_room());
  store_.room(room, std::move(done));
}

void Hub::add_member(const std::string& room, const std::string& user, Done<RoomState> done) {
  if (!valid_room_name(room)) return done(bad_room());
  if (!valid_user_name(user)) return done(bad_user());
  store_.join(JoinRequest{room, user, options_.max_rooms_per_user, JoinMode::admin},
              [this, user, done = std::move(done)](Result<RoomState> j) {
    if (!j.ok()) return done(j.status);
    spdlog::info("api: {} added to {}", user, j.value.room);
    member_added(user, j.value, "", [done, state = j.value] { done(state); });
  });
}

void Hub::remove_member(const std::string& room, const std::string& user, Done<bool> done) {
  if (!valid_room_name(room)) return done(bad_room());
  if (!valid_user_name(user)) return done(bad_user());
  store_.leave(room, user, [this, room, user, done = std::move(done)](Result<bool> r) {
    if (!r.ok()) return done(r.status);
    spdlog::info("api: {} removed from {}", user, room);
    bus_.publish(UserEvent{user, UserEventKind::left, room, encode::left(room, nullptr, "removed"), "", 0});
    done(true);
  });
}

void Hub::publish(PublishRequest req, Done<Appended> done) {
  metrics_.messages_in.add();
  const int64_t received_us = wall_clock_us();
  if (!valid_room_name(req.room)) return done(bad_room());
  if (!req.user.empty() && !valid_user_name(req.user)) return done(bad_user());
  if (req.id.empty() || req.id.size() > kMaxIdBytes) return done(Status::invalid("id must be 1 to 128 bytes"));
  if (req.text.empty()) return done(Status::invalid("text must not be empty"));
  if (utf8_length(req.text) > options_.max_text_chars) {
    return done(Status::too_large("text is longer than " + std::to_string(options_.max_text_chars) + " characters"));
  }
  if (!req.user.empty()) {
    // As for a message command: a message ends its author's typing indicator.
    std::vector<RoomEvent> events;
    {
      std::lock_guard lock(mu_);
      clear_typing(req.room, req.user, events);
    }
    publish_all(events);
  }
  const bool system = req.user.empty();
  AppendRequest append{req.room, req.user, req.id, std::move(req.text), clock_.wall_ms(), /*require_member=*/!system};
  store_.append(std::move(append), [this, received_us, done = std::move(done)](Result<Appended> r) {
    if (!r.ok()) return done(r.status);
    const ChatMessage& m = r.value.message;
    // Fan out before answering, like the ack: once the backend has its answer, every member
    // at commit time has the message queued.
    if (!r.value.duplicate) {
      bus_.publish(RoomEvent{m.room, EventKind::message, {}, encode::message(m), m.seq, received_us});
    }
    done(std::move(r));
  });
}

void Hub::online(const std::string& room, Done<std::vector<std::string>> done) {
  if (!valid_room_name(room)) return done(bad_room());
  store_.room(room, [this, room, done = std::move(done)](Result<RoomState> r) {
    if (!r.ok()) return done(r.status);
    presence_.online_in(room, [done](std::vector<std::string> users) { done(std::move(users)); });
  });
}

void Hub::history(const std::string& room, HistoryQuery query, Done<MessagePage> done) {
  if (!valid_room_name(room)) return done(bad_room());
  if (query.after && query.before) return done(Status::invalid("give after or before, not both"));
  if ((query.after && *query.after < 0) || (query.before && *query.before < 1)) {
    return done(Status::invalid("after must be >= 0 and before >= 1"));
  }
  if (query.limit < 1) return done(Status::invalid("limit must be >= 1"));
  query.limit = std::min(query.limit, kMaxPageLimit);
  store_.room(room, [this, room, query, done = std::move(done)](Result<RoomState> r) {
    if (!r.ok()) return done(r.status);
    if (query.after) return store_.after(room, *query.after, query.limit, done);
    store_.before(room, query.before, query.limit, done);
  });
}

}  // namespace parley
