#include "memory_store.hpp"

#include <algorithm>

#include "store/rules.hpp"

namespace parley {

MemoryStore::MemoryStore() : worker_([this] { work(); }) {}

MemoryStore::~MemoryStore() { close(); }

void MemoryStore::work() {
  std::unique_lock lock(queue_mu_);
  for (;;) {
    queue_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything ran
    auto job = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    job();
    lock.lock();
  }
}

RoomState MemoryStore::state(const std::string& name, const Room& r, const std::string& user) const {
  const Member& m = r.members.at(user);
  RoomState s{name, static_cast<int64_t>(r.messages.size()), m.read_seq};
  s.kind = r.kind;
  s.role = m.role;
  s.muted_until = m.muted_until;
  s.notify = m.notify;
  s.mentions = unread_mentions(r, user);
  s.slow_mode_s = r.slow_mode_s;
  s.settings_version = r.settings_version;
  if (r.kind == RoomKind::direct) {
    for (auto& [other, _] : r.members) {
      if (other != user) s.peer = other;
    }
  }
  return s;
}

ChatMessage MemoryStore::view(const Room& r, std::size_t index) const {
  ChatMessage m = r.messages[index];
  if (auto it = r.reactions.find(m.seq); it != r.reactions.end()) {
    for (auto& [emoji, users] : it->second) {
      if (!users.empty()) m.reactions.push_back(Reaction{emoji, {users.begin(), users.end()}});
    }
  }
  return m;
}

int64_t MemoryStore::unread_mentions(const Room& r, const std::string& user) const {
  const Member& me = r.members.at(user);
  if (me.notify == NotifyLevel::none) return 0;
  auto blocked = blocks_.find(user);
  int64_t n = 0;
  for (auto i = static_cast<std::size_t>(me.read_seq); i < r.messages.size(); ++i) {
    const ChatMessage& m = r.messages[i];
    if (m.kind != EntryKind::message || m.deleted || m.user == user) continue;
    if (blocked != blocks_.end() && blocked->second.count(m.user)) continue;
    if (m.mention_room || std::binary_search(m.mentions.begin(), m.mentions.end(), user)) ++n;
  }
  return n;
}

int MemoryStore::rooms_count(const std::string& user) const {
  int n = 0;
  for (auto& [name, other] : rooms_) n += other.members.count(user) ? 1 : 0;
  return n;
}

void MemoryStore::append(AppendRequest req, Callback<Appended> done) {
  run<Appended>(done, [&]() -> Result<Appended> {
    if (auto d = dedup_.find({req.user, req.id}); d != dedup_.end()) {
      return Appended{rooms_[d->second.first].messages[d->second.second - 1], true};
    }
    auto r = rooms_.find(req.room);
    if (r == rooms_.end()) return Status::not_found("no room " + req.room);
    Room& room = r->second;
    if (req.require_member && !room.members.count(req.user)) {
      return Status::forbidden(req.user + " is not a member of " + req.room);
    }
    if (!req.peer.empty() && blocks_[req.peer].count(req.user)) {
      return Status::forbidden(req.peer + " does not accept your messages");
    }
    std::vector<Attachment> files;
    for (const auto& id : req.attachments) {
      auto u = uploads_.find(id);
      auto file = rules::attachable(req, id, u == uploads_.end() ? std::nullopt : std::optional<Upload>(u->second));
      if (!file.ok()) return file.status;
      files.push_back(file.value);
    }
    if (req.kind != EntryKind::message) {
      std::optional<rules::Target> target;
      if (req.target >= 1 && req.target <= static_cast<int64_t>(room.messages.size())) {
        auto& t = room.messages[req.target - 1];
        target = rules::Target{t.user, t.ts, t.kind, t.deleted};
      }
      if (auto s = rules::check_target(req, target); !s.is_ok()) return s;
      ChatMessage& t = room.messages[req.target - 1];
      switch (req.kind) {
        case EntryKind::edited:
          t.text = req.text;
          t.edited_ts = req.ts;
          break;
        case EntryKind::deleted:
          t.text.clear();
          t.deleted = true;
          for (auto& e : room.messages) {
            if (e.kind == EntryKind::edited && e.target == req.target) e.text.clear();
          }
          room.reactions.erase(req.target);
          room.pins.erase(req.target);
          t.attachments.clear();
          for (auto it = uploads_.begin(); it != uploads_.end();) {
            it = it->second.room == req.room && it->second.seq == req.target ? uploads_.erase(it) : std::next(it);
          }
          break;
        case EntryKind::reaction_add:
          room.reactions[req.target][req.text].insert(req.user);
          break;
        default:
          room.reactions[req.target][req.text].erase(req.user);
          break;
      }
    }
    int64_t root = 0;
    if (req.reply_to > 0) {
      std::optional<rules::Target> parent;
      if (req.reply_to <= static_cast<int64_t>(room.messages.size())) {
        auto& t = room.messages[req.reply_to - 1];
        parent = rules::Target{t.user, t.ts, t.kind, t.deleted, t.reply_to};
      }
      auto r = rules::thread_root(req, parent);
      if (!r.ok()) return r.status;
      root = r.value;
      room.messages[root - 1].reply_count++;
      room.messages[root - 1].last_reply_ts = req.ts;
    }
    int64_t seq = static_cast<int64_t>(room.messages.size()) + 1;
    ChatMessage m{req.room, seq, req.ts, req.user, req.id, req.text};
    m.kind = req.kind;
    m.target = req.target;
    m.reply_to = root;
    m.data = req.data;
    m.mentions = req.mentions;
    m.mention_room = req.mention_room;
    m.attachments = files;
    for (const auto& f : files) {
      uploads_[f.id].room = req.room;
      uploads_[f.id].seq = seq;
    }
    room.messages.push_back(m);
    dedup_[{req.user, req.id}] = {req.room, seq};
    return Appended{std::move(m), false};
  });
}

void MemoryStore::create_room(std::string room, RoomKind kind, std::string owner, Callback<bool> done) {
  run<bool>(done, [&]() -> Result<bool> {
    auto [it, created] = rooms_.try_emplace(room);
    if (!created) return false;
    it->second.kind = kind;
    if (!owner.empty()) it->second.members[owner].role = Role::owner;
    return true;
  });
}

void MemoryStore::room(std::string room, Callback<RoomState> done) {
  run<RoomState>(done, [&]() -> Result<RoomState> {
    auto r = rooms_.find(room);
    if (r == rooms_.end()) return Status::not_found("no room " + room);
    RoomState s{room, static_cast<int64_t>(r->second.messages.size()), 0};
    s.kind = r->second.kind;
    return s;
  });
}

void MemoryStore::create_upload(Upload upload, int64_t quota_bytes, Callback<bool> done) {
  run<bool>(done, [&]() -> Result<bool> {
    int64_t used = 0;
    for (auto& [id, u] : uploads_) used += u.owner == upload.owner ? u.file.size : 0;
    if (quota_bytes > 0 && used + upload.file.size > quota_bytes) return Status::limit_exceeded("upload quota used up");
    if (!uploads_.try_emplace(upload.file.id, upload).second) return Status::conflict("upload id taken");
    return true;
  });
}

void MemoryStore::upload(std::string id, Callback<Upload> done) {
  run<Upload>(done, [&]() -> Result<Upload> {
    auto it = uploads_.find(id);
    if (it == uploads_.end()) return Status::not_found("no upload " + id);
    return it->second;
  });
}

void MemoryStore::expire_uploads(int64_t unsent_before_ms, Callback<std::vector<std::string>> done) {
  run<std::vector<std::string>>(done, [&]() -> Result<std::vector<std::string>> {
    std::vector<std::string> ids;
    for (auto it = uploads_.begin(); it != uploads_.end();) {
      if (it->second.room.empty() && it->second.created_ms < unsent_before_ms) {
        ids.push_back(it->first);
        it = uploads_.erase(it);
      } else {
        ++it;
      }
    }
    return ids;
  });
}

void MemoryStore::ping(Callback<bool> done) {
  run<bool>(done, [] { return Result<bool>(true); });
}

void MemoryStore::join(JoinRequest req, Callback<RoomState> done) {
  run<RoomState>(done, [&]() -> Result<RoomState> {
    auto joined = [&]() -> Result<RoomState> {
      auto r = rooms_.find(req.room);
      if (r != rooms_.end() && r->second.members.count(req.user)) return state(req.room, r->second, req.user);
      rules::JoinFacts facts;
      if (r != rooms_.end()) {
        facts.room = r->second.kind;
        facts.banned = r->second.bans.count(req.user) > 0;
        if (auto a = r->second.members.find(req.actor); req.mode == JoinMode::invite && a != r->second.members.end()) {
          facts.actor_role = a->second.role;
        }
      }
      if (auto s = rules::check_join(req, facts); !s.is_ok()) return s;
      if (rooms_count(req.user) >= req.max_rooms) {
        return Status::limit_exceeded("a user may be in at most " + std::to_string(req.max_rooms) + " rooms");
      }
      Room& room = rooms_[req.room];
      room.members[req.user].role = facts.room ? Role::member : Role::owner;
      return state(req.room, room, req.user);
    }();
    if (joined.ok() && req.extras_limit > 0) joined.value.extras = extras_of(req.room, req.user, req.extras_limit);
    return joined;
  });
}

void MemoryStore::open_direct(std::string room, std::string a, std::string b, int max_rooms, int extras_limit,
                              Callback<RoomState> done) {
  run<RoomState>(done, [&]() -> Result<RoomState> {
    auto opened = [&]() -> Result<RoomState> {
      auto r = rooms_.find(room);
      if (r != rooms_.end() && r->second.members.count(a)) return state(room, r->second, a);
      if (blocks_[b].count(a)) return Status::forbidden(b + " does not accept your messages");
      if (rooms_count(a) >= max_rooms) {
        return Status::limit_exceeded("a user may be in at most " + std::to_string(max_rooms) + " rooms");
      }
      if (r != rooms_.end() && r->second.kind != RoomKind::direct) {
        return Status::conflict(room + " is not a direct conversation");
      }
      Room& d = rooms_[room];
      d.kind = RoomKind::direct;
      d.members[a];
      d.members[b];
      return state(room, d, a);
    }();
    if (opened.ok() && extras_limit > 0) opened.value.extras = extras_of(room, a, extras_limit);
    return opened;
  });
}

void MemoryStore::set_slow_mode(std::string room, std::string actor, int64_t seconds, Callback<RoomState> done) {
  run<RoomState>(done, [&]() -> Result<RoomState> {
    auto r = rooms_.find(room);
    if (r == rooms_.end()) return Status::not_found("no room " + room);
    std::optional<Role> role = actor.empty() ? std::optional<Role>(Role::owner) : std::nullopt;
    if (auto m = r->second.members.find(actor); !actor.empty() && m != r->second.members.end()) role = m->second.role;
    if (auto st = rules::check_slow_mode(r->second.kind, role, room); !st.is_ok()) return st;
    r->second.slow_mode_s = seconds;
    ++r->second.settings_version;
    RoomState s{room};
    s.kind = r->second.kind;
    s.slow_mode_s = seconds;
    s.settings_version = r->second.settings_version;
    return s;
  });
}

void MemoryStore::moderate(ModerationRequest req, Callback<ModerationResult> done) {
  run<ModerationResult>(done, [&]() -> Result<ModerationResult> {
    auto r = rooms_.find(req.room);
    rules::ModerationFacts facts;
    if (r != rooms_.end()) {
      facts.room = r->second.kind;
      if (auto a = r->second.members.find(req.actor); !req.actor.empty() && a != r->second.members.end()) {
        facts.actor_role = a->second.role;
      }
      if (auto t = r->second.members.find(req.target); t != r->second.members.end()) facts.target_role = t->second.role;
    }
    if (auto s = rules::check_moderation(req, facts); !s.is_ok()) return s;
    Room& room = r->second;
    ModerationResult result;
    result.was_member = facts.target_role.has_value();
    switch (req.action) {
      case ModerationAction::ban:
        room.bans.insert(req.target);
        room.members.erase(req.target);
        break;
      case ModerationAction::kick:
        room.members.erase(req.target);
        break;
      case ModerationAction::unban:
        room.bans.erase(req.target);
        break;
      case ModerationAction::mute:
        room.members[req.target].muted_until = req.muted_until;
        break;
      case ModerationAction::set_role:
        room.members[req.target].role = req.role;
        break;
    }
    return result;
  });
}

void MemoryStore::set_block(std::string user, std::string other, bool on, Callback<std::vector<std::string>> done) {
  run<std::vector<std::string>>(done, [&]() -> Result<std::vector<std::string>> {
    auto& set = blocks_[user];
    if (on) {
      set.insert(other);
    } else {
      set.erase(other);
    }
    return std::vector<std::string>(set.begin(), set.end());
  });
}

void MemoryStore::settings_of(std::string user, Callback<UserSettings> done) {
  run<UserSettings>(done, [&]() -> Result<UserSettings> {
    UserSettings out;
    auto& b = blocks_[user];
    out.blocked.assign(b.begin(), b.end());
    if (auto it = statuses_.find(user); it != statuses_.end()) out.status = it->second;
    return out;
  });
}

void MemoryStore::set_status(std::string user, UserStatus status, Callback<bool> done) {
  run<bool>(done, [&]() -> Result<bool> {
    if (status.is_default()) {
      statuses_.erase(user);
    } else {
      statuses_[user] = status;
    }
    return true;
  });
}

void MemoryStore::search(SearchQuery q, Callback<std::vector<ChatMessage>> done) {
  run<std::vector<ChatMessage>>(done, [&]() -> Result<std::vector<ChatMessage>> {
    std::vector<ChatMessage> out;
    auto words = rules::search_words(q.words);
    if (words.empty()) return out;
    auto lower = [](std::string s) {
      for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      return s;
    };
    for (auto& w : words) w = lower(w);
    for (auto& [name, room] : rooms_) {
      if (!room.members.count(q.user) || (!q.room.empty() && q.room != name)) continue;
      for (auto& m : room.messages) {
        if (m.kind != EntryKind::message || m.deleted) continue;
        auto have = rules::search_words(lower(m.text));
        bool all = std::all_of(words.begin(), words.end(),
                               [&](auto& w) { return std::find(have.begin(), have.end(), w) != have.end(); });
        if (all) out.push_back(m);
      }
    }
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.ts != b.ts ? a.ts > b.ts : a.seq > b.seq; });
    if (out.size() > static_cast<std::size_t>(q.limit)) out.resize(q.limit);
    return out;
  });
}

