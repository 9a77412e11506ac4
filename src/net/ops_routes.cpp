#include "net/ops_routes.hpp"

#include <boost/json.hpp>
#include <memory>

#include "metrics/exposition.hpp"
#include "store/store.hpp"

namespace parley {
namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

HttpResponse readiness(const HttpRequest& req, const json::object& failed) {
  if (failed.empty()) return json_response(req, 200, R"({"status":"ready"})");
  return json_response(req, 503, json::serialize(json::object{{"status", "not_ready"}, {"failed", failed}}));
}

}  // namespace

void handle_metrics(NetContext& ctx, const HttpRequest& req, Responder respond) {
  HttpResponse res{http::status::ok, req.version()};
  res.set(http::field::server, "parley");
  res.set(http::field::content_type, kPrometheusContentType);
  res.set(http::field::cache_control, "no-store");
  res.keep_alive(req.keep_alive());
  res.body() = render_prometheus(ctx.metrics);
  respond(std::move(res));
}

void handle_readyz(NetContext& ctx, const HttpRequest& req, Responder respond) {
  if (ctx.draining) {
    auto res = readiness(req, json::object{{"draining", "the server is shutting down"}});
    res.keep_alive(false);
    return respond(std::move(res));
  }
  // The store answers on its own thread, or not at all: whichever of its answer and the
  // time limit comes first responds.
  struct Probe {
    std::atomic<bool> answered{false};
    HttpRequest req;
    Responder respond;
    std::string bus;  // empty: connected
  };
  auto probe = std::make_shared<Probe>();
  probe->req = req;
  probe->respond = std::move(respond);
  probe->bus = ctx.bus_unavailable ? ctx.bus_unavailable() : std::string();
  auto finish = [probe](const std::string& store_problem) {
    if (probe->answered.exchange(true)) return;
    json::object failed;
    if (!store_problem.empty()) failed["store"] = store_problem;
    if (!probe->bus.empty()) failed["bus"] = probe->bus;
    probe->respond(readiness(probe->req, failed));
  };
  ctx.run_after(kReadyTimeout, [finish] {
    finish("no answer within " + std::to_string(kReadyTimeout.count()) + " ms");
  });
  ctx.store.ping([finish](Result<bool> r) { finish(r.ok() ? std::string() : r.status.message()); });
}

}  // namespace parley
