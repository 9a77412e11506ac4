#pragma once
// Consistent hashing of keys (room or user names) over N instances: each instance owns 160
// points on a 64-bit ring (FNV-1a, stable across processes and builds), a key goes to the
// first point at or after its own hash. Adding an instance moves only ~1/N of the keys.
#include <cstdint>
#include <map>
#include <string_view>

namespace parley {

class HashRing {
 public:
  explicit HashRing(std::size_t instances);
  std::size_t instance_for(std::string_view key) const;

 private:
  std::map<uint64_t, std::size_t> points_;
};

uint64_t fnv1a64(std::string_view text);

}  // namespace parley