void MemoryStore::leave(std::string room, std::string user, Callback<bool> done) {
  run<bool>(done, [&]() -> Result<bool> {
    auto r = rooms_.find(room);
    if (r != rooms_.end() && r->second.kind == RoomKind::direct) {
      return Status::forbidden("nobody can leave a direct conversation");
    }
    if (r == rooms_.end() || r->second.members.erase(user) == 0) return Status::not_found("not a member of " + room);
    return true;
  });
}

void MemoryStore::set_read(std::string room, std::string user, int64_t seq, Callback<ReadResult> done) {
  run<ReadResult>(done, [&]() -> Result<ReadResult> {
    auto r = rooms_.find(room);
    if (r == rooms_.end() || !r->second.members.count(user)) return Status::not_found("not a member of " + room);
    if (seq > static_cast<int64_t>(r->second.messages.size())) return Status::invalid("seq is past the room's last seq");
    int64_t& read = r->second.members[user].read_seq;
    bool moved = seq > read;
    if (moved) read = seq;
    return ReadResult{moved, unread_mentions(r->second, user)};
  });
}

void MemoryStore::set_notify(std::string room, std::string user, NotifyLevel level, Callback<RoomState> done) {
  run<RoomState>(done, [&]() -> Result<RoomState> {
    auto r = rooms_.find(room);
    if (r == rooms_.end() || !r->second.members.count(user)) return Status::not_found("not a member of " + room);
    r->second.members[user].notify = level;
    return state(room, r->second, user);
  });
}

