#pragma once
// A user's own account over HTTP: POST /api/register, /api/login and /api/password (change
// the password: every earlier token revoked, a fresh one answered). `client`: the client's
// address for the login throttle.
#include <functional>
#include <string>

#include "auth/jwt.hpp"
#include "common/status.hpp"

#include "net/context.hpp"
#include "net/http_api.hpp"

namespace parley {

void handle_register(NetContext& ctx, const HttpRequest& req, const std::string& client, Responder respond);
void handle_login(NetContext& ctx, const HttpRequest& req, const std::string& client, Responder respond);
void handle_password(NetContext& ctx, const HttpRequest& req, const std::string& client, Responder respond);

// For the routes of a user's own account (account_routes.cpp, my_account_routes.cpp).
// with_bearer: the request's bearer token verified and checked against the user's standing
// (revoked, logged out: 401; disabled, deleted: 403), then `then` with its claims.
void with_bearer(NetContext& ctx, const HttpRequest& req, const Responder& respond,
                 std::function<void(TokenClaims)> then);
// with_password: `password` checked as the user's current one, throttled as a login and within
// the bound on password hashes at once (wrong: 403; no login: 404); `then` runs on a blocking
// thread, holding the hash slot (it may hash).
void with_password(NetContext& ctx, const HttpRequest& req, const std::string& client, const Responder& respond,
                   std::string user, std::string password, std::function<void()> then);
// The answer to a refused standing: 401, 403, 404 or 503.
HttpResponse access_error(const HttpRequest& req, const Status& status);

}  // namespace parley
