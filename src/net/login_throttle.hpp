#pragma once
// Password guessing and sign-up floods (docs/operations.md → Login throttling). Per client
// address first: each address has a bucket of failed logins (`login_ip_burst`, refilled at
// `login_ip_per_min`) and one of registrations; an empty bucket answers 429 with Retry-After
// before any password is hashed. Per account, for guesses spread over many addresses: after
// `login_account_free` failures in a row each further attempt waits 1 s, doubling, at most
// `login_account_max_delay_ms`; a successful login resets the account. The cap is what keeps an
// attacker from locking the owner out: the owner waits at most that long for the next try, and
// from one address the attacker is stopped by the address limit long before the account's.
// Thread-safe; the maps are swept of settled entries so that their size stays bounded.
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "hub/rate_limiter.hpp"

namespace parley {

struct LoginThrottleOptions {
  double ip_burst = 5;            // failed logins an address may make at once
  double ip_per_min = 5;          // and then per minute
  int account_free = 10;          // failures in a row before an account's attempts are delayed
  int64_t account_base_delay_ms = 1000;
  int64_t account_max_delay_ms = 60000;
  double register_burst = 5;      // registrations an address may make at once
  double register_per_hour = 10;  // and then per hour
};

class LoginThrottle {
 public:
  explicit LoginThrottle(LoginThrottleOptions o) : o_(o) {}

  // 0: the login may be tried now; else how long (ms) the client must wait.
  int64_t login_wait_ms(const std::string& address, const std::string& user, int64_t now_ms);
  void failed(const std::string& address, const std::string& user, int64_t now_ms);
  void succeeded(const std::string& user);
  // Takes a registration from the address's bucket: 0 when taken, else the wait (ms).
  int64_t take_registration(const std::string& address, int64_t now_ms);

 private:
  struct Account {
    int failures = 0;
    int64_t next_ms = 0;  // no attempt before
  };
  void sweep(int64_t now_ms);  // with mu_ held
  const LoginThrottleOptions o_;
  std::mutex mu_;
  std::unordered_map<std::string, TokenBucket> failures_;       // by address
  std::unordered_map<std::string, TokenBucket> registrations_;  // by address
  std::unordered_map<std::string, Account> accounts_;
  int64_t swept_ms_ = 0;
};

}  // namespace parley
