#pragma once
// The keys of the server API (option api_keys): the application backend presents one in the
// X-Parley-Api-Key header. Immutable after construction; thread-safe.
//
// Checking a key costs the same whatever it is: the presented key and every configured key
// are compared as BLAKE2b digests with sodium_memcmp (constant time, and no early exit on a
// length difference), and every configured key is compared, also after a match.
#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace parley {

class ApiKeys {
 public:
  // The shortest key accepted in the configuration.
  static constexpr std::size_t kMinLength = 16;

  explicit ApiKeys(const std::vector<std::string>& keys);

  // No key configured: the server API is off.
  bool empty() const { return digests_.empty(); }
  // True when `presented` is one of the keys.
  bool check(std::string_view presented) const;

 private:
  using Digest = std::array<unsigned char, 32>;
  static Digest digest(std::string_view key);
  std::vector<Digest> digests_;
};

}  // namespace parley
