// The account routes of the users themselves (docs/protocol.md → Accounts and tokens):
// registration, login and password change, the checks of a bearer token and of the current
// password the other routes of the user's own account share, with the login throttle (net/login_throttle.hpp)
// and the bound on password hashes at once in front of every Argon2id hash.
#include "net/account_routes.hpp"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <variant>

#include "auth/passwords.hpp"
#include "common/names.hpp"
#include "hub/hub.hpp"
#include "net/login_throttle.hpp"
#include "net/upgrade_check.hpp"
#include "net/uploads.hpp"
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

}  // namespace

void handle_register(NetContext& ctx, const Request& req, const std::string& client, Responder respond) {
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

void handle_login(NetContext& ctx, const Request& req, const std::string& client, Responder respond) {
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
      ctx.hub.check_token(creds.user, INT64_MAX, {}, [&ctx, req, respond, user = creds.user](Result<UserAccess> a) {
        if (a.status.code() == Status::Code::forbidden) return respond(error_response(req, 403, a.status.message()));
        if (!a.ok()) return respond(error_response(req, 503, "store unavailable"));
        respond(json_response(req, 200, token_body(ctx, user, a.value.token_version)));
      });
    });
  });
}

void with_bearer(NetContext& ctx, const Request& req, const Responder& respond,
                 std::function<void(TokenClaims)> then) {
  const std::string token = request_token(req, /*query=*/false);
  if (token.empty()) return respond(error_response(req, 401, "missing token (Authorization: Bearer)"));
  auto claims = ctx.jwt.verify(token, wall_ms() / 1000);
  if (!claims.ok()) return respond(error_response(req, 401, claims.status.message()));
  const std::string user = claims.value.sub, jti = claims.value.jti;
  const int64_t ver = claims.value.ver;
  ctx.hub.check_token(user, ver, jti, [req, respond, claims = std::move(claims.value), then = std::move(then)](Result<UserAccess> a) {
    if (!a.ok()) return respond(access_error(req, a.status));
    then(claims);
  });
}

Response access_error(const Request& req, const Status& status) {
  const auto code = status.code();
  const unsigned http_status = code == Status::Code::unauthorized ? 401
                               : code == Status::Code::forbidden  ? 403
                               : code == Status::Code::not_found  ? 404
                                                                  : 503;
  return error_response(req, http_status, http_status == 503 ? "store unavailable" : status.message());
}

void with_password(NetContext& ctx, const Request& req, const std::string& client, const Responder& respond,
                   std::string user, std::string password, std::function<void()> then) {
  // Guessing the current password here is throttled as a login is.
  LoginThrottle* throttle = ctx.login_throttle;
  if (throttle) {
    if (int64_t wait = throttle->login_wait_ms(client, user, wall_ms())) {
      return respond(throttled(req, wait, "too many failed logins: wait before the next try"));
    }
  }
  if (password.size() > kMaxPassword) return respond(error_response(req, 403, "wrong password"));
  auto slot = hash_slot(ctx, req, respond);
  if (!slot) return;
  ctx.store.password_hash(user, [&ctx, req, respond, client, throttle, user, password, then = std::move(then),
                                 slot = std::make_shared<UploadSlot>(std::move(*slot))](Result<std::string> r) {
    if (r.status.code() == Status::Code::not_found) return respond(error_response(req, 404, "this user has no password login"));
    if (!r.ok()) return respond(error_response(req, 503, "store unavailable"));
    ctx.run_blocking([req, respond, client, throttle, user, password, then, slot, hash = r.value] {
      if (!verify_password(password, hash)) {
        *slot = UploadSlot();
        if (throttle) throttle->failed(client, user, wall_ms());
        return respond(error_response(req, 403, "wrong password"));
      }
      if (throttle) throttle->succeeded(user);
      then();
      *slot = UploadSlot();
    });
  });
}

void handle_password(NetContext& ctx, const Request& req, const std::string& client, Responder respond) {
  with_bearer(ctx, req, respond, [&ctx, req, client, respond](const TokenClaims& claims) {
    boost::system::error_code ec;
    auto v = json::parse(req.body(), ec);
    const json::object* o = !ec && v.is_object() ? &v.as_object() : nullptr;
    const json::value* old_pw = o ? o->if_contains("password") : nullptr;
    const json::value* new_pw = o ? o->if_contains("new_password") : nullptr;
    if (!old_pw || !old_pw->is_string() || !new_pw || !new_pw->is_string()) {
      return respond(error_response(req, 400, "body must be {\"password\",\"new_password\"} (strings)"));
    }
    std::string fresh(new_pw->as_string());
    if (fresh.size() < kMinPassword || fresh.size() > kMaxPassword) {
      return respond(error_response(req, 400, "passwords have 8 to 1024 characters"));
    }
    const std::string user = claims.sub;
    with_password(ctx, req, client, respond, user, std::string(old_pw->as_string()), [&ctx, req, respond, user, fresh] {
      auto fresh_hash = hash_password(fresh);
      if (!fresh_hash) return respond(error_response(req, 503, "cannot hash password now, retry"));
      // Every token signed before (this one too) is revoked: the user's open connections
      // close with 4001 and reconnect with the token answered here.
      ctx.hub.change_password(Actor::of_user(user, 0), std::move(*fresh_hash),
                              [&ctx, req, respond, user](Result<UserAccess> done) {
                                if (!done.ok()) return respond(access_error(req, done.status));
                                respond(json_response(req, 200, token_body(ctx, user, done.value.token_version)));
                              });
    });
  });
}

}  // namespace parley
