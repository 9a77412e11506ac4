#include "hub/rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace parley {

double TokenBucket::level(int64_t now_ms) const {
  double elapsed = static_cast<double>(std::max<int64_t>(0, now_ms - last_ms_)) / 1000.0;
  return std::min(burst_, tokens_ + elapsed * rate_);
}

bool TokenBucket::take(int64_t now_ms) {
  tokens_ = level(now_ms);
  last_ms_ = std::max(last_ms_, now_ms);
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

int64_t TokenBucket::wait_ms(int64_t now_ms) const {
  const double missing = 1.0 - level(now_ms);
  if (missing <= 0 || rate_ <= 0) return missing <= 0 ? 0 : INT64_MAX;
  return static_cast<int64_t>(std::ceil(missing / rate_ * 1000.0));
}

bool TokenBucket::full(int64_t now_ms) const { return level(now_ms) >= burst_; }

}  // namespace parley
