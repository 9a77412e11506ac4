#include "store/memory_store.hpp"

#include <algorithm>

namespace parley {

#define PARLEY_MEMORY_STORE_OPEN(done)                                       \
  std::unique_lock lock(mu_);                                                \
  if (closed_) {                                                             \
    lock.unlock();                                                           \
    return done(Status::unavailable("store is closed"));                     \
  }

void MemoryStore::append(AppendRequest req, Callback<Appended> done) {
  PARLEY_MEMORY_STORE_OPEN(done);
  if (auto d = dedup_.find({req.user, req.id}); d != dedup_.end()) {
    ChatMessage m = rooms_[d->second.first].messages[d->second.second - 1];
    lock.unlock();
    return done(Appended{std::move(m), true});
  }
  auto r = rooms_.find(req.room);
  if (r == rooms_.end()) {
    lock.unlock();
    return done(Status::not_found("no room " + req.room));
  }
  if (req.require_member && !r->second.readers.count(req.user)) {
    lock.unlock();
    return done(Status::forbidden(req.user + " is not a member of " + req.room));
  }
  int64_t seq = static_cast<int64_t>(r->second.messages.size()) + 1;
  ChatMessage m{req.room, seq, req.ts, req.user, req.id, req.text};
  r->second.messages.push_back(m);
  dedup_[{req.user, req.id}] = {req.room, seq};
  lock.unlock();
  done(Appended{std::move(m), false});
}

void MemoryStore::create_room(std::string room, Callback<bool> done) {
  PARLEY_MEMORY_STORE_OPEN(done);
  bool created = rooms_.try_emplace(room).second;
  lock.unlock();
  done(created);
}

void MemoryStore::room(std::string room, Callback<RoomState> done) {
  PARLEY_MEMORY_STORE_OPEN(done);
  auto r = rooms_.find(room);
  if (r == rooms_.end()) {
    lock.unlock();
    return done(Status::not_found("no room " + room));
  }
  RoomState s{room, static_cast<int64_t>(r->second.messages.size()), 0};
  lock.unlock();
  done(s);
}

void MemoryStore::ping(Callback<bool> done) {
  PARLEY_MEMORY_STORE_OPEN(done);
  lock.unlock();
  done(true);
}

void MemoryStore::join(std::string room, std::string user, int max_rooms, Callback<RoomState> done) {
  PARLEY_MEMORY_STORE_OPEN(done);
  auto& r = rooms_[room];
  int64_t last = static_cast<int64_t>(r.messages.size());
  if (auto it = r.readers.find(user); it != r.readers.end()) {
    RoomState s{room, last, it->second};
    lock.unlock();
    return done(s);
  }
  int n = 0;
  for (auto& [name, other] : rooms_) n += other.readers.count(user) ? 1 : 0;
  if (n >= max_rooms) {
    lock.unlock();
    return done(Status::limit_exceeded("a user may be in at most " + std::to_string(max_rooms) + " rooms"));
  }
  r.readers[user] = 0;
  lock.unlock();
  done(RoomState{room, last, 0});
}

void MemoryStore::leave(std::string room, std::string user, Callback<bool> done) {
  PARLEY_MEMORY_STORE_OPEN(done);
  auto r = rooms_.find(room);
  bool was = r != rooms_.end() && r->second.readers.erase(user) > 0;
  lock.unlock();
  if (!was) return done(Status::not_found("not a member of " + room));
  done(true);
}

void MemoryStore::set_read(std::string room, std::string user, int64_t seq, Callback<bool> done) {
  PARLEY_MEMORY_STORE_OPEN(done);
  auto r = rooms_.find(room);
  if (r == rooms_.end() || !r->second.readers.count(user)) {
    lock.unlock();
    return done(Status::not_found("not a member of " + room));
  }
  if (seq > static_cast<int64_t>(r->second.messages.size())) {
    lock.unlock();
    return done(Status::invalid("seq is past the room's last seq"));
  }
  int64_t& read = r->second.readers[user];
  bool moved = seq > read;
  if (moved) read = seq;
  lock.unlock();
  done(moved);
}

void MemoryStore::rooms_of(std::string user, Callback<std::vector<RoomState>> done) {
  PARLEY_MEMORY_STORE_OPEN(done);
  std::vector<RoomState> out;
  for (auto& [name, r] : rooms_) {
    if (auto it = r.readers.find(user); it != r.readers.end()) {
      out.push_back(RoomState{name, static_cast<int64_t>(r.messages.size()), it->second});
    }
  }
  lock.unlock();
  done(std::move(out));
}

void MemoryStore::after(std::string room, int64_t after, int limit, Callback<MessagePage> done) {
  PARLEY_MEMORY_STORE_OPEN(done);
  MessagePage page;
  if (auto r = rooms_.find(room); r != rooms_.end()) {
    auto& all = r->second.messages;
    auto first = static_cast<std::size_t>(std::min<int64_t>(after, static_cast<int64_t>(all.size())));
    std::size_t bytes = 0;
    for (auto i = first; i < all.size(); ++i) {
      if (page.messages.size() == static_cast<std::size_t>(limit) || (bytes >= kMaxPageTextBytes && !page.messages.empty())) {
        page.has_more = true;
        break;
      }
      page.messages.push_back(all[i]);
      bytes += all[i].text.size();
    }
  }
  lock.unlock();
  done(std::move(page));
}

void MemoryStore::before(std::string room, std::optional<int64_t> before, int limit,
                         Callback<MessagePage> done) {
  PARLEY_MEMORY_STORE_OPEN(done);
  MessagePage page;
  if (auto r = rooms_.find(room); r != rooms_.end()) {
    auto& all = r->second.messages;
    int64_t end = std::min<int64_t>(before.value_or(INT64_MAX) - 1, static_cast<int64_t>(all.size()));
    std::size_t bytes = 0;
    int64_t begin = end;
    while (begin > 0 && end - begin < limit && (bytes < kMaxPageTextBytes || begin == end)) {
      --begin;
      bytes += all[begin].text.size();
    }
    if (end > 0) page.messages.assign(all.begin() + begin, all.begin() + end);
    page.has_more = begin > 0;
  }
  lock.unlock();
  done(std::move(page));
}

void MemoryStore::create_user(std::string name, std::string password_hash, Callback<bool> done) {
  PARLEY_MEMORY_STORE_OPEN(done);
  bool created = users_.emplace(name, password_hash).second;
  lock.unlock();
  if (!created) return done(Status::conflict("user name taken"));
  done(true);
}

void MemoryStore::password_hash(std::string name, Callback<std::string> done) {
  PARLEY_MEMORY_STORE_OPEN(done);
  auto it = users_.find(name);
  if (it == users_.end()) {
    lock.unlock();
    return done(Status::not_found("no such user"));
  }
  std::string hash = it->second;
  lock.unlock();
  done(std::move(hash));
}

void MemoryStore::close() {
  std::lock_guard lock(mu_);
  closed_ = true;
}

}  // namespace parley
