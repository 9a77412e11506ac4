#pragma once
// Presence for a single node: every connection is local, so the first connection here is the
// first anywhere. Callbacks run before the call returns.
#include <map>
#include <mutex>
#include <set>

#include "bus/presence.hpp"

namespace parley {

class LocalPresence final : public Presence {
 public:
  void node_online(const std::string& user, const std::vector<std::string>& rooms,
                   std::function<void(bool)> done) override;
  void node_offline(const std::string& user, std::function<void(bool)> done) override;
  void room_joined(const std::string& user, const std::string& room, ChangedFn done = {}) override;
  void room_left(const std::string& user, const std::string& room, ChangedFn done = {}) override;
  void online_page(const std::string& room, const std::string& after, std::size_t limit,
                   std::function<void(OnlinePage)> done) override;
  void is_online(const std::string& user, std::function<void(bool)> done) override;
  // No other node can stop behind this one's back: nobody ever expires.
  void on_expired(ExpiredFn) override {}

 private:
  std::mutex mu_;  // guards both maps
  std::map<std::string, std::set<std::string>> rooms_of_online_user_;
  std::map<std::string, std::set<std::string>> online_in_room_;
};

}  // namespace parley
