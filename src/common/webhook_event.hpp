#pragma once
// What the application's backend hears through webhooks (docs/api.md "Webhooks"): the typed
// events the store records in its outbox inside the transaction of the change (so that a
// crash loses none), and the hub records for presence. protocol/webhook_body.hpp turns one
// into the JSON body an endpoint receives.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/types.hpp"

namespace parley {

// Never renumber: the values select bits of an endpoint's mask.
enum class WebhookType : uint8_t {
  message_created = 0,
  message_edited = 1,
  message_deleted = 2,
  reaction_added = 3,
  reaction_removed = 4,
  member_joined = 5,
  member_left = 6,
  member_kicked = 7,
  member_banned = 8,
  member_unbanned = 9,
  member_muted = 10,
  member_unmuted = 11,
  member_role = 12,
  room_created = 13,
  user_online = 14,
  user_offline = 15,
  push = 16,  // a user without an open connection should hear of a message (common/push.hpp)
};
inline constexpr int kWebhookTypes = 17;

inline constexpr std::array<std::string_view, kWebhookTypes> kWebhookTypeNames{
    "message.created", "message.edited",  "message.deleted", "reaction.added", "reaction.removed",
    "member.joined",   "member.left",     "member.kicked",   "member.banned",  "member.unbanned",
    "member.muted",    "member.unmuted",  "member.role",     "room.created",   "user.online",
    "user.offline",    "push"};

constexpr std::string_view webhook_type_name(WebhookType t) { return kWebhookTypeNames[static_cast<int>(t)]; }

inline std::optional<WebhookType> webhook_type_from(std::string_view name) {
  for (int i = 0; i < kWebhookTypes; ++i) {
    if (kWebhookTypeNames[static_cast<std::size_t>(i)] == name) return static_cast<WebhookType>(i);
  }
  return std::nullopt;
}

// A set of types, one bit each.
using WebhookMask = uint32_t;
inline constexpr WebhookMask kAllWebhookTypes = (1u << kWebhookTypes) - 1;
constexpr WebhookMask webhook_bit(WebhookType t) { return 1u << static_cast<int>(t); }

struct WebhookEvent {
  WebhookType type = WebhookType::message_created;
  std::string room;     // empty for user.online / user.offline
  // The member (member.*), the user (user.*), the creator (room.created; empty: the backend).
  std::string user;
  std::string by;       // who acted on the member: a moderator or inviter; empty: the user or the backend
  ChatMessage message;  // message.* and reaction.*: the stored entry (an edit, deletion or reaction
                        // names its message in `target`)
  RoomKind kind = RoomKind::public_room;  // room.created
  Role role = Role::member;        // member.joined, member.role
  int64_t until = 0;               // member.muted: the end of the mute, ms since the epoch
  bool direct = false;             // push: a direct message (else a mention of `user`)
  int64_t ts = 0;                  // when it happened, ms since the epoch
};

// The webhook type of a stored entry of a room's seq stream.
constexpr WebhookType webhook_type_of(EntryKind k) {
  switch (k) {
    case EntryKind::message: return WebhookType::message_created;
    case EntryKind::edited: return WebhookType::message_edited;
    case EntryKind::deleted: return WebhookType::message_deleted;
    case EntryKind::reaction_add: return WebhookType::reaction_added;
    case EntryKind::reaction_remove: return WebhookType::reaction_removed;
  }
  return WebhookType::message_created;
}

}  // namespace parley
