// The checks the operations share: membership, the rules of an entry, and joins that are
// still in the store (the user's later operations on the room wait for them).
#include <spdlog/spdlog.h>

#include "common/names.hpp"
#include "hub/hub.hpp"
#include "hub/rules.hpp"
#include "metrics/metrics.hpp"

namespace parley {

Result<Membership> Hub::member_of(const Actor& a, const std::string& room) {
  if (!valid_room_name(room)) return hub_rules::bad_room();
  if (a.is_backend()) return hub_rules::users_only();
  auto& s = users_.users.shard(a.user);
  MutexLock lock(s.mu);
  auto u = s.map.find(a.user);
  const Membership* m = u == s.map.end() ? nullptr : u->second.member_of(room);
  if (!m) return hub_rules::not_member(room);
  return *m;
}

Status Hub::check_attachments(const std::vector<std::string>& ids) const {
  if (ids.size() > static_cast<std::size_t>(options_.max_attachments)) {
    return Status::invalid("a message carries at most " + std::to_string(options_.max_attachments) + " attachments");
  }
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (!valid_upload_id(ids[i])) return Status::invalid("attachment " + ids[i] + " is no upload id");
    for (std::size_t j = 0; j < i; ++j) {
      if (ids[j] == ids[i]) return Status::invalid("attachment " + ids[i] + " is given twice");
    }
  }
  return Status::ok();
}

Status Hub::check_post(const Actor& a, const Membership* m, PostRequest& req, int64_t now_ms) {
  if (req.id.empty() || req.id.size() > kMaxIdBytes) return Status::invalid("id must be 1 to 128 bytes");
  const bool has_text = req.kind == EntryKind::message || req.kind == EntryKind::edited;
  if (req.kind != EntryKind::message && (req.reply_to != 0 || !req.data.empty() || !req.attachments.empty())) {
    return Status::invalid("only a message can reply or carry data or attachments");
  }
  if (req.reply_to < 0) return Status::invalid("reply_to must be a seq >= 1");
  if (auto st = check_attachments(req.attachments); !st.is_ok()) return st;
  // A message may be data or files alone (a card, a location, a picture); anything else
  // needs its text or emoji.
  const bool text_optional = req.kind == EntryKind::deleted ||
                             (req.kind == EntryKind::message && (!req.data.empty() || !req.attachments.empty()));
  if (!text_optional && req.text.empty()) return Status::invalid("text must not be empty");
  if (req.data.size() > options_.max_data_bytes) {
    return Status::too_large("data is larger than " + std::to_string(options_.max_data_bytes) + " bytes");
  }
  if (m && req.kind != EntryKind::deleted && m->muted_until > now_ms) {
    return Status::muted("you are muted in " + req.room, m->muted_until);
  }
  // NUL is no character of a chat text, and PostgreSQL cannot store one: refused alike by
  // every store.
  if (req.text.find('\0') != std::string::npos) return Status::invalid("text must not contain NUL characters");
  if (has_text && utf8_length(req.text) > options_.max_text_chars) {
    return Status::too_large("text is longer than " + std::to_string(options_.max_text_chars) + " characters");
  }
  // A user's text, also when the backend posts it (a system message is the backend's own).
  const bool users_text = !a.is_backend() || !req.author.empty();
  if (has_text && users_text && options_.word_filter.apply(req.text) && options_.word_filter.reject()) {
    return Status::filtered("the text holds a word that is not allowed here");
  }
  if (!a.is_backend()) {
    auto& s = users_.buckets.shard(a.user);
    MutexLock lock(s.mu);
    const int64_t now = clock_.mono_ms();
    auto [bucket, _] = s.map.try_emplace(a.user, options_.rate_per_sec, options_.rate_burst, now);
    if (!bucket->second.take(now)) {
      return Status::rate_limited("too many messages; slow down", std::max<int64_t>(1, bucket->second.wait_ms(now)));
    }
  }
  // Slow mode counts messages only, not of moderators and owners (nor the backend's).
  if (m && !a.is_backend() && req.kind == EntryKind::message && m->slow_mode_s > 0 && m->role < Role::moderator) {
    if (int64_t wait = slow_mode_wait(a.user, req.room, req.id); wait > 0) {
      refund_rate(a.user);  // a refused message costs no token
      return Status::rate_limited("slow mode: one message every " + std::to_string(m->slow_mode_s) + " s in " + req.room,
                                  wait);
    }
  }
  return Status::ok();
}

