#pragma once
// Time sources, injected wherever a timeout or a rate is decided (the hub's typing and rate
// limits, the sessions' ping-flood limit and token lifetimes), so tests can replace them.
#include <chrono>
#include <cstdint>
#include <functional>

namespace parley {

struct Clock {
  std::function<int64_t()> wall_ms;  // ms since the epoch: timestamps, token expiry
  std::function<int64_t()> mono_ms;  // ms of a steady clock: timeouts and rates

  static Clock system() {
    using namespace std::chrono;
    return Clock{[] { return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count(); },
                 [] { return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count(); }};
  }
};

}  // namespace parley
