#pragma once
// The message/room/user store: the durable half of parley.
//
// Contract for implementations:
// - Every call is asynchronous, thread-safe and returns at once; it never blocks the caller.
// - `done` runs exactly once, on a store-owned thread, after the effect is durable (writes) or
//   the data is read (reads) — except a page of after/before that an in-memory window of
//   recent entries holds, which may be answered before the call returns. Callbacks must be
//   short and must not block: they post work on.
// - Writes are applied in call order. For one room, append callbacks run in seq order.
// - "Not found" and rule violations are Status values, never exceptions.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/status.hpp"
#include "common/types.hpp"

namespace parley {

struct AppendRequest {
  std::string room;
  std::string user;  // empty for a system message (server API): no user name is empty
  std::string id;    // client id; (user, id) is unique across the store
  std::string text;
  int64_t ts = 0;    // server receipt time, ms
  // Checked inside the write, so that no removal can slip in between: the user must be a
  // member of the room (the hub checks WebSocket senders itself; the server API relies on this).
  bool require_member = false;
  // What to store. Anything but a message acts on the message `target` of the same room,
  // which must exist and not be deleted (Status::not_found):
  // - edited: `text` replaces its text; only its author, within `edit_window_ms` of its ts
  //   (Status::forbidden);
  // - deleted: it becomes a tombstone (its text and its edits' texts are erased, its
  //   attachments removed and their uploads no longer served); its author,
  //   or anyone when `moderator` (Status::forbidden);
  // - reaction_add / reaction_remove: `text` is the emoji; (user, emoji) is added or removed.
  EntryKind kind = EntryKind::message;
  int64_t target = 0;
  int64_t edit_window_ms = 0;
  bool moderator = false;
  // Non-empty for a direct room: refused (Status::forbidden) if this user blocks `user`.
  std::string peer;
  // Messages only. `reply_to`: the seq of a message of the same room this one answers; it
  // must exist, be a message and not be deleted (Status::not_found). A reply to a reply joins
  // the first one's thread. The thread's first message counts its replies.
  int64_t reply_to = 0;
  std::string data;                   // the application's JSON object, serialized (checked)
  std::vector<std::string> mentions;  // sorted, unique, valid user names
  bool mention_room = false;
  // Upload ids to attach, each an upload of `user` not sent with any message yet (checked
  // inside the write: Status::not_found otherwise). The stored message carries their files.
  std::vector<std::string> attachments;
};

// Pins (`on`) or unpins the message `seq` of `room`. The caller has checked the actor's role.
struct PinRequest {
  std::string room;
  int64_t seq = 0;
  std::string by;   // empty: the backend
  bool on = true;
  int64_t ts = 0;
  int max_pins = 50;
};

// After a read: whether the position moved, and the user's unread mentions in the room then.
struct ReadResult {
  bool moved = false;
  int64_t mentions = 0;
};

// How a user comes to join a room (JoinRequest::mode).
enum class JoinMode : uint8_t {
  open,    // the user's own `join`: a missing room is created public with the user as owner;
           // private and direct rooms refuse (forbidden)
  invite,  // `actor` invites `user` into an existing room: private rooms need a moderator
           // or owner, public rooms any member; never into a direct room
  admin,   // the server API: any existing room but a direct one
};

struct JoinRequest {
  std::string room;
  std::string user;
  int max_rooms = 500;   // would exceed this many memberships: Status::limit_exceeded
  JoinMode mode = JoinMode::open;
  std::string actor;     // JoinMode::invite
  // > 0: the answer's extras hold the room's pins and up to this many of the other members'
  // read positions and statuses, read in the join's transaction (see RoomExtras).
  int extras_limit = 0;
};

// A moderator's action on `target` in `room`. `actor` empty: the server API, which may act
// on anyone. Otherwise the actor must be a member of at least moderator role (owner for
// set_role) and of a higher role than the target; no action applies to a direct room.
struct ModerationRequest {
  std::string room;
  std::string actor;
  std::string target;
  ModerationAction action = ModerationAction::kick;
  int64_t muted_until = 0;      // mute: ms since the epoch; 0 unmutes
  Role role = Role::member;     // set_role: moderator or member
};

struct ModerationResult {
  bool was_member = false;      // the target was a member before the action
};

struct SearchQuery {
  std::string user;             // only rooms this user is a member of
  std::string words;            // all must occur (whole words, any case)
  std::string room;             // empty: every room of the user
  int limit = 20;
};

struct Appended {
  ChatMessage message;     // the stored message (the original one when duplicate)
  bool duplicate = false;  // (user, id) was stored before: nothing new was written
};

// A page of history stops early, with has_more, once its texts reach this many bytes, so
// that one reply stays well below a connection's outbound cap.
inline constexpr std::size_t kMaxPageTextBytes = 512 * 1024;

class Store {
 public:
  template <class T>
  using Callback = std::function<void(Result<T>)>;