void MemoryStore::pin(PinRequest req, Callback<bool> done) {
  run<bool>(done, [&]() -> Result<bool> {
    auto r = rooms_.find(req.room);
    if (r == rooms_.end()) return Status::not_found("no room " + req.room);
    auto& pins = r->second.pins;
    if (!req.on) return pins.erase(req.seq) > 0;
    auto& all = r->second.messages;
    if (req.seq < 1 || req.seq > static_cast<int64_t>(all.size()) || all[req.seq - 1].kind != EntryKind::message ||
        all[req.seq - 1].deleted) {
      return Status::not_found("no message " + std::to_string(req.seq) + " in " + req.room);
    }
    if (pins.count(req.seq)) return false;
    if (static_cast<int>(pins.size()) >= req.max_pins) return Status::limit_exceeded("too many pinned messages");
    pins[req.seq] = Pin{req.seq, req.by, req.ts};
    return true;
  });
}

RoomExtras MemoryStore::extras_of(const std::string& room, const std::string& user, int reads_limit) const {
  RoomExtras out;
  auto r = rooms_.find(room);
  if (r == rooms_.end()) return out;
  for (auto& [seq, p] : r->second.pins) out.pins.push_back(p);
  std::sort(out.pins.begin(), out.pins.end(),
            [](const Pin& a, const Pin& b) { return a.ts != b.ts ? a.ts > b.ts : a.seq > b.seq; });
  for (auto& [name, m] : r->second.members) {
    if (name == user) continue;
    if (static_cast<int>(out.reads.size()) == reads_limit) break;
    out.reads.push_back(ReadPosition{name, m.read_seq});
  }
  for (auto& [name, m] : r->second.members) {
    auto st = statuses_.find(name);
    if (st == statuses_.end()) continue;
    if (static_cast<int>(out.statuses.size()) == reads_limit) break;
    out.statuses.push_back(MemberStatus{name, st->second});
  }
  return out;
}

