// Reading parleyd's GET /metrics (Prometheus text format) in tests: every sample by its
// series name as printed ("parley_errors_total{code=\"forbidden\"}"), so that a test reads
// the page before and after a scripted run and compares the deltas.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

namespace parley::test {

struct MetricsPage {
  std::map<std::string, double> samples;
  std::string text;  // the page as served, for failure messages

  // The sample `series`; throws naming the page when it is missing.
  double at(const std::string& series) const;
  bool has(const std::string& series) const { return samples.count(series) > 0; }
};

// GET /metrics; throws unless the answer is 200 with the Prometheus content type and every
// sample line parses.
MetricsPage scrape_metrics(std::uint16_t port);

// Scrapes until `pred` holds for the value of `series` (for counters bumped just after the
// event a client can see, e.g. once a write completes). Returns the last page; the caller
// asserts on it. Scrapes every 10 ms: there is no event to wait on inside the server.
MetricsPage await_metric(std::uint16_t port, const std::string& series, const std::function<bool(double)>& pred,
                         std::chrono::milliseconds timeout = std::chrono::seconds(5));

// "name{label=\"value\"}"
std::string series(const std::string& name, const std::string& label, const std::string& value);

}  // namespace parley::test
