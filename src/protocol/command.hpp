#pragma once
// Typed client → server commands of protocol v1 (docs/protocol.md).
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include <boost/json/value.hpp>

namespace parley {

struct JoinCmd { std::string room; };
struct LeaveCmd { std::string room; };
struct MessageCmd { std::string room; std::string id; std::string text; };
struct TypingCmd { std::string room; bool active = false; };
struct ReadCmd { std::string room; int64_t seq = 0; };
struct SyncCmd { std::string room; int64_t after = 0; int limit = 50; };
struct HistoryCmd { std::string room; std::optional<int64_t> before; int limit = 50; };
// A fresh token for this connection (answers `reauth`); handled by the session, not the hub.
struct AuthCmd { std::string token; };

using CommandBody =
    std::variant<JoinCmd, LeaveCmd, MessageCmd, TypingCmd, ReadCmd, SyncCmd, HistoryCmd, AuthCmd>;

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

}  // namespace parley