int64_t Hub::slow_mode_wait(const std::string& user, const std::string& room, const std::string& id) {
  auto& s = users_.users.shard(user);
  MutexLock lock(s.mu);
  auto u = s.map.find(user);
  if (u == s.map.end()) return 0;
  auto it = u->second.rooms.find(room);
  if (it == u->second.rooms.end()) return 0;
  Membership& m = it->second;
  if (m.slow_mode_s <= 0 || id == m.last_post_id) return 0;  // a resend of the last message is no new one
  const int64_t now = clock_.mono_ms();
  const int64_t next = m.last_post_ms + m.slow_mode_s * 1000;
  if (!m.last_post_id.empty() && now < next) return next - now;
  m.last_post_ms = now;
  m.last_post_id = id;
  return 0;
}

bool Hub::defer_while_joining(const Actor& a, const std::string& room, std::function<void()> retry) {
  if (a.is_backend()) return false;
  auto& s = users_.users.shard(a.user);
  MutexLock lock(s.mu);
  auto u = s.map.find(a.user);
  if (u == s.map.end()) return false;
  auto m = u->second.rooms.find(room);
  if (m == u->second.rooms.end() || !m->second.pending) return false;
  u->second.deferred[room].push_back(std::move(retry));
  return true;
}

Status Hub::start_pending(const Actor& a, const std::string& room) {
  auto& s = users_.users.shard(a.user);
  MutexLock lock(s.mu);
  auto uit = s.map.find(a.user);
  if (uit == s.map.end()) return Status::unavailable("the connection is gone");
  auto& u = uit->second;
  if (u.rooms.count(room)) return Status::ok();
  if (u.rooms.size() >= static_cast<std::size_t>(options_.max_rooms_per_user)) {
    return Status::limit_exceeded("a user may be in at most " + std::to_string(options_.max_rooms_per_user) + " rooms");
  }
  u.rooms[room].pending = true;
  return Status::ok();
}

void Hub::admit(const Actor& a, const RoomState& state, Done<Joined> done) {
  const std::string& user = a.user;
  bool now_online = false;
  std::vector<std::function<void()>> waiting;
  {
    auto& s = users_.users.shard(user);
    MutexLock lock(s.mu);
    auto uit = s.map.find(user);
    if (uit != s.map.end()) {
      auto& u = uit->second;
      u.rooms[state.room] = Membership::of(state);
      // Everything up to last_seq is in the store: live delivery continues after it.
      if (u.online) now_online = add_online(state.room, user, u.conns, state.last_seq);
      if (auto d = u.deferred.find(state.room); d != u.deferred.end()) {
        waiting = std::move(d->second);
        u.deferred.erase(d);
      }
    }
  }
  if (now_online) {
    presence_.room_joined(user, state.room);
    announce_presence(user, {state.room}, true);
  }
  metrics_.joins.add();
  online_summary(state, user, [this, a, done = std::move(done), waiting = std::move(waiting)](Joined j) mutable {
    MembershipJoined told{j.state, j.online, j.online_count, j.by_count};
    done(std::move(j));
    emit(UserEvent{a.user, std::move(told), {}, a.conn, false});
    for (auto& fn : waiting) fn();
  });
}

void Hub::abandon_pending(const Actor& a, const std::string& room) {
  std::vector<std::function<void()>> waiting;
  {
    auto& s = users_.users.shard(a.user);
    MutexLock lock(s.mu);
    auto uit = s.map.find(a.user);
    if (uit == s.map.end()) return;
    auto& u = uit->second;
    if (auto m = u.rooms.find(room); m != u.rooms.end() && m->second.pending) u.rooms.erase(m);
    if (auto d = u.deferred.find(room); d != u.deferred.end()) {
      waiting = std::move(d->second);
      u.deferred.erase(d);
    }
  }
  for (auto& fn : waiting) fn();
}

}  // namespace parley
