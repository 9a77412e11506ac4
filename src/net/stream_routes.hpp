#pragma once
// The fallback transport's HTTP side (docs/protocol.md → "Fallback transport"):
// `GET /api/stream` opens a connection's event stream (HttpSession hands it to SseSession);
// `POST /api/stream/{session}` carries commands for it, one JSON command a line, and may
// reach any node: the hub relays them to the node holding the session.
#include <string_view>

#include "net/context.hpp"
#include "net/http_api.hpp"
#include "net/http_types.hpp"

namespace parley {

inline constexpr std::string_view kStreamPath = "/api/stream";
// At most this many commands in one POST.
inline constexpr std::size_t kMaxStreamCommands = 100;

// A GET of the event stream.
bool is_stream_request(const HttpRequest& req);

// A POST to /api/stream/{session}: 202 once the commands are handed to the session (their
// replies come down its stream), 401 without a valid bearer token, 404 when this node knows
// the session is gone, 503 when the bus did not take them.
void handle_stream_post(NetContext& ctx, const HttpRequest& req, Responder respond);

}  // namespace parley
