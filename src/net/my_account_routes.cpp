#include "net/my_account_routes.hpp"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include "hub/hub.hpp"
#include "net/account_routes.hpp"
#include "net/api_values.hpp"
#include "protocol/encode.hpp"

namespace parley {
namespace json = boost::json;

void handle_logout(NetContext& ctx, const HttpRequest& req, Responder respond) {
  with_bearer(ctx, req, respond, [&ctx, req, respond](const TokenClaims& claims) {
    ctx.hub.logout(Actor::of_user(claims.sub, 0), claims.jti, claims.exp, [req, respond](Result<Ok> r) {
      if (!r.ok()) return respond(access_error(req, r.status));
      respond(json_response(req, 200, R"({"status":"logged_out"})"));
    });
  });
}

void handle_delete_account(NetContext& ctx, const HttpRequest& req, const std::string& client, Responder respond) {
  with_bearer(ctx, req, respond, [&ctx, req, client, respond](const TokenClaims& claims) {
    boost::system::error_code ec;
    auto v = json::parse(req.body(), ec);
    auto* pw = !ec && v.is_object() ? v.as_object().if_contains("password") : nullptr;
    if (!pw || !pw->is_string()) return respond(error_response(req, 400, "body must be {\"password\"} (a string)"));
    const std::string user = claims.sub;
    // The current password, not only a token: a stolen token cannot delete the account.
    with_password(ctx, req, client, respond, user, std::string(pw->as_string()), [&ctx, req, respond, user] {
      const bool erase = ctx.options.deleted_user_messages == "erase";
      ctx.hub.delete_user(Actor::of_user(user, 0), user, erase ? DeletedUserMessages::erase : DeletedUserMessages::keep,
                          [req, respond, user, erase](Result<UserAccess> r) {
                            if (!r.ok()) return respond(access_error(req, r.status));
                            spdlog::info("user {} deleted their account", user);
                            respond(json_response(req, 200, json::serialize(json::object{
                                                                {"status", "deleted"}, {"messages", erase ? "erased" : "kept"}})));
                          });
    });
  });
}

void handle_export(NetContext& ctx, const HttpRequest& req, Responder respond) {
  auto url = boost::urls::parse_origin_form(req.target());
  if (!url) return respond(error_response(req, 400, "bad request target"));
  std::string after;
  int limit = kExportPage;
  for (auto p : url->params()) {
    if (p.key == "after") after = p.value;
    if (p.key == "limit") {
      auto n = int_from_text(p.value);
      if (!n || *n < 1 || *n > kExportPage) return respond(error_response(req, 400, "limit is 1 to 500"));
      limit = static_cast<int>(*n);
    }
  }
  with_bearer(ctx, req, respond, [&ctx, req, respond, after, limit](const TokenClaims& claims) {
    ctx.hub.export_data(Actor::of_user(claims.sub, 0), claims.sub, after, limit, [req, respond](Result<UserExport> r) {
      if (!r.ok()) return respond(access_error(req, r.status));
      json::object body{{"user", r.value.user}};
      if (r.value.next.empty()) body["next"] = nullptr;
      else body["next"] = r.value.next;
      json::array rooms, messages;
      for (auto& room : r.value.rooms) rooms.push_back(encode::membership_object(room));
      for (auto& m : r.value.messages) {
        auto e = encode::history_entry(m);
        e["room"] = m.room;
        messages.push_back(std::move(e));
      }
      body["rooms"] = std::move(rooms);
      body["messages"] = std::move(messages);
      respond(json_response(req, 200, json::serialize(body)));
    });
  });
}

}  // namespace parley
