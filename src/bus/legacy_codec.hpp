#pragma once
// Reading the payloads of version-1 nodes, for a rolling upgrade from them (docs/cluster.md →
// "Rolling upgrades"). Version 1 sent a header line and then the client frame:
//   room channel: R<kind>|<seq>|<skip_user>|<received_us>\n<frame>
//   user channel: U<kind>|<room>|<origin node>|<skip_conn>\n<frame>
// These readers turn one into the typed event a version-2 node would have sent; the writers
// produce that form (given the client frame) for a cluster still holding version-1 nodes
// (bus_write_version = 1). Version-1 nodes ignore header fields they do not know: the writers
// append the origin node, so that a version-2 node recognises its own events coming back.
// Remove all of this once no version-1 node can be running.
#include <string>
#include <string_view>

#include "bus/codec.hpp"

namespace parley::bus_codec::legacy {

Decoded decode(std::string_view room, std::string_view payload, RoomEvent& out);
Decoded decode(std::string_view user, std::string_view payload, UserEvent& out);

// `frame`: the event's client frame (protocol/encode), which version 1 carried as it was.
std::string encode(const RoomEvent& e, const std::string& frame);
std::string encode(const UserEvent& e, const std::string& frame);

}  // namespace parley::bus_codec::legacy
