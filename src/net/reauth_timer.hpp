#pragma once
// A connection's token lifetime (WebSocket and event stream alike): reauth_before_ms ahead of
// the token's expiry (at once when that moment has passed) the connection is asked for a
// fresh token; when none came within reauth_grace_ms it is closed with 4001. A fresh token
// re-arms the timer from its own expiry. Runs on the connection's executor; the callbacks
// hold the connection alive, so cancel() when it ends.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <algorithm>
#include <functional>
#include <memory>

#include "common/clock.hpp"
#include "config/options.hpp"

namespace parley {

class ReauthTimer {
 public:
  // `exp_ms`: when the connection's first token expires (wall clock).
  ReauthTimer(const boost::asio::any_io_executor& ex, const Options& options, const Clock& clock, int64_t exp_ms)
      : timer_(ex), options_(options), clock_(clock), exp_ms_(exp_ms) {}

  int64_t expires_ms() const { return exp_ms_; }
  // A fresh token expiring at `exp_ms` came: arm() again after this.
  void renew(int64_t exp_ms) {
    exp_ms_ = exp_ms;
    timer_.cancel();
  }

  // Arms the timer for the current token. `ask(exp_ms)` sends the `reauth` frame; `expire()`
  // closes the connection. Both run on the executor, and only while no fresher token came.
  void arm(std::function<void(int64_t)> ask, std::function<void()> expire) {
    const int64_t exp_ms = exp_ms_;
    const int64_t ask_at = exp_ms - options_.reauth_before_ms;
    timer_.expires_after(std::chrono::milliseconds(std::max<int64_t>(0, ask_at - clock_.wall_ms())));
    timer_.async_wait([this, exp_ms, ask = std::move(ask), expire = std::move(expire)](boost::system::error_code ec) mutable {
      if (ec || exp_ms != exp_ms_) return;
      ask(exp_ms);
      timer_.expires_after(std::chrono::milliseconds(options_.reauth_grace_ms));
      timer_.async_wait([this, exp_ms, expire = std::move(expire)](boost::system::error_code ec2) {
        if (ec2 || exp_ms != exp_ms_) return;
        expire();
      });
    });
  }
  void cancel() { timer_.cancel(); }

 private:
  boost::asio::steady_timer timer_;
  const Options& options_;
  const Clock& clock_;
  int64_t exp_ms_ = 0;
};

}  // namespace parley
