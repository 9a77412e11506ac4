// Messages and what reads them: entries (message, edit, deletion, reaction), typing, read
// positions, history and search.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "common/hooks.hpp"
#include "common/names.hpp"
#include "common/push.hpp"
#include "hub/hub.hpp"
#include "hub/mentions.hpp"
#include "hub/rules.hpp"
#include "metrics/metrics.hpp"

namespace parley {
namespace {
constexpr int64_t kTypingRefreshMinMs = 1000;
}  // namespace

void Hub::post(const Actor& a, PostRequest req, Done<Appended> done) {
  metrics_.messages_in.add();
  const int64_t received_us = wall_clock_us();
  if (!valid_room_name(req.room)) return done(hub_rules::bad_room());
  if (!a.is_backend()) {
    if (defer_while_joining(a, req.room, [this, a, req, done] { post(a, req, done); })) return;
    auto m = member_of(a, req.room);
    if (!m.ok()) return done(m.status);
    req.author = a.user;
    return post_checked(a, std::move(req), m.value, received_us, std::move(done));
  }
  if (req.author.empty()) return post_checked(a, std::move(req), std::nullopt, received_us, std::move(done));
  if (!valid_user_name(req.author)) return done(hub_rules::bad_user());
  // The backend posts for a user who need not be connected here: their membership (role,
  // mute, the other side of a direct room) comes from the store.
  const std::string author = req.author, room = req.room;
  store_.rooms_of(author, on_lane<std::vector<RoomState>>(room, [this, a, req = std::move(req), received_us, done](
                                                                    Result<std::vector<RoomState>> r) mutable {
    if (!r.ok()) return done(r.status);
    auto it = std::find_if(r.value.begin(), r.value.end(), [&](const RoomState& s) { return s.room == req.room; });
    // Not a member (or no such room): the write refuses it (require_member), with the
    // store's word for which.
    std::optional<Membership> m;
    if (it != r.value.end()) m = Membership::of(*it);
    post_checked(a, std::move(req), m, received_us, std::move(done));
  }));
}

void Hub::post_checked(const Actor& a, PostRequest req, std::optional<Membership> m, int64_t received_us,
                       Done<Appended> done) {
  const int64_t ts = clock_.wall_ms();
  if (auto st = check_post(a, m ? &*m : nullptr, req, ts); !st.is_ok()) return done(st);
  // A user's message or edit goes past the application's publish hook, when there is one,
  // after parley's own rules: it allows, rejects or rewrites the text.
  Hooks* hooks = options_.hooks;
  if (hooks && hooks->has_publish() && !a.is_backend() &&
      (req.kind == EntryKind::message || req.kind == EntryKind::edited)) {
    PublishAttempt p{req.room, req.author, req.id, req.kind, req.target, req.reply_to, req.text, req.data, req.attachments};
    const std::string room = req.room;
    hooks->before_publish(std::move(p), on_lane<PublishVerdict>(room, [this, a, req = std::move(req), m, received_us,
                                                                        ts, done](Result<PublishVerdict> v) mutable {
      if (!v.ok()) return done(v.status);
      if (v.value.action == PublishVerdict::Action::reject) return done(Status::rejected(v.value.reason));
      if (v.value.action == PublishVerdict::Action::replace) {
        if (utf8_length(v.value.text) > options_.max_text_chars) {
          return done(Status::busy("the application's text for this message is too long; send it again", 1000));
        }
        req.text = std::move(v.value.text);
      }
      store_post(a, std::move(req), m, received_us, ts, done);
    }));
    return;
  }
  store_post(a, std::move(req), m, received_us, ts, std::move(done));
}

void Hub::store_post(const Actor& a, PostRequest req, const std::optional<Membership>& m, int64_t received_us,
                     int64_t ts, Done<Appended> done) {
  // A message ends its author's typing indicator.
  if (req.kind == EntryKind::message && !req.author.empty()) set_typing(req.room, req.author, false);
  AppendRequest append;
  append.room = req.room;
  append.user = req.author;
  append.id = req.id;
  append.text = std::move(req.text);
  append.ts = ts;
  append.require_member = a.is_backend() && !req.author.empty();  // checked again inside the write
  append.kind = req.kind;
  append.target = req.target;
  append.reply_to = req.reply_to;
  append.data = std::move(req.data);
  append.attachments = std::move(req.attachments);
  if (m) {
    if (m->kind == RoomKind::direct) append.peer = m->peer;
    append.moderator = m->role >= Role::moderator;
  }
  // The backend's own entries (no author): it may delete any message, as a moderator.
  if (a.is_backend() && req.author.empty()) append.moderator = true;
  if (append.kind == EntryKind::message) {
    Mentions found = parse_mentions(append.text);
    append.mentions = std::move(found.users);
    // @room alerts everyone: moderators, owners and the backend (system messages included).
    append.mention_room = found.room && (a.is_backend() || append.moderator);
  }
  append.edit_window_ms = options_.edit_window_ms;
  const std::string room = append.room;
  const std::string peer = m && m->kind == RoomKind::direct ? m->peer : std::string();
  store_.append(std::move(append), on_lane<Appended>(room, [this, a, received_us, peer, done](Result<Appended> r) {
    if (!r.ok()) return done(r.status);
    auto answer = [this, a, done, r] {
      if (!a.is_backend()) metrics_.acks.add();
      done(r);
    };
    if (r.value.duplicate) {
      // A resend answered from the dedup: it costs the sender no message of their rate.
      if (!a.is_backend()) refund_rate(a.user);
      return answer();
    }
    if (options_.push && r.value.message.kind == EntryKind::message) push_offline(r.value.message, peer);
    // The ack (or the backend's answer) goes once this node's members have the entry queued.
    emit(RoomEvent{r.value.message.room, MessageStored{r.value.message, received_us}, {}}, answer);
  }));
}

void Hub::push_offline(const ChatMessage& message, const std::string& peer) {
  std::set<std::string> told;
  if (!peer.empty()) told.insert(peer);
  told.insert(message.mentions.begin(), message.mentions.end());
  told.erase(message.user);
  for (const auto& user : told) {
    PushNote note{user, message.room, message.seq, message.ts, message.user, message.text, user == peer,
                  std::binary_search(message.mentions.begin(), message.mentions.end(), user)};
    presence_.is_online(user, [push = options_.push, note = std::move(note)](bool online) mutable {
      if (!online) push->notify(std::move(note));
    });
  }
}

void Hub::typing(const Actor& a, std::string room, bool active, Done<Ok> done) {
  if (defer_while_joining(a, room, [this, a, room, active, done] { typing(a, room, active, done); })) return;
  if (auto m = member_of(a, room); !m.ok()) return done(m.status);
  // Each change fans out to every member: a flood is cut per user and room. Refreshing an
  // ongoing indicator (the SDK does every 3 s) changes nothing others see and is free.
  if (typing_changes(room, a.user, active)) {
    auto& s = users_.typing_buckets.shard(a.user);
    MutexLock lock(s.mu);
    const int64_t now = clock_.mono_ms();
    auto [bucket, _] = s.map.try_emplace(a.user + ' ' + room, options_.typing_rate_per_sec, options_.typing_burst, now);
    if (!bucket->second.take(now)) {
      return done(Status::rate_limited("too many typing changes; slow down", std::max<int64_t>(1, bucket->second.wait_ms(now))));
    }
  }
  set_typing(room, a.user, active);
  done(Ok{});
}

bool Hub::typing_changes(const std::string& room, const std::string& user, bool active) {
  std::shared_ptr<LocalRoom> local = rooms_.find(room);
  if (!local) return true;
  MutexLock lock(local->mu);
  return local->typing.count(user) != static_cast<std::size_t>(active);
}

void Hub::refund_rate(const std::string& user) {
  auto& s = users_.buckets.shard(user);
  MutexLock lock(s.mu);
  if (auto it = s.map.find(user); it != s.map.end()) it->second.give_back();
}

void Hub::set_typing(const std::string& room, const std::string& user, bool active) {
  std::shared_ptr<LocalRoom> local = rooms_.find(room);
  if (!local) return;
  bool changed = true;
  {
    MutexLock lock(local->mu);
    if (active) {
      const int64_t now = clock_.mono_ms();
      local->typing[user] = now + options_.typing_timeout_ms;
      // A refresh within a second of the last one told restarts the timeout here without
      // telling anyone: refreshes, which the rate does not count, then fan out at most once
      // a second per user and room.
      auto [told, started] = local->typing_told.try_emplace(user, now);
      if (!started && now - told->second < kTypingRefreshMinMs) return;
      told->second = now;
    } else {
      local->typing_told.erase(user);
      changed = local->typing.erase(user) > 0;
    }
  }
  if (changed) emit(RoomEvent{room, TypingChanged{user, active}, {}});
}

void Hub::read(const Actor& a, std::string room, int64_t seq, Done<Ok> done) {
  if (defer_while_joining(a, room, [this, a, room, seq, done] { read(a, room, seq, done); })) return;
  if (auto m = member_of(a, room); !m.ok()) return done(m.status);
  store_.set_read(room, a.user, seq, on_lane<ReadResult>(room, [this, a, room, seq, done](Result<ReadResult> r) {
    if (r.status.code() == Status::Code::not_found) return done(hub_rules::not_member(room));
    if (!r.ok()) return done(r.status);
    if (r.value.moved) {
      emit(RoomEvent{room, ReadMoved{a.user, seq}, {}});
      // Every device of the reader learns the unread mentions left.
      emit(UserEvent{a.user, MentionsChanged{room, r.value.mentions}, {}, 0, false});
    }
    done(Ok{});
  }));
}

void Hub::thread(const Actor& a, ThreadQuery query, Done<MessagePage> done) {
  const std::string room = query.room;
  if (!valid_room_name(room)) return done(hub_rules::bad_room());
  HistoryQuery& page = query.page;
  if (query.root < 1) return done(Status::invalid("seq must be >= 1"));
  if (page.after && page.before) return done(Status::invalid("give after or before, not both"));
  if ((page.after && *page.after < 0) || (page.before && *page.before < 1)) {
    return done(Status::invalid("after must be >= 0 and before >= 1"));
  }
  if (page.limit < 1) return done(Status::invalid("limit must be >= 1"));
  page.limit = std::min(page.limit, kMaxPage);
  auto fetch = [this, query, done] {
    store_.thread(query.room, query.root, query.page.after, query.page.before, query.page.limit,
                  on_lane<MessagePage>(query.room, [done](Result<MessagePage> r) { done(std::move(r)); }));
  };
  if (a.is_backend()) return fetch();
  if (defer_while_joining(a, room, [this, a, query, done] { thread(a, query, done); })) return;
  if (auto m = member_of(a, room); !m.ok()) return done(m.status);
  fetch();
}

void Hub::set_notify(const Actor& a, std::string room, NotifyLevel level, Done<RoomState> done) {
  if (defer_while_joining(a, room, [this, a, room, level, done] { set_notify(a, room, level, done); })) return;
  if (auto m = member_of(a, room); !m.ok()) return done(m.status);
  store_.set_notify(room, a.user, level, on_lane<RoomState>(room, [this, a, room, done](Result<RoomState> r) {
    if (r.status.code() == Status::Code::not_found) return done(hub_rules::not_member(room));
    if (!r.ok()) return done(r.status);
    done(r.value);
    emit(UserEvent{a.user, NotifyChanged{room, r.value.notify, r.value.mentions}, {}, a.conn, false});
  }));
}

void Hub::history(const Actor& a, std::string room, HistoryQuery query, Done<MessagePage> done) {
  if (!valid_room_name(room)) return done(hub_rules::bad_room());
  if (query.after && query.before) return done(Status::invalid("give after or before, not both"));
  if ((query.after && *query.after < 0) || (query.before && *query.before < 1)) {
    return done(Status::invalid("after must be >= 0 and before >= 1"));
  }
  if (query.limit < 1) return done(Status::invalid("limit must be >= 1"));
  query.limit = std::min(query.limit, kMaxPage);
  auto fetch = [this, room, query, done] {
    auto page = on_lane<MessagePage>(room, [done](Result<MessagePage> r) { done(std::move(r)); });
    if (query.after) return store_.after(room, *query.after, query.limit, page);
    store_.before(room, query.before, query.limit, page);
  };
  if (a.is_backend()) {
    // The room must exist: an empty page would not tell.
    return store_.room(room, on_lane<RoomState>(room, [fetch, done](Result<RoomState> r) {
      if (!r.ok()) return done(r.status);
      fetch();
    }));
  }
  if (defer_while_joining(a, room, [this, a, room, query, done] { history(a, room, query, done); })) return;
  if (query.after) metrics_.resumes.add();
  if (auto m = member_of(a, room); !m.ok()) return done(m.status);
  fetch();
}

void Hub::search(const Actor& a, SearchQuery query, Done<std::vector<ChatMessage>> done) {
  if (a.is_backend()) {
    // The backend searches what one user can see: that user's rooms (the store checks).
    if (!valid_user_name(query.user)) return done(hub_rules::bad_user());
    if (!query.room.empty() && !valid_room_name(query.room)) return done(hub_rules::bad_room());
  } else {
    if (!query.room.empty()) {
      if (defer_while_joining(a, query.room, [this, a, query, done] { search(a, query, done); })) return;
      if (auto m = member_of(a, query.room); !m.ok()) return done(m.status);
    }
    query.user = a.user;
  }
  const std::string key = query.room.empty() ? query.user : query.room;
  store_.search(std::move(query), on_lane<std::vector<ChatMessage>>(key, [done](Result<std::vector<ChatMessage>> r) {
    done(std::move(r));
  }));
}

void Hub::user_rooms(const Actor& a, std::string user, Done<std::vector<RoomState>> done) {
  if (!a.is_backend()) return done(Status::forbidden("only the backend can list a user's rooms"));
  if (!valid_user_name(user)) return done(hub_rules::bad_user());
  const std::string key = user;
  store_.rooms_of(std::move(user), on_lane<std::vector<RoomState>>(key, [done](Result<std::vector<RoomState>> r) {
    done(std::move(r));
  }));
}

}  // namespace parley

