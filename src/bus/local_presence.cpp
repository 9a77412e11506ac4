#include "bus/local_presence.hpp"

namespace parley {

void LocalPresence::node_online(const std::string& user, const std::vector<std::string>& rooms,
                                std::function<void(bool)> done) {
  {
    std::lock_guard lock(mu_);
    auto& mine = rooms_of_online_user_[user];
    for (auto& r : rooms) {
      mine.insert(r);
      online_in_room_[r].insert(user);
    }
  }
  done(true);
}

void LocalPresence::node_offline(const std::string& user, std::function<void(bool)> done) {
  {
    std::lock_guard lock(mu_);
    auto it = rooms_of_online_user_.find(user);
    if (it != rooms_of_online_user_.end()) {
      for (auto& r : it->second) {
        auto room = online_in_room_.find(r);
        if (room == online_in_room_.end()) continue;
        room->second.erase(user);
        if (room->second.empty()) online_in_room_.erase(room);
      }
      rooms_of_online_user_.erase(it);
    }
  }
  done(true);
}

void LocalPresence::room_joined(const std::string& user, const std::string& room, ChangedFn done) {
  bool changed = false;
  {
    std::lock_guard lock(mu_);
    auto it = rooms_of_online_user_.find(user);
    if (it != rooms_of_online_user_.end()) {
      it->second.insert(room);
      changed = online_in_room_[room].insert(user).second;
    }
  }
  if (done) done(changed);
}

void LocalPresence::room_left(const std::string& user, const std::string& room, ChangedFn done) {
  bool changed = false;
  {
    std::lock_guard lock(mu_);
    if (auto it = rooms_of_online_user_.find(user); it != rooms_of_online_user_.end()) it->second.erase(room);
    if (auto it = online_in_room_.find(room); it != online_in_room_.end()) {
      changed = it->second.erase(user) > 0;
      if (it->second.empty()) online_in_room_.erase(it);
    }
  }
  if (done) done(changed);
}

void LocalPresence::online_page(const std::string& room, const std::string& after, std::size_t limit,
                                std::function<void(OnlinePage)> done) {
  OnlinePage page;
  {
    std::lock_guard lock(mu_);
    if (auto it = online_in_room_.find(room); it != online_in_room_.end()) {
      const auto& users = it->second;
      page.count = users.size();
      for (auto u = after.empty() ? users.begin() : users.upper_bound(after); u != users.end() && page.users.size() < limit;
           ++u) {
        page.users.push_back(*u);
      }
    }
  }
  done(std::move(page));
}

void LocalPresence::is_online(const std::string& user, std::function<void(bool)> done) {
  bool online = false;
  {
    std::lock_guard lock(mu_);
    online = rooms_of_online_user_.count(user) > 0;
  }
  done(online);
}

}  // namespace parley
