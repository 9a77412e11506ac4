#pragma once
// What a file is, told by its content (libmagic), never by its name or the client's word.
#include <string>
#include <string_view>

namespace parley {

// The media type of `bytes` ("image/png", "text/plain"); "application/octet-stream" when
// libmagic cannot tell.
std::string sniff_type(std::string_view bytes);

}  // namespace parley
