#include "net/api_values.hpp"

#include <sodium.h>

#include <charconv>

namespace parley {

std::optional<int64_t> int_from_text(std::string_view s) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string random_api_id(std::string_view prefix) {
  unsigned char raw[16];
  randombytes_buf(raw, sizeof raw);
  char hex[sizeof raw * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
  return std::string(prefix) + hex;
}

}  // namespace parley
