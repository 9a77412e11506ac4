#pragma once
// The requests and results of the hub's operations (hub.hpp), in domain terms: no frame, no
// JSON, no connection.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/status.hpp"
#include "common/types.hpp"
#include "store/store.hpp"

namespace parley {

template <class T>
using Done = std::function<void(Result<T>)>;

// An operation that answers nothing but success.
struct Ok {};

inline constexpr std::size_t kMaxIdBytes = 128;
inline constexpr int kDefaultPage = 50;
inline constexpr int kMaxPage = 200;
inline constexpr std::size_t kMaxStatusChars = 100;

// A message, edit, deletion or reaction.
struct PostRequest {
  std::string room;
  std::string id;                      // 1–128 bytes, unique per author
  std::string text;                    // message, edit: the text; reaction: the emoji
  EntryKind kind = EntryKind::message;
  int64_t target = 0;                  // edit, delete, react: the message's seq
  int64_t reply_to = 0;                // message: the seq of the message it answers (a thread)
  std::string data;                    // message: the application's JSON object, serialized
  std::vector<std::string> attachments;  // message: ids of the author's uploads not sent yet
  // The backend only: whom the message is from; empty for a system message. (A user always
  // posts as themselves.)
  std::string author;
};

// The user is a member of state.room; `online`: the room's other members online (without
// the ones the user blocks), at most presence_limit of them in name order; `online_count`:
// members online in all; `by_count`: over presence_limit, presence goes as occupancy counts.
struct Joined {
  RoomState state;
  std::vector<std::string> online;
  int64_t online_count = 0;
  bool by_count = false;
};

// A page of a room's members' read positions in name order after `after`.
struct ReadsQuery {
  std::string room;
  std::string after;
  int limit = 100;
};
struct ReadsPage {
  std::vector<ReadPosition> reads;
  std::string next;   // where the next page starts (`after`); empty: this was the last
};

// The backend's list of every room, a page in name order after `after`; `recent_messages`
// counts the last hour's.
inline constexpr int kMaxRoomListPage = 500;
struct RoomListQuery {
  std::string after;
  int limit = 100;
};
struct RoomListPage {
  std::vector<RoomSummary> rooms;
  std::string next;   // where the next page starts (`after`); empty: this was the last
};

// This node's live connections by user, name order (the first `limit` users); `total`
// counts every connection, `users_total` every connected user.
inline constexpr int kMaxConnectionsPage = 1000;
struct UserConnections {
  std::string user;
  int connections = 0;
};
struct ConnectionsPage {
  std::size_t total = 0;
  std::size_t users_total = 0;
  std::vector<UserConnections> users;
};

// A page of a room's online members in name order: `after` the name a previous page ended
// with (empty: from the first).
struct OnlineQuery {
  std::string room;
  std::string after;
  int limit = 100;
};
struct OnlineMembers {
  std::vector<std::string> users;
  int64_t count = 0;   // online in all
  std::string next;    // where the next page starts (`after`); empty: this was the last
};

// create_room: `created` false when the room existed. A user who created it has joined it.
struct Created {
  bool created = false;
  Joined joined;
};

// A page of history: `after` (newer than, like sync) or `before` (older than; the newest page
// when neither is set).
struct HistoryQuery {
  std::optional<int64_t> after;
  std::optional<int64_t> before;
  int limit = kDefaultPage;
};

// A page of a thread: the replies to `root`, like HistoryQuery.
struct ThreadQuery {
  std::string room;
  int64_t root = 0;
  HistoryQuery page;
};

struct ModerateRequest {
  std::string room;
  std::string target;
  ModerationAction action = ModerationAction::kick;
  int64_t seconds = 0;       // mute: how long; 0 unmutes
  Role role = Role::member;  // set_role
};

// A page of a user's export of their data (Hub::export_data): their rooms (on the first page
// only) and up to a page of their messages; `next` the id to ask after for the next page,
// empty on the last.
inline constexpr int kExportPage = 500;
struct UserExport {
  std::string user;
  std::vector<RoomState> rooms;
  std::vector<ChatMessage> messages;
  std::string next;
};

}  // namespace parley
