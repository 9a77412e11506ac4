#pragma once
// The rules every store applies inside its writes, written once: each store reads the facts
// in its own SQL (or maps) and asks these functions, in the same transaction, what to do.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/webhook_event.hpp"
#include "store/store.hpp"

namespace parley::rules {

// The message an edit, deletion or reaction acts on, as stored (nullopt: no entry at that seq).
struct Target {
  std::string user;
  int64_t ts = 0;
  EntryKind kind = EntryKind::message;
  bool deleted = false;
  int64_t reply_to = 0;
};
Status check_target(const AppendRequest& req, const std::optional<Target>& target);
// The thread a reply joins: the seq of its first message (the parent, or the parent's own
// thread when the parent is a reply), or not_found when the parent is no live message.
Result<int64_t> thread_root(const AppendRequest& req, const std::optional<Target>& parent);

// A message's mentions as one stored column ("alice bob", "*" for the room) and back.
std::string mentions_column(const std::vector<std::string>& users, bool room);
void read_mentions_column(std::string_view column, ChatMessage& m);
// The keys of the mentions index: the users, and "*" for the room.
std::vector<std::string> mention_keys(const std::vector<std::string>& users, bool room);

// A message's attachments as one stored column (a line per file, tab-separated fields; names
// hold no control characters) and back.
std::string attachments_column(const std::vector<Attachment>& files);
std::vector<Attachment> read_attachments_column(std::string_view column);
// An upload as stored, checked for attaching to `req`'s message: it must exist, be `req.user`'s
// and not be sent with another message yet (Status::not_found names the id otherwise).
Result<Attachment> attachable(const AppendRequest& req, const std::string& id, const std::optional<Upload>& upload);

struct JoinFacts {
  std::optional<RoomKind> room;       // nullopt: no such room
  bool banned = false;
  std::optional<Role> actor_role;     // JoinMode::invite: the actor's role, nullopt if not a member
};
// ok, or why `req.user` may not join (the caller has checked that they are not a member yet).
Status check_join(const JoinRequest& req, const JoinFacts& facts);

struct ModerationFacts {
  std::optional<RoomKind> room;
  std::optional<Role> actor_role;     // nullopt: the actor is not a member (or is the API)
  std::optional<Role> target_role;    // nullopt: the target is not a member
};
Status check_moderation(const ModerationRequest& req, const ModerationFacts& facts);
// Setting slow mode: not in a direct conversation, and only by a moderator or the owner
// (`actor_role` nullopt: not a member).
Status check_slow_mode(RoomKind kind, std::optional<Role> actor_role, const std::string& room);

// The webhook events of each change (store/outbox.hpp), for both stores to record in the
// change's transaction. `ts`: when, ms since the epoch.
WebhookEvent message_event(const ChatMessage& m);
// room.created, and member.joined of its first member when it has one.
std::vector<WebhookEvent> room_created_events(const std::string& room, RoomKind kind, const std::string& owner,
                                              int64_t ts);
WebhookEvent member_joined_event(const std::string& room, const std::string& user, Role role, const std::string& by,
                                 int64_t ts);
WebhookEvent member_left_event(const std::string& room, const std::string& user, int64_t ts);
// What a moderation action that passed its check did; nullopt when it changed nothing a
// backend hears of (a kick or mute of a non-member cannot pass; an unban is always told).
std::optional<WebhookEvent> moderation_event(const ModerationRequest& req, int64_t ts);

// The words of a search, in order, without duplicates: runs of letters, digits and any
// non-ASCII bytes. At most 16.
std::vector<std::string> search_words(std::string_view text);
// An FTS5 MATCH expression requiring every word (each quoted, so no FTS5 syntax gets in).
std::string fts5_query(const std::vector<std::string>& words);

}  // namespace parley::rules
