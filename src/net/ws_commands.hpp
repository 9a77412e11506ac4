#pragma once
// The WebSocket face of the hub: each decoded command of protocol v1 becomes one hub
// operation of the connection's user, and its result one frame with the command's `ref`
// (docs/protocol.md). Errors come from one table: common/error_codes.hpp.
#include <functional>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "auth/jwt.hpp"
#include "common/status.hpp"
#include "hub/client.hpp"
#include "protocol/command.hpp"

namespace parley {

class Hub;
struct Metrics;
struct NetContext;

void run_command(Hub& hub, Metrics& metrics, const ClientPtr& client, Command command);

// One text message of a client (a WebSocket message, a line of a fallback POST): decoded,
// `auth` handed to `on_auth` (the session's own), any other command to the hub; a message
// that does not decode is answered with its error frame.
using AuthHandler = std::function<void(const AuthCmd&, const boost::json::value& ref)>;
void handle_text(Hub& hub, Metrics& metrics, const ClientPtr& client, std::string_view text, const AuthHandler& on_auth);

// A fresh token sent with `auth` on a connection of `user`: valid, the user's, and neither
// revoked nor of a disabled user. `done` runs on any thread.
void check_fresh_token(NetContext& ctx, const std::string& user, const std::string& token,
                       std::function<void(Result<TokenClaims>)> done);

// The `error` frame for `s` (counted by code and logged). `id`: the message id, for entries.
Frame error_frame(Metrics& metrics, const Client& client, const Status& s, const boost::json::value& ref,
                  std::string_view id = {});

}  // namespace parley
