#pragma once
// The domain events that leave an operation: what happened in a room (for its members) and
// what happened to a user (for that user's connections). The hub emits them to its own
// connections and to the bus; the bus carries them to the other nodes (bus/codec.hpp is their
// wire form there); net encodes each one once into the client frame every recipient shares.
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/types.hpp"

namespace parley {

// ---- Room events: for the members of `RoomEvent::room`.

// A stored entry of the room's seq stream (message, edit, deletion, reaction). `received_us`:
// when the node that took it in received it (wall clock, µs), for the delivery-latency metric.
struct MessageStored {
  ChatMessage message;
  int64_t received_us = 0;
};
// Ephemeral: dropped first under backpressure, never sent to `user`'s own connections, nor to
// the users who block `user`.
struct TypingChanged {
  std::string user;
  bool active = false;
};
struct PresenceChanged {
  std::string user;
  bool online = false;
};
// `user` has read the room up to `seq`.
struct ReadMoved {
  std::string user;
  int64_t seq = 0;
};
// A membership or moderation change. The stored values of the codec: never renumber.
enum class MemberAction : uint8_t { invited = 0, kicked = 1, banned = 2, unbanned = 3, muted = 4, unmuted = 5, role = 6 };
// The protocol's word for each action (the `member` event's "action"), for every layer.
constexpr std::string_view member_action_name(MemberAction a) {
  switch (a) {
    case MemberAction::invited: return "invited";
    case MemberAction::kicked: return "kicked";
    case MemberAction::banned: return "banned";
    case MemberAction::unbanned: return "unbanned";
    case MemberAction::muted: return "muted";
    case MemberAction::unmuted: return "unmuted";
    case MemberAction::role: return "role";
  }
  return "invited";
}
struct MemberNotice {
  std::string user;
  MemberAction action = MemberAction::invited;
  std::string by;             // empty: the application backend (server API)
  Role role = Role::member;   // role: the new role
  int64_t until = 0;          // muted: the end of the mute (ms since the epoch)
};

// A message was pinned (`pinned`) or unpinned by `by` (empty: the backend).
struct PinChanged {
  int64_t seq = 0;
  bool pinned = false;
  std::string by;
  int64_t ts = 0;
};

// `user` set their status (to every member, the user's own connections included).
struct StatusChanged {
  std::string user;
  UserStatus status;
};

// The room's slow mode was set (seconds; 0: off) by `by` (empty: the backend); `version`
// orders the room's settings changes (RoomState::settings_version).
struct SlowModeChanged {
  int64_t seconds = 0;
  int64_t version = 0;
  std::string by;
};

using RoomPayload = std::variant<MessageStored, TypingChanged, PresenceChanged, ReadMoved, MemberNotice, PinChanged,
                                 StatusChanged, SlowModeChanged>;

struct RoomEvent {
  std::string room;
  RoomPayload payload;
  std::string origin;  // the node that emitted it (set by the hub)

  const MessageStored* message() const { return std::get_if<MessageStored>(&payload); }
  // The user whose own connections do not get the event (typing, presence), else empty.
  const std::string* subject() const {
    if (auto* t = std::get_if<TypingChanged>(&payload)) return &t->user;
    if (auto* p = std::get_if<PresenceChanged>(&payload)) return &p->user;
    return nullptr;
  }
  bool droppable() const { return subject() != nullptr; }
};

// ---- User events: for every connection of `UserEvent::user`, on every node.

// The user is (again) a member of `state.room`; `online`: the room's other members online
// (at most the hub's presence_limit of them, in name order); `online_count`: how many members
// are online in all (0: not known); `by_count`: the room is over the limit, so its presence
// goes as occupancy counts instead of per-user changes.
struct MembershipJoined {
  RoomState state;
  std::vector<std::string> online;
  int64_t online_count = 0;
  bool by_count = false;
};
// Why a membership ended. Stored values of the codec: never renumber.
enum class LeftReason : uint8_t { left = 0, kicked = 1, banned = 2, removed = 3 };
struct MembershipLeft {
  std::string room;
  LeftReason reason = LeftReason::left;
};
// The user's block list after a change, sorted.
struct BlocksChanged {
  std::vector<std::string> blocked;
};

// The user's unread mentions in `room` after a read moved its position.
struct MentionsChanged {
  std::string room;
  int64_t count = 0;
};
// The user set what to be notified of in `room`; `mentions`: the unread mentions then.
struct NotifyChanged {
  std::string room;
  NotifyLevel level = NotifyLevel::all;
  int64_t mentions = 0;
};

// The user's standing changed (hub_accounts.cpp): connections whose token is older than
// token_version close with 4001; all of them with 4003 when the user is `shut` (disabled or
// deleted); with `token_id`, the connections using that one token (logged out) close with
// 4001. Never sent to clients as a frame.
struct AccessChanged {
  int64_t token_version = 0;
  bool shut = false;
  std::string token_id;
};

// Commands for one connection of the user that came in by HTTP POST (the fallback transport,
// docs/protocol.md) on another node than the one holding the connection: `node` holds it,
// `conn` is its id there and `key` its secret. Carried opaque; never sent to clients.
struct SessionInput {
  std::string node;
  uint64_t conn = 0;
  std::string key;
  std::string text;
};

using UserPayload = std::variant<MembershipJoined, MembershipLeft, BlocksChanged, MentionsChanged, NotifyChanged,
                                 AccessChanged, SessionInput>;

struct UserEvent {
  std::string user;
  UserPayload payload;
  std::string origin;       // the node that emitted it (set by the hub)
  uint64_t skip_conn = 0;   // the origin's connection that asked (answered already), or 0
  // Someone else made the change for the user (the backend, an inviter, the other side of a
  // new direct room): no node has updated the room's online set for it yet, so every node
  // holding the user online applies it, and the one whose update changes the room's online
  // set announces the presence change. False for a user's own command, which the origin
  // node has applied and announced already.
  bool presence_pending = false;
};

}  // namespace parley
