#include "metrics_scrape.hpp"

#include <sstream>
#include <stdexcept>
#include <thread>

#include "http_client.hpp"

namespace parley::test {

double MetricsPage::at(const std::string& s) const {
  auto it = samples.find(s);
  if (it == samples.end()) throw std::runtime_error("no metric " + s + " in:\n" + text);
  return it->second;
}

MetricsPage scrape_metrics(std::uint16_t port) {
  HttpResponse r = http_get(port, "/metrics");
  if (r.status != 200) throw std::runtime_error("GET /metrics: HTTP " + std::to_string(r.status) + " " + r.error + r.body);
  if (r.header("Content-Type").rfind("text/plain; version=0.0.4", 0) != 0)
    throw std::runtime_error("GET /metrics: content type " + r.header("Content-Type"));
  MetricsPage page;
  page.text = r.body;
  std::istringstream in(r.body);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    auto space = line.rfind(' ');
    if (space == std::string::npos) throw std::runtime_error("bad metrics line: " + line);
    std::size_t used = 0;
    const std::string value = line.substr(space + 1);
    double v = std::stod(value, &used);
    if (used != value.size()) throw std::runtime_error("bad metrics value: " + line);
    page.samples[line.substr(0, space)] = v;
  }
  return page;
}

MetricsPage await_metric(std::uint16_t port, const std::string& s, const std::function<bool(double)>& pred,
                         std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    MetricsPage page = scrape_metrics(port);
    if ((page.has(s) && pred(page.at(s))) || std::chrono::steady_clock::now() >= deadline) return page;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string series(const std::string& name, const std::string& label, const std::string& value) {
  return name + "{" + label + "=\"" + value + "\"}";
}

}  // namespace parley::test
