#pragma once
// Domain values shared by the hub, the store, the bus and the protocol encoder.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley {

// What an entry of a room's seq stream is. Edits, deletions and reactions are entries of
// their own (so a resync replays them in order) that also change the message they target.
// The values are stored: never renumber.
enum class EntryKind : uint8_t { message = 0, edited = 1, deleted = 2, reaction_add = 3, reaction_remove = 4 };

// The users who reacted to a message with one emoji, sorted.
struct Reaction {
  std::string emoji;
  std::vector<std::string> users;
};

// A file sent with a message, as the message carries it (fixed when the message is stored).
struct Attachment {
  std::string id;    // the upload's id
  std::string name;  // the file name given at upload
  std::string type;  // the media type sniffed from the content
  int64_t size = 0;  // bytes
  int64_t width = 0, height = 0;  // images: pixels; 0: not an image (or unreadable)
  bool thumb = false;             // a thumbnail exists
};

// An uploaded file: who uploaded it, what it is, and the message it was sent with (none yet:
// only its owner may see it, and it expires unless sent).
struct Upload {
  Attachment file;
  std::string owner;    // empty: uploaded by the backend
  std::string sha256;   // hex digest of the content (the ETag)
  int64_t created_ms = 0;
  std::string room;     // the message it is attached to; empty: not sent yet
  int64_t seq = 0;
  std::string thumb_type;  // the thumbnail's media type, when file.thumb
};

// One stored entry of a room. `seq` is per room, starts at 1 and has no gaps.
struct ChatMessage {
  std::string room;
  int64_t seq = 0;
  int64_t ts = 0;       // server time in ms since the epoch, assigned on receipt
  std::string user;     // the author (or who edited, deleted, reacted); empty: the system
  std::string id;       // the client's id, unique per user (dedup key)
  std::string text;     // message and edit: the text; reaction: the emoji
  EntryKind kind = EntryKind::message;
  int64_t target = 0;   // edits, deletions, reactions: the seq of the message they act on
  // Messages only, fixed when stored:
  int64_t reply_to = 0;               // a reply: the seq of its thread's first message
  std::string data;                   // the application's JSON object, serialized; empty: none
  std::vector<std::string> mentions;  // users named with @, sorted, without duplicates
  bool mention_room = false;          // @room by someone allowed to
  std::vector<Attachment> attachments;  // removed when the message is deleted
  // Messages only, as read back from the store: the current state.
  int64_t edited_ts = 0;  // time of the last edit, 0 if never edited
  bool deleted = false;   // a tombstone: text is empty
  std::vector<Reaction> reactions;
  int64_t reply_count = 0;    // a thread's first message: how many replies it has
  int64_t last_reply_ts = 0;  // and when the newest one came
};

// What a user asks to be notified of in a room. Stored values: never renumber.
enum class NotifyLevel : uint8_t { all = 0, mentions = 1, none = 2 };
constexpr std::string_view notify_name(NotifyLevel n) {
  switch (n) {
    case NotifyLevel::mentions: return "mentions";
    case NotifyLevel::none: return "none";
    default: return "all";
  }
}
constexpr std::optional<NotifyLevel> notify_from_name(std::string_view name) {
  for (NotifyLevel n : {NotifyLevel::all, NotifyLevel::mentions, NotifyLevel::none}) {
    if (notify_name(n) == name) return n;
  }
  return std::nullopt;
}

enum class RoomKind : uint8_t { public_room = 0, private_room = 1, direct = 2 };
// Ordered: a higher role may act on a lower one. Stored values: never renumber.
enum class Role : uint8_t { member = 0, moderator = 1, owner = 2 };

enum class ModerationAction : uint8_t { kick, ban, unban, mute, set_role };

// The protocol's names of roles and room kinds, for every layer, and their inverses (nullopt
// for a name that is none of them).
constexpr std::string_view role_name(Role r) {
  switch (r) {
    case Role::owner: return "owner";
    case Role::moderator: return "moderator";
    default: return "member";
  }
}
constexpr std::string_view kind_name(RoomKind k) {
  switch (k) {
    case RoomKind::private_room: return "private";
    case RoomKind::direct: return "direct";
    default: return "public";
  }
}
constexpr std::optional<Role> role_from_name(std::string_view name) {
  for (Role r : {Role::member, Role::moderator, Role::owner}) {
    if (role_name(r) == name) return r;
  }
  return std::nullopt;
}
constexpr std::optional<RoomKind> kind_from_name(std::string_view name) {
  for (RoomKind k : {RoomKind::public_room, RoomKind::private_room, RoomKind::direct}) {
    if (kind_name(k) == name) return k;
  }
  return std::nullopt;
}