  virtual ~Store() = default;

  // Stores a message as the room's next seq. A (user, id) pair stored before returns the
  // original message with duplicate=true and writes nothing. The room must exist
  // (Status::not_found); with require_member, the user must be a member (Status::forbidden).
  virtual void append(AppendRequest req, Callback<Appended> done) = 0;

  // Creates an empty room of `kind`. Returns true if it was created, false if it existed
  // already. With an `owner`, a created room gets the owner as its first member (role owner).
  virtual void create_room(std::string room, RoomKind kind, std::string owner, Callback<bool> done) = 0;

  // The room's last_seq (read_seq is 0). Unknown room: Status::not_found.
  virtual void room(std::string room, Callback<RoomState> done) = 0;

  // Makes `user` a member of `room` under the rules of `req.mode` (see JoinMode). Already a
  // member: ok, no change. Banned, or not allowed in: Status::forbidden; no such room (invite,
  // admin): Status::not_found; would exceed `max_rooms` memberships: Status::limit_exceeded.
  virtual void join(JoinRequest req, Callback<RoomState> done) = 0;

  // The direct room `room` of users `a` and `b` (a != b), created with both as members if
  // missing. Returns a's view (with extras as for join). Status::forbidden if b blocks a.
  virtual void open_direct(std::string room, std::string a, std::string b, int max_rooms, int extras_limit,
                           Callback<RoomState> done) = 0;

  // Applies a moderation action (see ModerationRequest). Status::forbidden when the actor
  // lacks the role; Status::not_found for a kick, mute or set_role of a non-member.
  virtual void moderate(ModerationRequest req, Callback<ModerationResult> done) = 0;
  // Sets the room's slow mode (seconds, 0: off; rules::check_slow_mode) as `actor` (empty:
  // the backend), raising its settings_version. Returns the room's kind, slow_mode_s and
  // settings_version. Status::not_found: no such room.
  virtual void set_slow_mode(std::string room, std::string actor, int64_t seconds, Callback<RoomState> done) = 0;

  // Adds (`on`) or removes `other` in `user`'s block list; returns the list after, sorted.
  virtual void set_block(std::string user, std::string other, bool on, Callback<std::vector<std::string>> done) = 0;

  // `user`'s own settings: the block list, sorted, and the status.
  virtual void settings_of(std::string user, Callback<UserSettings> done) = 0;

  // Stores the user's status (the default one removes it).
  virtual void set_status(std::string user, UserStatus status, Callback<bool> done) = 0;

  // Messages (not deleted; current text) matching `q`, newest first, from q.user's rooms.
  virtual void search(SearchQuery q, Callback<std::vector<ChatMessage>> done) = 0;

  // Ends the membership. Not a member: Status::not_found.
  virtual void leave(std::string room, std::string user, Callback<bool> done) = 0;

  // Moves the user's read position forward to `seq`; says whether it moved (not when it was
  // already at or past `seq`) and the unread mentions after. Not a member: not_found; seq
  // above the room's last: invalid.
  virtual void set_read(std::string room, std::string user, int64_t seq, Callback<ReadResult> done) = 0;

  // Sets what the user wants to be notified of in the room; returns the user's view of the
  // room after (notify, mentions). Not a member: not_found.
  virtual void set_notify(std::string room, std::string user, NotifyLevel level, Callback<RoomState> done) = 0;

  // The rooms `user` is a member of, with last_seq, the user's read_seq, kind, role, peer,
  // muted_until, notify and unread mentions; empty if none. Unread mentions: messages after
  // read_seq, not deleted, by someone else whom the user does not block, that name the user
  // or the whole room; 0 while notify is none.
  virtual void rooms_of(std::string user, Callback<std::vector<RoomState>> done) = 0;

  // Pages hold every entry kind; messages come with their current state (edited_ts, deleted,
  // reactions).
  // Up to `limit` messages with seq > after, ascending; has_more if newer ones exist. Pages
  // hold fewer messages when kMaxPageTextBytes is reached (at least one message).
  virtual void after(std::string room, int64_t after, int limit, Callback<MessagePage> done) = 0;

  // Up to `limit` messages with seq < before (all when nullopt), ascending; has_more if older
  // ones exist.
  virtual void before(std::string room, std::optional<int64_t> before, int limit,
                      Callback<MessagePage> done) = 0;

  // The replies of the thread whose first message is `root`, ascending by seq, with their
  // current state: `after` (newer than) or `before` (older than; the newest page when neither
  // is given), like after()/before(). The root must be a message of the room
  // (Status::not_found; a deleted one still has its thread).
  virtual void thread(std::string room, int64_t root, std::optional<int64_t> after, std::optional<int64_t> before,
                      int limit, Callback<MessagePage> done) = 0;

