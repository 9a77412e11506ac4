#pragma once
// Reading the payloads of version-1 nodes, for a rolling upgrade from them (docs/cluster.md →
// "Rolling upgrades"). Version 1 sent a header line and then the client frame:
//   room channel: R<kind>|<seq>|<skip_user>|<received_us>\n<frame>
//   user channel: U<kind>|<room>|<origin node>|<skip_conn>\n<frame>
// These readers turn one into the typed event a version-2 node would have sent. Remove them
// once no version-1 node can be running.
#include <string_view>

#include "bus/codec.hpp"

namespace parley::bus_codec::legacy {

Decoded decode(std::string_view room, std::string_view payload, RoomEvent& out);
Decoded decode(std::string_view user, std::string_view payload, UserEvent& out);

}  // namespace parley::bus_codec::legacy