namespace parley {

void Hub::pin(const Actor& a, std::string room, int64_t seq, bool on, Done<Ok> done) {
  if (!valid_room_name(room)) return done(hub_rules::bad_room());
  if (seq < 1) return done(Status::invalid("seq must be >= 1"));
  if (!a.is_backend()) {
    if (defer_while_joining(a, room, [this, a, room, seq, on, done] { pin(a, room, seq, on, done); })) return;
    auto m = member_of(a, room);
    if (!m.ok()) return done(m.status);
    if (m.value.kind != RoomKind::direct && m.value.role < Role::moderator) {
      return done(Status::forbidden("only an owner or moderator can pin messages in " + room));
    }
  }
  PinRequest req{room, seq, a.is_backend() ? std::string() : a.user, on, clock_.wall_ms()};
  const PinChanged change{seq, on, req.by, req.ts};
  store_.pin(std::move(req), on_lane<bool>(room, [this, room, change, done](Result<bool> r) {
    if (!r.ok()) return done(r.status);
    if (r.value) emit(RoomEvent{room, change, {}});
    done(Ok{});
  }));
}

void Hub::reads(const Actor& a, ReadsQuery q, Done<ReadsPage> done) {
  if (!valid_room_name(q.room)) return done(hub_rules::bad_room());
  if (!a.is_backend()) {
    if (defer_while_joining(a, q.room, [this, a, q, done] { reads(a, q, done); })) return;
    if (auto m = member_of(a, q.room); !m.ok()) return done(m.status);
  }
  const int limit = std::max(q.limit, 1);
  store_.reads(q.room, q.after, limit + 1, on_lane<std::vector<ReadPosition>>(q.room, [limit, done](
                                                                                  Result<std::vector<ReadPosition>> r) {
    if (!r.ok()) return done(r.status);
    ReadsPage page{std::move(r.value), {}};
    if (static_cast<int>(page.reads.size()) > limit) {
      page.reads.resize(static_cast<std::size_t>(limit));
      page.next = page.reads.back().user;
    }
    done(std::move(page));
  }));
}

}  // namespace parley
