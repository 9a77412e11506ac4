#pragma once
// Renders Metrics in the Prometheus text exposition format (version 0.0.4), for GET /metrics.
// Runs on the scrape, never on the hot path: it sums every shard of every instrument.
#include <string>

#include "metrics/metrics.hpp"

namespace parley {

inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

std::string render_prometheus(const Metrics& m);

}  // namespace parley