void MemoryStore::reads(std::string room, std::string after, int limit, Callback<std::vector<ReadPosition>> done) {
  run<std::vector<ReadPosition>>(done, [&]() -> Result<std::vector<ReadPosition>> {
    std::vector<ReadPosition> out;
    auto r = rooms_.find(room);
    if (r == rooms_.end()) return out;
    for (auto it = r->second.members.upper_bound(after); it != r->second.members.end(); ++it) {
      if (static_cast<int>(out.size()) == limit) break;
      out.push_back(ReadPosition{it->first, it->second.read_seq, it->second.role});
    }
    return out;
  });
}

void MemoryStore::list_rooms(std::string after, int limit, int64_t since_ms, Callback<std::vector<RoomSummary>> done) {
  run<std::vector<RoomSummary>>(done, [&]() -> Result<std::vector<RoomSummary>> {
    std::vector<RoomSummary> out;
    for (auto it = rooms_.upper_bound(after); it != rooms_.end() && static_cast<int>(out.size()) < limit; ++it) {
      const Room& r = it->second;
      RoomSummary s{it->first, r.kind, static_cast<int64_t>(r.messages.size()), static_cast<int64_t>(r.members.size())};
      const std::size_t scanned = std::min<std::size_t>(r.messages.size(), kRecentEntriesScanned);
      for (std::size_t i = r.messages.size() - scanned; i < r.messages.size(); ++i) {
        const auto& m = r.messages[i];
        if (m.kind == EntryKind::message && m.ts >= since_ms) ++s.recent_messages;
      }
      s.slow_mode_s = r.slow_mode_s;
      out.push_back(std::move(s));
    }
    return out;
  });
}

