#pragma once
#include <string_view>
#include <variant>

#include "protocol/command.hpp"

namespace parley {

// Decodes one text frame into a Command. Anything that is not a JSON object of a known type
// with well-typed fields yields a bad_request ProtocolError (with ref/id when they could be
// read). Room names are not validated here: the hub answers forbidden for them.
// Thread-safe; allocates only for the strings the command keeps.
std::variant<Command, ProtocolError> decode_command(std::string_view frame);

}  // namespace parley
