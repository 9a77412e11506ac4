#include "net/http_api.hpp"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <chrono>
#include <optional>

#include "auth/passwords.hpp"
#include "net/login_throttle.hpp"
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

namespace {

struct Credentials {
  std::string user;
  std::string password;
};

// Parses {"user","password"}; on failure returns the message for a 400.
std::variant<Credentials, std::string> credentials_of(const Request& req) {
  boost::system::error_code ec;
  auto v = json::parse(req.body(), ec);
  if (ec || !v.is_object()) return std::string("body must be a JSON object {\"user\",\"password\"}");
  auto* user = v.as_object().if_contains("user");
  auto* password = v.as_object().if_contains("password");
  if (!user || !user->is_string() || !password || !password->is_string()) {
    return std::string("fields 'user' and 'password' must be strings");
  }
  if (!valid_user_name(user->as_string())) return std::string("user names are [a-z0-9_]{1,32}");
  return Credentials{std::string(user->as_string()), std::string(password->as_string())};
}

std::string token_body(const NetContext& ctx, const std::string& user, int64_t ver) {
  using namespace std::chrono;
  int64_t now = duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
  return json::serialize(json::object{{"token", ctx.jwt.sign({user, now + ctx.options.token_ttl_s, ver})},
                                      {"user", user},
                                      {"expires_in", ctx.options.token_ttl_s}});
}

// 429 with Retry-After (whole seconds, rounded up) and the wait in ms.
Response throttled(const Request& req, int64_t wait_ms, std::string_view message) {
  auto res = json_response(req, 429, json::serialize(json::object{{"error", message}, {"retry_after_ms", wait_ms}}));
  res.set(http::field::retry_after, std::to_string((wait_ms + 999) / 1000));
  return res;
}

// A slot of the password-hash limit, or a 503 answered (Argon2id work is bounded: guesses
// cannot take every core).
std::optional<UploadSlot> hash_slot(NetContext& ctx, const Request& req, const Responder& respond) {
  auto slot = UploadSlot::acquire(ctx.hashes_in_flight, std::max(1, ctx.options.password_hash_concurrency));
  if (slot.held()) return slot;
  auto res = error_response(req, 503, "busy checking passwords, retry shortly");
  res.set(http::field::retry_after, "1");
  respond(std::move(res));
  return std::nullopt;
}

int64_t wall_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

void do_register(NetContext& ctx, const Request& req, const std::string& client, Responder respond) {
  auto parsed = credentials_of(req);
  if (auto* why = std::get_if<std::string>(&parsed)) return respond(error_response(req, 400, *why));
  auto creds = std::get<Credentials>(std::move(parsed));
  if (creds.password.size() < kMinPassword || creds.password.size() > kMaxPassword) {
    return respond(error_response(req, 400, "passwords have 8 to 1024 characters"));
  }
  if (ctx.login_throttle) {
    if (int64_t wait = ctx.login_throttle->take_registration(client, wall_ms())) {
      return respond(throttled(req, wait, "too many registrations from this address"));
    }
  }
  auto slot = hash_slot(ctx, req, respond);
  if (!slot) return;
  // Argon2id takes tens of milliseconds: hash off the I/O thread.
  ctx.run_blocking([&ctx, req, respond, creds = std::move(creds), slot = std::make_shared<UploadSlot>(std::move(*slot))] {
    auto hash = hash_password(creds.password);
    *slot = UploadSlot();
    if (!hash) return respond(error_response(req, 503, "cannot hash password now, retry"));
    ctx.store.create_user(creds.user, *hash, [&ctx, req, respond, user = creds.user](Result<bool> r) {
      if (r.status.code() == Status::Code::conflict) return respond(error_response(req, 409, "user name taken"));
      if (!r.ok()) return respond(error_response(req, 503, "store unavailable"));
      spdlog::info("user {} registered", user);
      respond(json_response(req, 201, token_body(ctx, user, 0)));
    });
  });
}

void do_login(NetContext& ctx, const Request& req, const std::string& client, Responder respond) {
  auto parsed = credentials_of(req);
  if (auto* why = std::get_if<std::string>(&parsed)) return respond(error_response(req, 400, *why));
  auto creds = std::get<Credentials>(std::move(parsed));
  if (creds.password.size() > kMaxPassword) return respond(error_response(req, 401, "wrong user or password"));
  // Throttled before any hashing: a refused guess costs the server nothing.
  LoginThrottle* throttle = ctx.login_throttle;
  if (throttle) {
    if (int64_t wait = throttle->login_wait_ms(client, creds.user, wall_ms())) {
      return respond(throttled(req, wait, "too many failed logins: wait before the next try"));
    }
  }
  auto slot = hash_slot(ctx, req, respond);
  if (!slot) return;
  ctx.store.password_hash(creds.user, [&ctx, req, respond, creds, client, throttle,
                                       slot = std::make_shared<UploadSlot>(std::move(*slot))](Result<std::string> r) {
    if (!r.ok() && r.status.code() != Status::Code::not_found) {
      return respond(error_response(req, 503, "store unavailable"));
    }
    ctx.run_blocking([&ctx, req, respond, creds, client, throttle, slot, found = r.ok(), hash = r.value] {
      // An unknown user costs the same hashing work as a wrong password: no name probing by timing.
      static const std::string decoy = hash_password("parley-decoy-password").value_or("");
      bool good = verify_password(creds.password, found ? hash : decoy) && found;
      *slot = UploadSlot();
      if (!good) {
        if (throttle) throttle->failed(client, creds.user, wall_ms());
        return respond(error_response(req, 401, "wrong user or password"));
      }
      if (throttle) throttle->succeeded(creds.user);
      // A disabled user is told so (the password was right); the token carries the user's
      // current version, so it outlives earlier revocations.
      ctx.hub.check_token(creds.user, INT64_MAX, [&ctx, req, respond, user = creds.user](Result<UserAccess> a) {
        if (a.status.code() == Status::Code::forbidden) return respond(error_response(req, 403, a.status.message()));
        if (!a.ok()) return respond(error_response(req, 503, "store unavailable"));
        respond(json_response(req, 200, token_body(ctx, user, a.value.token_version)));
      });
    });
  });
}

}  // namespace

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
  if (path == "/api/register" || path == "/api/login") {
    if (req.method() != http::verb::post) return respond(error_response(req, 405, "use POST"));
    return path == "/api/register" ? do_register(ctx, req, client, respond) : do_login(ctx, req, client, respond);
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
