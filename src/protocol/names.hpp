#pragma once
#include <cstddef>
#include <string_view>

namespace parley {

// Room names: [a-z0-9][a-z0-9_-]{0,63}.
bool valid_room_name(std::string_view name);

// User names: [a-z0-9_]{1,32}.
bool valid_user_name(std::string_view name);

// Number of Unicode code points in valid UTF-8 text (continuation bytes are not counted).
std::size_t utf8_length(std::string_view text);

}  // namespace parley
