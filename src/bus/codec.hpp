#pragma once
// The wire form of domain events between nodes (the Redis bus's payloads): one JSON object
// per event, {"v":2,"k":<kind>, …fields}. Written once here; the hub never sees it.
//
// Versioning, for rolling upgrades (docs/cluster.md → "Rolling upgrades"):
// - Fields may be added without a new "v": decoders ignore fields they do not know, and give
//   fields they expect but miss their default.
// - An event kind ("k") this node does not know is dropped (a newer node's new event) and
//   reported as such, never as malformed.
// - "v" changes only for a change old decoders would misread; a node drops events of a "v"
//   it does not know.
// - Payloads of the version-1 nodes (a header line, then the client frame) are still read:
//   decode_legacy_*() turn them into the same typed events.
#include <optional>
#include <string>
#include <string_view>

#include "common/events.hpp"

namespace parley::bus_codec {

inline constexpr int kVersion = 2;

std::string encode(const RoomEvent& e);
std::string encode(const UserEvent& e);

enum class Decoded { ok, unknown_kind, unknown_version, malformed };

// `room`/`user` come from the channel name, not the payload.
Decoded decode(std::string_view room, std::string_view payload, RoomEvent& out);
Decoded decode(std::string_view user, std::string_view payload, UserEvent& out);

}  // namespace parley::bus_codec
