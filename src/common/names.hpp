#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace parley {

// Room names: [a-z0-9][a-z0-9_-]{0,63}.
bool valid_room_name(std::string_view name);

// User names: [a-z0-9_]{1,32}.
bool valid_user_name(std::string_view name);

// Names of direct rooms: "dm-" and 32 hex digits. No other room may take such a name.
bool reserved_room_name(std::string_view name);
// The one direct room of users a and b (in either order).
std::string direct_room_name(std::string_view a, std::string_view b);

// Upload ids: 22 characters of [A-Za-z0-9_-] (128 random bits, base64url).
bool valid_upload_id(std::string_view id);
std::string new_upload_id();
// A file name as uploads keep it: its last path component, control characters replaced by
// '_', at most 255 bytes (cut at a character boundary); "file" when nothing is left.
std::string clean_file_name(std::string_view name);

// A Web Push subscription as browsers write it: an http(s) endpoint of at most 2,048 bytes,
// p256dh an uncompressed P-256 point (87 base64url characters), auth 16 bytes (22).
bool valid_push_keys(std::string_view endpoint, std::string_view p256dh, std::string_view auth);

// Number of Unicode code points in valid UTF-8 text (continuation bytes are not counted).
std::size_t utf8_length(std::string_view text);

}  // namespace parley
