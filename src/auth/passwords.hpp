#pragma once
// Argon2id password hashing (libsodium, interactive limits). Both calls are CPU- and
// memory-heavy by design (tens of milliseconds): never call them on an I/O thread.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace parley {

// The lengths a password may have (bytes), for registration and the server API alike.
inline constexpr std::size_t kMinPassword = 8;
inline constexpr std::size_t kMaxPassword = 1024;

// The encoded hash ($argon2id$...) to store, or nullopt if libsodium is out of memory.
std::optional<std::string> hash_password(std::string_view password);

// True when `password` matches the stored encoded hash.
bool verify_password(std::string_view password, const std::string& encoded_hash);

}  // namespace parley
