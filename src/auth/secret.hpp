#pragma once
#include <string>

#include "common/status.hpp"

namespace parley {

// A secret kept in `data_dir/name` (the JWT secret in jwt.secret, the VAPID key in
// vapid.key): read if present, otherwise 32 random bytes are generated, hex-encoded and
// written with mode 0600, so tokens and push subscriptions survive a restart.
Result<std::string> load_or_create_secret(const std::string& data_dir, const std::string& name = "jwt.secret");

}  // namespace parley