void MemoryStore::thread(std::string room, int64_t root, std::optional<int64_t> after, std::optional<int64_t> before,
                         int limit, Callback<MessagePage> done) {
  run<MessagePage>(done, [&]() -> Result<MessagePage> {
    auto r = rooms_.find(room);
    if (r == rooms_.end() || root < 1 || root > static_cast<int64_t>(r->second.messages.size()) ||
        r->second.messages[root - 1].kind != EntryKind::message || r->second.messages[root - 1].reply_to > 0) {
      return Status::not_found("no thread " + std::to_string(root) + " in " + room);
    }
    std::vector<std::size_t> replies;
    for (std::size_t i = 0; i < r->second.messages.size(); ++i) {
      const ChatMessage& m = r->second.messages[i];
      if (m.reply_to != root) continue;
      if ((after && m.seq <= *after) || (!after && m.seq >= before.value_or(INT64_MAX))) continue;
      replies.push_back(i);
    }
    MessagePage page;
    std::size_t from = 0, to = replies.size();
    if (replies.size() > static_cast<std::size_t>(limit)) {
      page.has_more = true;
      if (after) {
        to = static_cast<std::size_t>(limit);
      } else {
        from = replies.size() - static_cast<std::size_t>(limit);
      }
    }
    for (std::size_t k = from; k < to; ++k) page.messages.push_back(view(r->second, replies[k]));
    return page;
  });
}

