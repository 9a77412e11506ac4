#pragma once
// The server API's view of webhooks (docs/api.md "Webhooks"):
//
//   GET  /api/v1/webhooks                       the endpoints, their event types and backlog
//   GET  /api/v1/webhooks/deliveries            deliveries, newest first (endpoint, state,
//                                               before, limit)
//   POST /api/v1/webhooks/deliveries/replay     dead deliveries made pending again
//
// `path` is the request's path after /api/v1/webhooks.
#include <string>
#include <vector>

#include "net/context.hpp"
#include "net/http_api.hpp"

namespace parley {

void handle_webhook_routes(NetContext& ctx, const HttpRequest& req, const std::vector<std::string>& path,
                           Responder respond);

}  // namespace parley
