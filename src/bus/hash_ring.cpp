#include "bus/hash_ring.hpp"

#include <string>

namespace parley {

uint64_t fnv1a64(std::string_view text) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  // FNV-1a mixes the last bytes poorly; a final avalanche spreads near-identical names.
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

HashRing::HashRing(std::size_t instances) {
  constexpr int kPointsPerInstance = 160;
  for (std::size_t i = 0; i < instances; ++i) {
    for (int p = 0; p < kPointsPerInstance; ++p) {
      points_.emplace(fnv1a64("instance-" + std::to_string(i) + "-" + std::to_string(p)), i);
    }
  }
}

std::size_t HashRing::instance_for(std::string_view key) const {
  if (points_.empty()) return 0;
  auto it = points_.lower_bound(fnv1a64(key));
  return it == points_.end() ? points_.begin()->second : it->second;
}

}  // namespace parley
