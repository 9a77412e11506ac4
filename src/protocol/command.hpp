#pragma once
// Typed client → server commands of protocol v1 (docs/protocol.md).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>
#include <variant>

#include <boost/json/value.hpp>

#include "common/types.hpp"

namespace parley {

struct JoinCmd { std::string room; };
struct LeaveCmd { std::string room; };
// `data`: the application's JSON object, serialized (empty: none).
struct MessageCmd {
  std::string room;
  std::string id;
  std::string text;
  int64_t reply_to = 0;
  std::string data;
  std::vector<std::string> attachments;  // upload ids
};
struct TypingCmd { std::string room; bool active = false; };
struct ReadCmd { std::string room; int64_t seq = 0; };
struct SyncCmd { std::string room; int64_t after = 0; int limit = 50; };
struct HistoryCmd { std::string room; std::optional<int64_t> before; int limit = 50; };
// A fresh token for this connection (answers `reauth`); handled by the session, not the hub.
struct AuthCmd { std::string token; };
struct CreateCmd { std::string room; RoomKind kind = RoomKind::public_room; };
struct DmCmd { std::string to; };
struct InviteCmd { std::string room; std::string user; };
// edit, delete, react: an entry acting on the message `seq` (EntryKind says which).
struct EntryCmd {
  EntryKind kind = EntryKind::edited;
  std::string room;
  std::string id;
  int64_t seq = 0;
  std::string text;  // edit: the new text; react: the emoji
};
struct ModerateCmd {
  ModerationAction action = ModerationAction::kick;
  std::string room;
  std::string user;
  int64_t seconds = 0;        // mute
  Role role = Role::member;   // role
};
struct BlockCmd { std::string user; bool on = true; };
struct SearchCmd { std::string query; std::string room; int limit = 20; };
// A page of the replies of the thread whose first message is `seq`.
struct ThreadCmd { std::string room; int64_t seq = 0; std::optional<int64_t> after; std::optional<int64_t> before; int limit = 50; };
struct NotifyCmd { std::string room; NotifyLevel level = NotifyLevel::all; };
// The user's status: away or not, and a text ("" clears it).
struct StatusCmd { bool away = false; std::string text; };
struct PinCmd { std::string room; int64_t seq = 0; bool on = true; };
// A page of the room's members' read positions, in name order after `after`.
// `members`: the same page as `reads`, told as the members with their roles.
struct ReadsCmd { std::string room; std::string after; int limit = 100; bool members = false; };
// A browser's Web Push subscription (on) or its end (off: only the endpoint).
struct PushCmd { std::string endpoint; std::string p256dh; std::string auth; bool on = true; };
// A page of the room's online members, in name order after `after`.
struct OnlineCmd { std::string room; std::string after; int limit = 100; };
// The room's slow mode, in seconds (0: off).
struct SlowModeCmd { std::string room; int64_t seconds = 0; };

using CommandBody = std::variant<JoinCmd, LeaveCmd, MessageCmd, TypingCmd, ReadCmd, SyncCmd, HistoryCmd, AuthCmd,
                                 CreateCmd, DmCmd, InviteCmd, EntryCmd, ModerateCmd, BlockCmd, SearchCmd, OnlineCmd,
                                 ThreadCmd, NotifyCmd, PinCmd, ReadsCmd, StatusCmd, PushCmd, SlowModeCmd>;

struct Command {
  CommandBody body;
  boost::json::value ref;  // echoed in replies and errors; null when absent
};

// The error the protocol reports to the client, as {"type":"error","code":code,...}.
struct ProtocolError {
  std::string code;                 // bad_request, forbidden, too_large, rate_limited, ...
  std::string message;
  boost::json::value ref;           // echoed when the command carried one
  std::string id;                   // the message id when the failing command was a message
};

inline constexpr int kDefaultPageLimit = 50;
inline constexpr int kMaxPageLimit = 200;
inline constexpr int kMaxSearchLimit = 100;
inline constexpr int kDefaultOnlineLimit = 100;
inline constexpr int kMaxOnlineLimit = 1000;
inline constexpr int64_t kMaxMuteSeconds = 365LL * 24 * 3600;

}  // namespace parley
