// MemoryStore: accounts (users, their standing, logged-out tokens, exports) and Web Push
// subscriptions.
#include <algorithm>

#include "memory_store.hpp"

namespace parley {

void MemoryStore::create_user(std::string name, std::string password_hash, Callback<bool> done) {
  run<bool>(done, [&]() -> Result<bool> {
    if (auto it = access_.find(name); it != access_.end() && it->second.deleted) {
      return Status::conflict("user name taken");
    }
    if (!users_.emplace(name, password_hash).second) return Status::conflict("user name taken");
    return true;
  });
}

void MemoryStore::password_hash(std::string name, Callback<std::string> done) {
  run<std::string>(done, [&]() -> Result<std::string> {
    auto it = users_.find(name);
    if (it == users_.end()) return Status::not_found("no such user");
    return it->second;
  });
}

void MemoryStore::access_of(std::string user, std::string token_id, Callback<UserAccess> done) {
  run<UserAccess>(done, [&]() -> Result<UserAccess> {
    auto it = access_.find(user);
    UserAccess a = it == access_.end() ? UserAccess{} : it->second;
    a.account = users_.count(user) > 0;
    a.token_revoked = !token_id.empty() && revoked_tokens_.count({user, token_id}) > 0;
    return a;
  });
}

void MemoryStore::revoke_token(std::string user, std::string token_id, int64_t, Callback<bool> done) {
  run<bool>(done, [&]() -> Result<bool> {
    revoked_tokens_.insert({user, token_id});
    return true;
  });
}

void MemoryStore::change_access(std::string user, AccessChange change, Callback<UserAccess> done) {
  run<UserAccess>(done, [&]() -> Result<UserAccess> {
    UserAccess& a = access_[user];
    if (a.deleted) return Status::not_found("no such user");
    if (change == AccessChange::revoke_tokens) ++a.token_version;
    else a.disabled = change == AccessChange::disable;
    UserAccess out = a;
    out.account = users_.count(user) > 0;
    return out;
  });
}

void MemoryStore::change_password(std::string user, std::string password_hash, Callback<UserAccess> done) {
  run<UserAccess>(done, [&]() -> Result<UserAccess> {
    UserAccess& a = access_[user];
    auto login = users_.find(user);
    if (a.deleted || login == users_.end()) return Status::not_found("no such user");
    login->second = password_hash;
    ++a.token_version;
    UserAccess out = a;
    out.account = true;
    return out;
  });
}

// Only the standing: the test doubles of the hub do not look at a deleted user's rooms.
void MemoryStore::delete_user(std::string user, DeletedUserMessages, Callback<UserAccess> done) {
  run<UserAccess>(done, [&]() -> Result<UserAccess> {
    UserAccess& a = access_[user];
    if (a.deleted) return Status::not_found("no such user");
    a.deleted = true;
    ++a.token_version;
    users_.erase(user);
    return a;
  });
}

void MemoryStore::save_push_subscription(std::string user, PushSubscription sub, Callback<bool> done) {
  run<bool>(done, [&]() -> Result<bool> {
    for (auto& [u, subs] : push_) std::erase_if(subs, [&](auto& s) { return s.endpoint == sub.endpoint; });
    auto& mine = push_[user];
    mine.push_back(std::move(sub));
    if (mine.size() > kMaxPushSubscriptions) mine.erase(mine.begin());
    return true;
  });
}

void MemoryStore::drop_push_subscription(std::string user, std::string endpoint, Callback<bool> done) {
  run<bool>(done, [&]() -> Result<bool> {
    for (auto& [u, subs] : push_) {
      if (user.empty() || u == user) std::erase_if(subs, [&](auto& s) { return s.endpoint == endpoint; });
    }
    return true;
  });
}

// Notify levels and blocks are the SQL stores' to check: here every push is allowed.
void MemoryStore::push_targets(std::string user, std::string, std::string, bool, Callback<PushTargets> done) {
  run<PushTargets>(done, [&]() -> Result<PushTargets> { return PushTargets{true, push_[user]}; });
}

void MemoryStore::user_messages(std::string user, std::string after_id, int limit,
                                Callback<std::vector<ChatMessage>> done) {
  run<std::vector<ChatMessage>>(done, [&]() -> Result<std::vector<ChatMessage>> {
    std::vector<ChatMessage> out;
    for (auto& [name, room] : rooms_) {
      for (auto& m : room.messages) {
        if (m.kind == EntryKind::message && !m.deleted && m.user == user && m.id > after_id) out.push_back(m);
      }
    }
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.id < b.id; });
    if (out.size() > static_cast<std::size_t>(limit)) out.resize(limit);
    return out;
  });
}

}  // namespace parley
