#pragma once
// A user's own account beyond logging in (docs/protocol.md → Accounts and tokens), each with
// the bearer token of the user:
//   POST   /api/logout           this token is refused from now on; connections using it close (4001)
//   DELETE /api/account          {"password"}: the account deleted (option deleted_user_messages)
//   GET    /api/account/export   ?after=&limit=: the user's rooms and messages, a page at a time
#include <string>

#include "net/context.hpp"
#include "net/http_api.hpp"

namespace parley {

void handle_logout(NetContext& ctx, const HttpRequest& req, Responder respond);
void handle_delete_account(NetContext& ctx, const HttpRequest& req, const std::string& client, Responder respond);
void handle_export(NetContext& ctx, const HttpRequest& req, Responder respond);

}  // namespace parley
