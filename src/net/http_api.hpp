#pragma once
// The REST routes: POST /api/register, POST /api/login, GET /healthz, and static files.
// `respond` may be called from any thread, exactly once.
#include <functional>

#include "net/context.hpp"
#include "net/http_session.hpp"

namespace parley {

using Responder = std::function<void(HttpSession::Response)>;

void handle_http(NetContext& ctx, const HttpSession::Request& req, Responder respond);

// A response with a JSON body (or a {"error":...} one) that keeps the request's version
// and keep-alive.
HttpSession::Response json_response(const HttpSession::Request& req, unsigned status, std::string body);
HttpSession::Response error_response(const HttpSession::Request& req, unsigned status, std::string_view message);

// The static file under ctx.options.web_root for the request target, or 404.
HttpSession::Response static_file(const NetContext& ctx, const HttpSession::Request& req);

}  // namespace parley
