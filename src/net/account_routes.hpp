#pragma once
// A user's own account over HTTP: POST /api/register, /api/login and /api/password (change
// the password: every earlier token revoked, a fresh one answered). `client`: the client's
// address for the login throttle.
#include <string>

#include "net/context.hpp"
#include "net/http_api.hpp"

namespace parley {

void handle_register(NetContext& ctx, const HttpRequest& req, const std::string& client, Responder respond);
void handle_login(NetContext& ctx, const HttpRequest& req, const std::string& client, Responder respond);
void handle_password(NetContext& ctx, const HttpRequest& req, const std::string& client, Responder respond);

}  // namespace parley
