#pragma once
// Who performs an operation: a user through one of their connections, or the application
// backend through the server API. Rules that treat the two differently say so where they are
// applied (hub/rules.hpp lists every such difference; docs/api.md documents them).
#include <cstdint>
#include <string>

namespace parley {

struct Actor {
  enum class Kind : uint8_t { user, backend };
  Kind kind = Kind::user;
  std::string user;   // Kind::user: who; Kind::backend: empty
  uint64_t conn = 0;  // Kind::user: the connection that asked (its other connections are told)

  static Actor of_user(std::string name, uint64_t conn) { return Actor{Kind::user, std::move(name), conn}; }
  static Actor backend() { return Actor{Kind::backend, {}, 0}; }
  bool is_backend() const { return kind == Kind::backend; }
};

}  // namespace parley