// What a user tells others of themselves: away (idle, as the client reports) and a custom
// status text. The default (not away, no text) is stored as no status at all.
struct UserStatus {
  bool away = false;
  std::string text;
  bool is_default() const { return !away && text.empty(); }
};
// A member's status, as joined lists them.
struct MemberStatus {
  std::string user;
  UserStatus status;
};
// A user's standing. Tokens whose `ver` claim is below token_version are refused (revoked);
// a disabled or deleted user can neither connect nor log in. A user nobody changed has the
// defaults (and needs no account: tokens the backend signs are enough).
struct UserAccess {
  int64_t token_version = 0;
  bool disabled = false;
  bool deleted = false;
  bool account = false;    // has a login (registered, or created by the backend)
  bool token_revoked = false;  // the token asked about (access_of's token_id) was logged out
  int64_t created_ms = 0;  // of the account
};
enum class AccessChange : uint8_t { revoke_tokens, disable, enable };
// What becomes of a deleted user's messages (option deleted_user_messages).
enum class DeletedUserMessages : uint8_t {
  keep,   // stay as written, under the user's name
  erase,  // become tombstones: text, data and attachments gone
};

// A browser's Web Push subscription (PushSubscription.toJSON()): where its push service takes
// messages, and its keys (base64url, as the browser gives them).
struct PushSubscription {
  std::string endpoint;
  std::string p256dh;
  std::string auth;
  int64_t created_ms = 0;
};
inline constexpr int kMaxPushSubscriptions = 10;
// Whom a message may be pushed to: whether the user's notify level and block list let it
// through, and the user's subscribed browsers.
struct PushTargets {
  bool allowed = false;
  std::vector<PushSubscription> subscriptions;
};  // per user; a new one replaces the oldest

// The user's own settings, read at connect: the block list (sorted) and the status.
struct UserSettings {
  std::vector<std::string> blocked;
  UserStatus status;
};

// A pinned message of a room.
struct Pin {
  int64_t seq = 0;
  std::string by;   // who pinned it; empty: the backend
  int64_t ts = 0;   // when, ms since the epoch
};
// One room as the server API's room list shows it: its member count and how many messages
// (not edits, deletions or reactions) it took in the last hour, counted among its last
// kRecentEntriesScanned entries so that a busy room costs a bounded read.
inline constexpr int64_t kRecentEntriesScanned = 10000;
struct RoomSummary {
  std::string room;
  RoomKind kind = RoomKind::public_room;
  int64_t last_seq = 0;
  int64_t members = 0;
  int64_t recent_messages = 0;
  int64_t slow_mode_s = 0;
  int64_t created_ms = 0;
};
// How far a member has read a room, and the member's role.
struct ReadPosition {
  std::string user;
  int64_t seq = 0;
  Role role = Role::member;
};
// What `joined` tells of a room besides the user's own state: its pins (newest first) and a
// first page of the other members' read positions in name order (`reads_next`: the name the
// next page starts after, empty when this was all).
struct RoomExtras {
  std::vector<Pin> pins;
  std::vector<ReadPosition> reads;
  std::string reads_next;
  std::vector<MemberStatus> statuses;  // members with a status other than the default, by name
};

// A user's view of one room: the newest seq, how far the user has read, and the membership.
// The longest slow mode a room may have: 6 hours.
inline constexpr int64_t kMaxSlowModeSeconds = 6 * 3600;

struct RoomState {
  std::string room;
  int64_t last_seq = 0;
  int64_t read_seq = 0;
  RoomKind kind = RoomKind::public_room;
  Role role = Role::member;
  std::string peer;         // direct rooms: the other user
  int64_t muted_until = 0;  // ms since the epoch; 0 or past: not muted
  NotifyLevel notify = NotifyLevel::all;
  int64_t mentions = 0;     // unread messages that mention the user (0 while notify is none)
  int64_t slow_mode_s = 0;  // the room's slow mode: a member's messages at least this far apart (0: off)
  int64_t settings_version = 0;  // raised by each change of the room's settings (slow mode)
  RoomExtras extras;        // joins only: the room's pins, others' read positions and statuses
};

// One page of a room's history, ascending by seq.
struct MessagePage {
  std::vector<ChatMessage> messages;
  bool has_more = false;  // sync: newer messages exist; history: older messages exist
};

// An encoded server → client frame. Immutable once built and shared by every recipient.
using Frame = std::shared_ptr<const std::string>;

}  // namespace parley
