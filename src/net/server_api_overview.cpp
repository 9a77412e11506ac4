#include "net/server_api_overview.hpp"

#include <boost/json.hpp>
#include <variant>

#include "hub/hub.hpp"
#include "net/api_errors.hpp"
#include "net/api_values.hpp"

namespace parley {
namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

const Actor kBackend = Actor::backend();

// The `limit` parameter (1..max, `fallback` when absent), or the text of a 400.
std::variant<int, std::string> limit_of(const boost::urls::url_view& url, int fallback, int max) {
  int limit = fallback;
  for (auto p : url.params()) {
    if (p.key != "limit") continue;
    auto v = int_from_text(p.value);
    if (!v || *v < 1) return std::string("limit must be a positive integer");
    limit = static_cast<int>(std::min<int64_t>(*v, max));
  }
  return limit;
}

void list_rooms(NetContext& ctx, const HttpRequest& req, const boost::urls::url_view& url, const Responder& respond) {
  auto limit = limit_of(url, 100, kMaxRoomListPage);
  if (auto* why = std::get_if<std::string>(&limit)) return respond(api_error(req, 400, "bad_request", *why));
  RoomListQuery q{"", std::get<int>(limit)};
  for (auto p : url.params()) {
    if (p.key == "after") q.after = p.value;
  }
  ctx.hub.list_rooms(kBackend, std::move(q), [req, respond](Result<RoomListPage> r) {
    if (!r.ok()) return respond(status_error(req, r.status));
    json::array rooms;
    for (const auto& s : r.value.rooms) {
      rooms.push_back(json::object{{"room", s.room},
                                   {"kind", kind_name(s.kind)},
                                   {"members", s.members},
                                   {"last_seq", s.last_seq},
                                   {"messages_last_hour", s.recent_messages},
                                   {"slow_mode_s", s.slow_mode_s}});
    }
    json::object o{{"rooms", std::move(rooms)}};
    o["next"] = r.value.next.empty() ? json::value(nullptr) : json::value(r.value.next);
    respond(json_response(req, 200, json::serialize(o)));
  });
}

void connections(NetContext& ctx, const HttpRequest& req, const boost::urls::url_view& url, const Responder& respond) {
  auto limit = limit_of(url, 100, kMaxConnectionsPage);
  if (auto* why = std::get_if<std::string>(&limit)) return respond(api_error(req, 400, "bad_request", *why));
  auto r = ctx.hub.connections(kBackend, std::get<int>(limit));
  if (!r.ok()) return respond(status_error(req, r.status));
  json::array users;
  for (const auto& u : r.value.users) users.push_back(json::object{{"user", u.user}, {"connections", u.connections}});
  respond(json_response(req, 200, json::serialize(json::object{{"node", ctx.node_id},
                                                                {"total", r.value.total},
                                                                {"users_total", r.value.users_total},
                                                                {"users", std::move(users)}})));
}

}  // namespace

bool handle_overview_api(NetContext& ctx, const HttpRequest& req, const std::vector<std::string>& path,
                         const boost::urls::url_view& url, const Responder& respond) {
  const auto method = req.method();
  const bool get = method == http::verb::get || method == http::verb::head;
  if (path.size() == 1 && path[0] == "connections") {
    if (!get) respond(not_allowed(req, "GET"));
    else connections(ctx, req, url, respond);
    return true;
  }
  // POST /api/v1/rooms (create) stays with server_api.cpp.
  if (path.size() == 1 && path[0] == "rooms" && get) {
    list_rooms(ctx, req, url, respond);
    return true;
  }
  return false;
}

}  // namespace parley
