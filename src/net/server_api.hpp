#pragma once
// The server API under /api/v1 (docs/api.md, docs/openapi.yaml): HTTP + JSON for the
// application backend, authenticated by the X-Parley-Api-Key header. Each route parses its
// request and hands it to the hub's server-API operations (hub.hpp), which apply the rules of
// the WebSocket commands; this file only translates between HTTP and those calls.
//
//   POST   /api/v1/rooms                           create a room
//   GET    /api/v1/rooms/{room}                    the room's last seq
//   PUT    /api/v1/rooms/{room}/members/{user}     add a member
//   DELETE /api/v1/rooms/{room}/members/{user}     remove a member
//   POST   /api/v1/rooms/{room}/messages           publish as a user or as the system
//   GET    /api/v1/rooms/{room}/messages           history (after | before, limit)
//   GET    /api/v1/rooms/{room}/online             online members
//   POST   /api/v1/uploads                         upload a file (net/uploads.hpp)
//   GET    /api/v1/uploads/{id}[/thumb]            download one
//   GET    /api/v1/webhooks[/deliveries]           webhook endpoints, deliveries (net/webhook_routes.hpp)
//   POST   /api/v1/webhooks/deliveries/replay      replay dead deliveries
//
// Without configured keys every path answers 404, as if the API did not exist.
#include <string_view>

#include "net/context.hpp"
#include "net/http_api.hpp"

namespace parley {

inline constexpr std::string_view kServerApiPrefix = "/api/v1/";
inline constexpr std::string_view kApiKeyHeader = "X-Parley-Api-Key";

// Whether the request carries a valid API key; if not, answers it (404 with the API off, 401)
// and returns false.
bool check_api_key(const NetContext& ctx, const HttpRequest& req, const Responder& respond);

// A request whose path starts with kServerApiPrefix.
void handle_server_api(NetContext& ctx, const HttpRequest& req, Responder respond);

}  // namespace parley
