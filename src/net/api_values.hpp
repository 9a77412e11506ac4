#pragma once
// Small values of the JSON APIs: integers in paths and query strings, ids the server makes up.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace parley {

// The whole text as a decimal integer, or nullopt.
std::optional<int64_t> int_from_text(std::string_view s);

// `prefix` and 32 random hex digits: the id of a message the backend sent without one.
std::string random_api_id(std::string_view prefix);

}  // namespace parley