  // Pins or unpins a message; says whether anything changed. Pinning needs a live message of
  // the room (Status::not_found) and fewer than max_pins pins (Status::limit_exceeded).
  // Deleting a message unpins it.
  virtual void pin(PinRequest req, Callback<bool> done) = 0;

  // Up to `limit` members' read positions in name order after `after` (empty: from the
  // first). Callers ask one more than they show to learn whether a next page exists.
  virtual void reads(std::string room, std::string after, int limit, Callback<std::vector<ReadPosition>> done) = 0;

  // Up to `limit` rooms in name order after `after`, each with its member count and its
  // messages since `since_ms` (RoomSummary).
  virtual void list_rooms(std::string after, int limit, int64_t since_ms, Callback<std::vector<RoomSummary>> done) = 0;

  // Uploads. Records an uploaded file whose content the blob store holds. Refused with
  // Status::limit_exceeded when the owner's uploads not deleted would exceed `quota_bytes`
  // (0: no quota); the id taken: Status::conflict.
  virtual void create_upload(Upload upload, int64_t quota_bytes, Callback<bool> done) = 0;

  // The upload `id`, with the message it was sent with. Unknown, expired, or its message
  // deleted: Status::not_found.
  virtual void upload(std::string id, Callback<Upload> done) = 0;

  // Forgets uploads that are no longer served: never sent and created before
  // `unsent_before_ms`, or sent with a message since deleted. Returns their ids, for the blob
  // store to remove their content.
  virtual void expire_uploads(int64_t unsent_before_ms, Callback<std::vector<std::string>> done) = 0;

  // Creates a user with an encoded password hash. Name taken: Status::conflict.
  virtual void create_user(std::string name, std::string password_hash, Callback<bool> done) = 0;

  // The user's encoded password hash. Unknown user: Status::not_found.
  virtual void password_hash(std::string name, Callback<std::string> done) = 0;

  // Accounts (sqlite_accounts.cpp, pg_accounts.cpp). A deleted name is never created again.
  // With `token_id` (a token's jti), also whether that token was logged out.
  virtual void access_of(std::string user, std::string token_id, Callback<UserAccess> done) = 0;
  // Logs one token out: `token_id` of `user` is refused until `expires_s` (the token's own
  // expiry, seconds since the epoch), when it would be refused anyway and is forgotten.
  virtual void revoke_token(std::string user, std::string token_id, int64_t expires_s, Callback<bool> done) = 0;
  // Revokes every token of the user so far (token_version + 1), disables or enables the user.
  // Returns the standing after. A deleted user: Status::not_found.
  virtual void change_access(std::string user, AccessChange change, Callback<UserAccess> done) = 0;
  // A new password hash for a user with a login, and every token so far revoked (token_version
  // + 1), in one write. No login (or deleted): Status::not_found.
  virtual void change_password(std::string user, std::string password_hash, Callback<UserAccess> done) = 0;
  // Deletes the user: the login, block list, status, mentions and the memberships of every
  // room but direct ones (whose peer keeps the conversation); the name stays taken, its
  // tokens revoked. With `erase`, the user's messages become tombstones and their uploads
  // are no longer served. Returns the standing after. Deleted already: Status::not_found.
  virtual void delete_user(std::string user, DeletedUserMessages messages, Callback<UserAccess> done) = 0;
  // The user's own messages (not deleted ones), for an export: up to `limit` in the order of
  // their ids, those after `after_id` (empty: from the first). Each with its room, seq, ts,
  // id, text, edited_ts, reply_to, data and attachments.
  virtual void user_messages(std::string user, std::string after_id, int limit,
                             Callback<std::vector<ChatMessage>> done) = 0;

  // Web Push subscriptions, per device. Saving one moves its endpoint to `user` and keeps the
  // user's kMaxPushSubscriptions newest; dropping one with `user` empty drops it for anyone
  // (the push service said it is gone). Deleting a user drops theirs. push_targets: for a
  // message of `author` in `room`, allowed when the user is a member whose notify level lets
  // it through (all; mentions when `mentioned`) and who does not block the author; and the
  // user's subscriptions.
  virtual void save_push_subscription(std::string user, PushSubscription sub, Callback<bool> done) = 0;
  virtual void drop_push_subscription(std::string user, std::string endpoint, Callback<bool> done) = 0;
  virtual void push_targets(std::string user, std::string room, std::string author, bool mentioned,
                            Callback<PushTargets> done) = 0;

  // Answers once the store has run a trivial query (readiness probe): ok, or why it cannot.
  virtual void ping(Callback<bool> done) = 0;

  // Finishes every write accepted so far (their callbacks have run when this returns) and
  // stops the store's threads. Calls after close() fail with Status::unavailable.
  virtual void close() = 0;
};

}  // namespace parley
