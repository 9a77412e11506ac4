#pragma once
#include <string>

#include "common/status.hpp"

namespace parley {

// The JWT secret kept in `data_dir/jwt.secret`: read if present, otherwise 32 random bytes
// are generated, hex-encoded and written with mode 0600, so tokens survive a restart.
Result<std::string> load_or_create_secret(const std::string& data_dir);

}  // namespace parley
