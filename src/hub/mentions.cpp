#include "hub/mentions.hpp"

#include <algorithm>

namespace parley {
namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
bool name_char(char c) {
  c = lower(c);
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}
// Characters after which an @ belongs to something else: a word, an address, a path.
bool joins_previous(char c) { return name_char(c) || c == '.' || c == '@' || c == '/' || c == '-' || c == '+'; }

}  // namespace

Mentions parse_mentions(std::string_view text) {
  Mentions out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '@' || (i > 0 && joins_previous(text[i - 1]))) continue;
    std::size_t end = i + 1;
    while (end < text.size() && name_char(text[end])) ++end;
    const std::size_t len = end - i - 1;
    if (len == 0 || len > 32) continue;
    std::string name;
    for (std::size_t k = i + 1; k < end; ++k) name += lower(text[k]);
    if (name == "room") {
      out.room = true;
    } else if (out.users.size() < kMaxMentions && std::find(out.users.begin(), out.users.end(), name) == out.users.end()) {
      out.users.push_back(std::move(name));
    }
    i = end - 1;
  }
  std::sort(out.users.begin(), out.users.end());
  return out;
}

}  // namespace parley
