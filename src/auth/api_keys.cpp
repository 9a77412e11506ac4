#include "auth/api_keys.hpp"

#include <sodium.h>

namespace parley {

ApiKeys::ApiKeys(const std::vector<std::string>& keys) {
  for (auto& k : keys) digests_.push_back(digest(k));
}

ApiKeys::Digest ApiKeys::digest(std::string_view key) {
  Digest d;
  crypto_generichash(d.data(), d.size(), reinterpret_cast<const unsigned char*>(key.data()), key.size(), nullptr, 0);
  return d;
}

bool ApiKeys::check(std::string_view presented) const {
  const Digest d = digest(presented);
  bool match = false;
  for (auto& k : digests_) match |= sodium_memcmp(d.data(), k.data(), d.size()) == 0;
  return match;
}

}  // namespace parley
