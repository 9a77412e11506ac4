#pragma once
// The texts of the hub's rule violations, written once for both faces.
//
// Where the backend (server API) is treated differently from a user, it is here and nowhere
// else (docs/api.md → "The backend and the rules"):
// - no rate limit: the backend is trusted with its own pace;
// - membership comes from the store (the user need not be connected to this node), checked
//   again inside the write;
// - a system message (no author) is subject to no membership, mute or word filter;
// - the backend acts on any room and any member (moderation as the owner would, and more).
#include <string>

#include "common/status.hpp"

namespace parley::hub_rules {

inline Status bad_room() { return Status::invalid("invalid room name: use [a-z0-9][a-z0-9_-]{0,63}"); }
inline Status bad_user() { return Status::invalid("invalid user name: use [a-z0-9_]{1,32}"); }
// A valid name that only direct rooms may take: not a naming error but a room one may not
// enter or create this way (forbidden on both faces).
inline Status reserved_room() { return Status::forbidden("names starting with dm- belong to direct conversations: use dm"); }
inline Status not_member(const std::string& room) { return Status::forbidden("not a member of " + room); }
inline Status users_only() { return Status::forbidden("only a user can do this"); }

}  // namespace parley::hub_rules
