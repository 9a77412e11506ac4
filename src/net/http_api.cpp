#include "net/http_api.hpp"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <chrono>
#include <optional>

#include "auth/passwords.hpp"
#include "net/account_routes.hpp"
#include "net/my_account_routes.hpp"
#include "net/ops_routes.hpp"
#include "net/server_api.hpp"
#include "net/stream_routes.hpp"
#include "net/uploads.hpp"
#include "common/names.hpp"
#include "hub/hub.hpp"
#include "store/store.hpp"

namespace parley {
namespace http = boost::beast::http;
namespace json = boost::json;
using Request = HttpRequest;
using Response = HttpResponse;


Response json_response(const Request& req, unsigned status, std::string body) {
  Response res{static_cast<http::status>(status), req.version()};
  res.set(http::field::server, "parley");
  res.set(http::field::content_type, "application/json");
  res.set(http::field::cache_control, "no-store");
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  return res;
}

Response error_response(const Request& req, unsigned status, std::string_view message) {
  return json_response(req, status, json::serialize(json::object{{"error", message}}));
}

void handle_http(NetContext& ctx, const Request& req, const std::string& client, Responder respond) {
  std::string_view target = req.target();
  std::string_view path = target.substr(0, target.find('?'));
  const bool get = req.method() == http::verb::get || req.method() == http::verb::head;
  if (path == "/healthz" || path == "/readyz" || path == "/metrics") {
    if (!get) return respond(error_response(req, 405, "use GET"));
    if (path == "/readyz") return handle_readyz(ctx, req, std::move(respond));
    if (path == "/metrics") return handle_metrics(ctx, req, std::move(respond));
    return respond(json_response(req, 200, R"({"status":"ok"})"));
  }
  if (path.starts_with(kServerApiPrefix)) return handle_server_api(ctx, req, std::move(respond));
  if (path == "/api/push/key") {
    // The applicationServerKey a browser subscribes with (public: no token needed).
    if (!get) return respond(error_response(req, 405, "use GET"));
    return respond(json_response(req, 200, json::serialize(json::object{{"public_key", ctx.vapid_public_key}})));
  }
  if (path == "/api/uploads") {
    if (get) return handle_upload_limits(ctx, req, std::move(respond));
    if (req.method() != http::verb::post) return respond(error_response(req, 405, "use GET or POST"));
    return handle_upload(ctx, req, /*backend=*/false, std::move(respond));
  }
  if (path == kStreamPath || path.starts_with("/api/stream/")) return handle_stream_post(ctx, req, std::move(respond));
  if (path.starts_with("/api/uploads/")) return handle_download(ctx, req, /*backend=*/false, std::move(respond));
  if (path == "/api/password") {
    if (req.method() != http::verb::post) return respond(error_response(req, 405, "use POST"));
    return handle_password(ctx, req, client, respond);
  }
  if (path == "/api/logout") {
    if (req.method() != http::verb::post) return respond(error_response(req, 405, "use POST"));
    return handle_logout(ctx, req, respond);
  }
  if (path == "/api/account") {
    if (req.method() != http::verb::delete_) return respond(error_response(req, 405, "use DELETE"));
    return handle_delete_account(ctx, req, client, respond);
  }
  if (path == "/api/account/export") {
    if (!get) return respond(error_response(req, 405, "use GET"));
    return handle_export(ctx, req, respond);
  }
  if (path == "/api/register" || path == "/api/login") {
    if (req.method() != http::verb::post) return respond(error_response(req, 405, "use POST"));
    return path == "/api/register" ? handle_register(ctx, req, client, respond) : handle_login(ctx, req, client, respond);
  }
  if (path.starts_with("/api/")) return respond(error_response(req, 404, "no such endpoint"));
  if (path == "/ws") return respond(error_response(req, 426, "WebSocket upgrade required"));
  if (!get) return respond(error_response(req, 405, "use GET"));
  respond(static_file(ctx, req));
}

void handle_upload_post(NetContext& ctx, Request req, Responder respond) {
  std::string_view target = req.target();
  if (target.substr(0, target.find('?')) == "/api/uploads") return handle_upload(ctx, std::move(req), false, std::move(respond));
  if (!check_api_key(ctx, req, respond)) return;
  handle_upload(ctx, std::move(req), /*backend=*/true, std::move(respond));
}

}  // namespace parley
