#include "common/names.hpp"

#include <algorithm>
#include <cctype>

#include <sodium.h>

#include <string>

namespace parley {
namespace {
bool lower_or_digit(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
}  // namespace

bool valid_room_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || !lower_or_digit(name[0])) return false;
  for (char c : name.substr(1)) {
    if (!lower_or_digit(c) && c != '_' && c != '-') return false;
  }
  return true;
}

bool valid_user_name(std::string_view name) {
  if (name.empty() || name.size() > 32) return false;
  for (char c : name) {
    if (!lower_or_digit(c) && c != '_') return false;
  }
  return true;
}

bool reserved_room_name(std::string_view name) { return name.starts_with("dm-"); }

std::string direct_room_name(std::string_view a, std::string_view b) {
  if (b < a) std::swap(a, b);
  std::string pair = std::string(a) + '\n' + std::string(b);
  unsigned char hash[16];
  crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(pair.data()), pair.size(), nullptr, 0);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string name = "dm-";
  for (unsigned char byte : hash) {
    name += kHex[byte >> 4];
    name += kHex[byte & 15];
  }
  return name;
}

std::size_t utf8_length(std::string_view text) {
  std::size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

bool valid_upload_id(std::string_view id) {
  if (id.size() != 22) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  }
  return true;
}

std::string new_upload_id() {
  unsigned char bytes[16];
  randombytes_buf(bytes, sizeof bytes);
  char out[sodium_base64_ENCODED_LEN(16, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(out, sizeof out, bytes, sizeof bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return out;
}

std::string clean_file_name(std::string_view name) {
  if (auto slash = name.find_last_of("/\\"); slash != std::string_view::npos) name.remove_prefix(slash + 1);
  std::string out;
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    out += u < 0x20 || u == 0x7f ? '_' : c;
  }
  if (out.size() > 255) {
    std::size_t cut = 255;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xc0) == 0x80) --cut;  // not inside a character
    out.resize(cut);
  }
  if (out.empty() || out == "." || out == "..") return "file";
  return out;
}

bool valid_push_keys(std::string_view endpoint, std::string_view p256dh, std::string_view auth) {
  auto b64url = [](std::string_view s, std::size_t n) {
    return s.size() == n && std::all_of(s.begin(), s.end(), [](char c) {
             return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
           });
  };
  const bool url = (endpoint.starts_with("https://") || endpoint.starts_with("http://")) && endpoint.size() <= 2048 &&
                   std::none_of(endpoint.begin(), endpoint.end(), [](char c) { return c <= ' ' || c == 0x7f; });
  // 65 bytes starting 0x04 encode to 87 characters starting 'B'.
  return url && b64url(p256dh, 87) && p256dh.front() == 'B' && b64url(auth, 22);
}

}  // namespace parley