void MemoryStore::rooms_of(std::string user, Callback<std::vector<RoomState>> done) {
  run<std::vector<RoomState>>(done, [&]() -> Result<std::vector<RoomState>> {
    std::vector<RoomState> out;
    for (auto& [name, r] : rooms_) {
      if (r.members.count(user)) out.push_back(state(name, r, user));
    }
    return out;
  });
}

void MemoryStore::after(std::string room, int64_t after, int limit, Callback<MessagePage> done) {
  run<MessagePage>(done, [&]() -> Result<MessagePage> {
    MessagePage page;
    auto r = rooms_.find(room);
    if (r == rooms_.end()) return page;
    auto& all = r->second.messages;
    auto first = static_cast<std::size_t>(std::min<int64_t>(after, static_cast<int64_t>(all.size())));
    std::size_t bytes = 0;
    for (auto i = first; i < all.size(); ++i) {
      if (page.messages.size() == static_cast<std::size_t>(limit) || (bytes >= kMaxPageTextBytes && !page.messages.empty())) {
        page.has_more = true;
        break;
      }
      page.messages.push_back(view(r->second, i));
      bytes += all[i].text.size();
    }
    return page;
  });
}

void MemoryStore::before(std::string room, std::optional<int64_t> before, int limit,
                         Callback<MessagePage> done) {
  run<MessagePage>(done, [&]() -> Result<MessagePage> {
    MessagePage page;
    auto r = rooms_.find(room);
    if (r == rooms_.end()) return page;
    auto& all = r->second.messages;
    int64_t end = std::min<int64_t>(before.value_or(INT64_MAX) - 1, static_cast<int64_t>(all.size()));
    std::size_t bytes = 0;
    int64_t begin = end;
    while (begin > 0 && end - begin < limit && (bytes < kMaxPageTextBytes || begin == end)) {
      --begin;
      bytes += all[begin].text.size();
    }
    for (int64_t i = begin; i < end; ++i) page.messages.push_back(view(r->second, static_cast<std::size_t>(i)));
    page.has_more = begin > 0;
    return page;
  });
}

void MemoryStore::close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  {
    std::lock_guard lock(queue_mu_);
    stopping_ = true;
    queue_cv_.notify_one();
  }
  if (worker_.joinable() && worker_.get_id() != std::this_thread::get_id()) worker_.join();
}

}  // namespace parley
