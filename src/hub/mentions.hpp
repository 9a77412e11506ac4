#pragma once
// Mentions in a message's text: `@name` for a user, `@room` for every member.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace parley {

struct Mentions {
  std::vector<std::string> users;  // sorted, without duplicates
  bool room = false;               // the text says @room
};

inline constexpr std::size_t kMaxMentions = 32;

// An `@` starts a mention when it begins the text or follows a character that is no part of
// a name, an address or a path (so mail@example.org is none); the name is the run of
// [a-z0-9_] after it (upper case read as lower), 1 to 32 characters, ended by the text's end
// or a character that is not a name character. `@room` is the room, never a user. At most
// kMaxMentions users are kept (the first ones by position).
Mentions parse_mentions(std::string_view text);

}  // namespace parley
