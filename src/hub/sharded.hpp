#pragma once
// A map split into shards by key hash, each behind its own mutex: operations on different
// keys rarely wait for each other. Callers lock a shard and use its map:
//   auto& s = registry.shard(key);
//   MutexLock lock(s.mu);
//   s.map[key] …
#include <array>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/mutex.hpp"

namespace parley {

template <class V, std::size_t N = 32>
class Sharded {
 public:
  struct Shard {
    mutable Mutex mu;
    std::unordered_map<std::string, V> map GUARDED_BY(mu);
  };

  Shard& shard(std::string_view key) { return shards_[index(key)]; }
  const Shard& shard(std::string_view key) const { return shards_[index(key)]; }
  std::array<Shard, N>& all() { return shards_; }
  const std::array<Shard, N>& all() const { return shards_; }
  static std::size_t index(std::string_view key) { return std::hash<std::string_view>{}(key) % N; }

 private:
  std::array<Shard, N> shards_;
};

}  // namespace parley
