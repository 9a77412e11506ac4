#include "net/login_throttle.hpp"

#include <algorithm>

namespace parley {
namespace {

constexpr std::size_t kSweepAbove = 10000;  // entries in all maps before a sweep is considered
constexpr int64_t kSweepEveryMs = 10000;

TokenBucket& bucket(std::unordered_map<std::string, TokenBucket>& m, const std::string& key, double per_s, double burst,
                    int64_t now_ms) {
  return m.try_emplace(key, per_s, burst, now_ms).first->second;
}

}  // namespace

int64_t LoginThrottle::login_wait_ms(const std::string& address, const std::string& user, int64_t now_ms) {
  std::lock_guard lock(mu_);
  int64_t wait = 0;
  if (auto it = failures_.find(address); it != failures_.end()) wait = it->second.wait_ms(now_ms);
  if (auto it = accounts_.find(user); it != accounts_.end()) wait = std::max(wait, it->second.next_ms - now_ms);
  return std::max<int64_t>(0, wait);
}

void LoginThrottle::failed(const std::string& address, const std::string& user, int64_t now_ms) {
  std::lock_guard lock(mu_);
  sweep(now_ms);
  if (!address.empty()) bucket(failures_, address, o_.ip_per_min / 60.0, o_.ip_burst, now_ms).take(now_ms);
  Account& a = accounts_[user];
  ++a.failures;
  if (a.failures >= o_.account_free) {
    const int doublings = std::min(a.failures - o_.account_free, 30);
    const int64_t delay = std::min(o_.account_max_delay_ms, o_.account_base_delay_ms << std::min(doublings, 20));
    a.next_ms = now_ms + delay;
  }
}

void LoginThrottle::succeeded(const std::string& user) {
  std::lock_guard lock(mu_);
  accounts_.erase(user);
}

int64_t LoginThrottle::take_registration(const std::string& address, int64_t now_ms) {
  if (address.empty()) return 0;
  std::lock_guard lock(mu_);
  sweep(now_ms);
  TokenBucket& b = bucket(registrations_, address, o_.register_per_hour / 3600.0, o_.register_burst, now_ms);
  if (b.take(now_ms)) return 0;
  return std::max<int64_t>(1, b.wait_ms(now_ms));
}

void LoginThrottle::sweep(int64_t now_ms) {
  if (failures_.size() + registrations_.size() + accounts_.size() < kSweepAbove || now_ms - swept_ms_ < kSweepEveryMs) return;
  swept_ms_ = now_ms;
  // A full bucket or a settled account behaves as a missing one.
  for (auto* m : {&failures_, &registrations_}) std::erase_if(*m, [&](const auto& kv) { return kv.second.full(now_ms); });
  std::erase_if(accounts_, [&](const auto& kv) { return kv.second.next_ms + o_.account_max_delay_ms < now_ms; });
}

}  // namespace parley
