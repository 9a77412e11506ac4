#pragma once
// A token bucket: `rate` tokens per second up to `burst`. Not thread-safe; the hub guards it.
#include <cstdint>

namespace parley {

class TokenBucket {
 public:
  TokenBucket(double rate, double burst, int64_t now_ms) : rate_(rate), burst_(burst), tokens_(burst), last_ms_(now_ms) {}

  // Takes one token if available. Returns false (and takes nothing) when empty.
  bool take(int64_t now_ms);
  // Returns a token taken for something that turned out to cost nothing (a duplicate).
  void give_back() { tokens_ = tokens_ + 1.0 > burst_ ? burst_ : tokens_ + 1.0; }
  // How long until a token is there (0: one is there now).
  int64_t wait_ms(int64_t now_ms) const;
  // True when the bucket has refilled to `burst`: it can be forgotten without changing behaviour.
  bool full(int64_t now_ms) const;

 private:
  double level(int64_t now_ms) const;
  double rate_, burst_, tokens_;
  int64_t last_ms_;
};

}  // namespace parley
