#include "net/server_api_users.hpp"

#include <boost/json.hpp>

#include "auth/jwt.hpp"
#include "auth/passwords.hpp"
#include "common/names.hpp"
#include "hub/hub.hpp"
#include "net/api_errors.hpp"
#include "net/api_values.hpp"

namespace parley {
namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

const Actor kBackend = Actor::backend();
constexpr int64_t kMaxTokenTtl = 30LL * 24 * 3600;

json::object standing(const std::string& user, const UserAccess& a) {
  json::object o{{"user", user},
                 {"account", a.account},
                 {"disabled", a.disabled},
                 {"deleted", a.deleted},
                 {"token_version", a.token_version}};
  if (a.account) o["created_ms"] = a.created_ms;
  return o;
}

Done<UserAccess> answer(const HttpRequest& req, const Responder& respond, const std::string& user, unsigned status = 200) {
  return [req, respond, user, status](Result<UserAccess> r) {
    if (!r.ok()) return respond(status_error(req, r.status));
    respond(json_response(req, status, json::serialize(standing(user, r.value))));
  };
}

// The body as an object: empty means {}.
std::optional<json::object> body_object(const HttpRequest& req) {
  if (req.body().empty()) return json::object{};
  boost::system::error_code ec;
  auto v = json::parse(req.body(), ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.as_object());
}

void create(NetContext& ctx, const HttpRequest& req, const Responder& respond) {
  auto body = body_object(req);
  auto* user = body ? body->if_contains("user") : nullptr;
  if (!user || !user->is_string()) {
    return respond(api_error(req, 400, "bad_request", "the body must be {\"user\": NAME, \"password\"?: TEXT}"));
  }
  std::string name(user->as_string());
  auto* password = body->if_contains("password");
  if (password && (!password->is_string() || password->as_string().size() < kMinPassword ||
                   password->as_string().size() > kMaxPassword)) {
    return respond(api_error(req, 400, "bad_request", "a password has 8 to 1024 characters"));
  }
  if (!password) return ctx.hub.create_user(kBackend, name, "", answer(req, respond, name, 201));
  // Argon2id takes tens of milliseconds: hash off the I/O thread.
  ctx.run_blocking([&ctx, req, respond, name, pw = std::string(password->as_string())] {
    auto hash = hash_password(pw);
    if (!hash) return respond(api_error(req, 503, "unavailable", "cannot hash the password now, retry"));
    ctx.hub.create_user(kBackend, name, *hash, answer(req, respond, name, 201));
  });
}

void sign_token(NetContext& ctx, const HttpRequest& req, const std::string& user, const Responder& respond) {
  auto body = body_object(req);
  int64_t ttl = ctx.options.token_ttl_s;
  if (auto* t = body ? body->if_contains("ttl_s") : nullptr) {
    if (!t->is_int64() || t->as_int64() < 1 || t->as_int64() > kMaxTokenTtl) {
      return respond(api_error(req, 400, "bad_request", "ttl_s is from 1 to 2592000 seconds"));
    }
    ttl = t->as_int64();
  } else if (!body) {
    return respond(api_error(req, 400, "bad_request", "the body must be a JSON object"));
  }
  if (!valid_user_name(user)) return respond(api_error(req, 400, "bad_request", "invalid user name"));
  ctx.hub.check_token(user, INT64_MAX, {}, [&ctx, req, respond, user, ttl](Result<UserAccess> r) {
    if (!r.ok()) return respond(status_error(req, r.status));
    const int64_t exp = ctx.clock.wall_ms() / 1000 + ttl;
    const std::string token = ctx.jwt.sign({user, exp, r.value.token_version});
    respond(json_response(req, 201, json::serialize(json::object{{"user", user},
                                                                 {"token", token},
                                                                 {"expires_at", exp * 1000},
                                                                 {"token_version", r.value.token_version}})));
  });
}

void remove(NetContext& ctx, const HttpRequest& req, const std::string& user, const boost::urls::url_view& url,
            const Responder& respond) {
  std::string fate = ctx.options.deleted_user_messages;
  if (auto it = url.params().find("messages"); it != url.params().end()) fate = (*it).value;
  if (fate != "keep" && fate != "erase") {
    return respond(api_error(req, 400, "bad_request", "messages is keep or erase"));
  }
  ctx.hub.delete_user(kBackend, user, fate == "erase" ? DeletedUserMessages::erase : DeletedUserMessages::keep,
                      answer(req, respond, user));
}

}  // namespace

bool handle_users_api(NetContext& ctx, const HttpRequest& req, const std::vector<std::string>& path,
                      const boost::urls::url_view& url, const Responder& respond) {
  if (path.empty() || path[0] != "users") return false;
  const auto method = req.method();
  if (path.size() == 1) {
    if (method != http::verb::post) respond(not_allowed(req, "POST"));
    else create(ctx, req, respond);
    return true;
  }
  const std::string& user = path[1];
  if (path.size() == 2) {
    if (method == http::verb::get || method == http::verb::head) ctx.hub.user_access(kBackend, user, answer(req, respond, user));
    else if (method == http::verb::delete_) remove(ctx, req, user, url, respond);
    else respond(not_allowed(req, "GET, DELETE"));
    return true;
  }
  if (path.size() != 3) return false;
  const std::string& action = path[2];
  std::optional<AccessChange> change;
  if (action == "revoke") change = AccessChange::revoke_tokens;
  else if (action == "disable") change = AccessChange::disable;
  else if (action == "enable") change = AccessChange::enable;
  else if (action != "tokens") return false;
  if (method != http::verb::post) {
    respond(not_allowed(req, "POST"));
  } else if (change) {
    ctx.hub.change_access(kBackend, user, *change, answer(req, respond, user));
  } else {
    sign_token(ctx, req, user, respond);
  }
  return true;
}

}  // namespace parley
