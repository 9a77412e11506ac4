#pragma once
// The HTTP routes: POST /api/register, POST /api/login, GET /healthz, the operations routes
// (/metrics, /readyz: net/ops_routes), the server API (/api/v1: net/server_api), and static
// files. `respond` may be called from any thread, exactly once.
#include <functional>
#include <string>

#include "net/context.hpp"
#include "net/http_types.hpp"

namespace parley {

using Responder = std::function<void(HttpResponse)>;

// `client`: the client's address (behind a trusted proxy, the one it forwards for; "" when
// unknown), for the login throttle.
void handle_http(NetContext& ctx, const HttpRequest& req, const std::string& client, Responder respond);
// An upload (is_upload_request), its body read: taken by value, so the file is not copied.
void handle_upload_post(NetContext& ctx, HttpRequest req, Responder respond);

// A response with a JSON body (or a {"error":...} one) that keeps the request's version
// and keep-alive.
HttpResponse json_response(const HttpRequest& req, unsigned status, std::string body);
HttpResponse error_response(const HttpRequest& req, unsigned status, std::string_view message);

// The static file under ctx.options.web_root for the request target, or 404.
HttpResponse static_file(const NetContext& ctx, const HttpRequest& req);

}  // namespace parley
