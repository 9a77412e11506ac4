#pragma once
// The operations routes: GET /metrics (Prometheus text format) and GET /readyz (can this node
// serve traffic now). /healthz, the liveness check, stays in http_api.
#include "net/context.hpp"
#include "net/http_api.hpp"

namespace parley {

// 200 with every metric (metrics/exposition.hpp).
void handle_metrics(NetContext& ctx, const HttpRequest& req, Responder respond);

// 200 {"status":"ready"} when the store answered a trivial query within kReadyTimeout and the
// bus is connected; otherwise, and while draining, 503 {"status":"not_ready","failed":{...}}
// naming each failed part ("store", "bus", "draining") with the reason.
void handle_readyz(NetContext& ctx, const HttpRequest& req, Responder respond);

inline constexpr std::chrono::milliseconds kReadyTimeout{2000};

}  // namespace parley
