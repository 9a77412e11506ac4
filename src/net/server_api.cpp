#include "net/server_api.hpp"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <optional>
#include <vector>

#include "auth/api_keys.hpp"
#include "net/api_errors.hpp"
#include "net/api_values.hpp"
#include "net/uploads.hpp"
#include "net/server_api_admin.hpp"
#include "net/server_api_overview.hpp"
#include "net/server_api_users.hpp"
#include "net/webhook_routes.hpp"
#include "hub/hub.hpp"
#include "protocol/encode.hpp"

namespace parley {
namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

using Request = HttpRequest;
using Response = HttpResponse;

const Actor kBackend = Actor::backend();

// The body as a JSON object, or the message of a 400.
std::variant<json::object, std::string> body_object(const Request& req) {
  boost::system::error_code ec;
  auto v = json::parse(req.body(), ec);
  if (ec) return "invalid JSON: " + ec.message();
  if (!v.is_object()) return std::string("the body must be a JSON object");
  return std::move(v.as_object());
}

void create_room(NetContext& ctx, const Request& req, Responder respond) {
  auto body = body_object(req);
  if (auto* why = std::get_if<std::string>(&body)) return respond(api_error(req, 400, "bad_request", *why));
  auto* room = std::get<json::object>(body).if_contains("room");
  if (!room || !room->is_string()) return respond(api_error(req, 400, "bad_request", "field 'room' must be a string"));
  std::string name(room->as_string());
  RoomKind kind = RoomKind::public_room;
  if (auto* k = std::get<json::object>(body).if_contains("kind")) {
    if (k->is_string() && k->as_string() == "private") {
      kind = RoomKind::private_room;
    } else if (!k->is_string() || k->as_string() != "public") {
      return respond(api_error(req, 400, "bad_request", "field 'kind' must be public or private"));
    }
  }
  ctx.hub.create_room(kBackend, name, kind, [req, respond, name](Result<Created> r) {
    if (!r.ok()) return respond(status_error(req, r.status));
    const bool created = r.value.created;
    respond(json_response(req, created ? 201 : 200, json::serialize(json::object{{"room", name}, {"created", created}})));
  });
}

// {"users":["alice","bob"]}: the pair's direct room.
void open_direct(NetContext& ctx, const Request& req, Responder respond) {
  auto body = body_object(req);
  if (auto* why = std::get_if<std::string>(&body)) return respond(api_error(req, 400, "bad_request", *why));
  auto* users = std::get<json::object>(body).if_contains("users");
  if (!users || !users->is_array() || users->as_array().size() != 2 || !users->as_array()[0].is_string() ||
      !users->as_array()[1].is_string()) {
    return respond(api_error(req, 400, "bad_request", "field 'users' must hold two user names"));
  }
  std::string a(users->as_array()[0].as_string()), b(users->as_array()[1].as_string());
  ctx.hub.open_direct(kBackend, a, b, [req, respond, a, b](Result<Joined> r) {
    if (!r.ok()) return respond(status_error(req, r.status));
    const RoomState& s = r.value.state;
    respond(json_response(req, 200, json::serialize(json::object{
                                        {"room", s.room}, {"kind", "direct"}, {"users", json::array{json::string(a), json::string(b)}},
                                        {"last_seq", s.last_seq}})));
  });
}

void room_info(NetContext& ctx, const std::string& room, const Request& req, Responder respond) {
  ctx.hub.room_info(kBackend, room, [req, respond](Result<RoomState> r) {
    if (!r.ok()) return respond(status_error(req, r.status));
    respond(json_response(req, 200, json::serialize(json::object{{"room", r.value.room},
                                                                  {"last_seq", r.value.last_seq},
                                                                  {"kind", kind_name(r.value.kind)},
                                                                  {"slow_mode_s", r.value.slow_mode_s}})));
  });
}

void add_member(NetContext& ctx, const std::string& room, const std::string& user, const Request& req, Responder respond) {
  ctx.hub.add_member(kBackend, room, user, [req, respond, user](Result<RoomState> r) {
    if (!r.ok()) return respond(status_error(req, r.status));
    respond(json_response(req, 200, json::serialize(json::object{{"room", r.value.room},
                                                                  {"user", user},
                                                                  {"last_seq", r.value.last_seq},
                                                                  {"read_seq", r.value.read_seq}})));
  });
}

void remove_member(NetContext& ctx, const std::string& room, const std::string& user, const Request& req,
                   Responder respond) {
  ctx.hub.remove_member(kBackend, room, user, [req, respond, room, user](Result<Ok> r) {
    if (!r.ok()) return respond(status_error(req, r.status));
    respond(json_response(req, 200, json::serialize(json::object{{"room", room}, {"user", user}, {"removed", true}})));
  });
}

// Kick, ban or unban `user` as the backend.
void moderate(NetContext& ctx, const std::string& room, const std::string& user, ModerationAction action,
              const Request& req, Responder respond, Role role = Role::member) {
  ModerateRequest m{room, user, action, 0, Role::member};
  m.role = role;
  ctx.hub.moderate(kBackend, std::move(m), [req, respond, room, user, action](Result<ModerationResult> r) {
    if (!r.ok()) return respond(status_error(req, r.status));
    const char* name = action == ModerationAction::kick ? "kicked" : action == ModerationAction::ban ? "banned" : "unbanned";
    if (action == ModerationAction::set_role) name = "role_set";
    respond(json_response(req, 200, json::serialize(json::object{
                                        {"room", room}, {"user", user}, {name, true}, {"was_member", r.value.was_member}})));
  });
}

void publish(NetContext& ctx, const std::string& room, const Request& req, Responder respond) {
  auto body = body_object(req);
  if (auto* why = std::get_if<std::string>(&body)) return respond(api_error(req, 400, "bad_request", *why));
  const auto& o = std::get<json::object>(body);
  auto bad = [&](std::string_view why) { respond(api_error(req, 400, "bad_request", why)); };
  const auto* text = o.if_contains("text");
  const auto* user = o.if_contains("user");
  const auto* system = o.if_contains("system");
  const auto* id = o.if_contains("id");
  const auto* data = o.if_contains("data");
  const auto* reply_to = o.if_contains("reply_to");
  const auto* files = o.if_contains("attachments");
  if (data && !data->is_null() && !data->is_object()) return bad("field 'data' must be an object");
  const bool has_data = data && data->is_object();
  std::vector<std::string> attachments;
  if (files && !files->is_null()) {
    if (!files->is_array()) return bad("field 'attachments' must be an array of upload ids");
    for (const auto& f : files->as_array()) {
      if (!f.is_string()) return bad("field 'attachments' must be an array of upload ids");
      attachments.emplace_back(f.as_string());
    }
  }
  if (text ? !text->is_string() : !has_data && attachments.empty()) return bad("field 'text' must be a string");
  if (reply_to && (!reply_to->is_int64() || reply_to->as_int64() < 1)) return bad("field 'reply_to' must be a seq >= 1");
  if (id && !id->is_string()) return bad("field 'id' must be a string");
  if (system && !system->is_bool()) return bad("field 'system' must be a boolean");
  const bool as_system = system && system->as_bool();
  if (as_system == (user != nullptr)) return bad("give either 'user' or \"system\":true");
  if (user && !user->is_string()) return bad("field 'user' must be a string");
  PostRequest p;
  p.room = room;
  p.id = id ? std::string(id->as_string()) : random_api_id("api-");
  if (text) p.text = std::string(text->as_string());
  if (has_data) p.data = json::serialize(*data);
  if (reply_to) p.reply_to = reply_to->as_int64();
  p.attachments = std::move(attachments);
  p.author = as_system ? std::string() : std::string(user->as_string());
  ctx.hub.post(kBackend, std::move(p), [req, respond](Result<Appended> r) {
    if (!r.ok()) return respond(status_error(req, r.status));
    const ChatMessage& m = r.value.message;
    respond(json_response(req, r.value.duplicate ? 200 : 201,
                          json::serialize(json::object{{"room", m.room},
                                                       {"id", m.id},
                                                       {"seq", m.seq},
                                                       {"ts", m.ts},
                                                       {"duplicate", r.value.duplicate}})));
  });
}

// A query parameter as an integer: nullopt when absent; false in `ok` when not an integer.
std::optional<int64_t> int_param(const boost::urls::url_view& url, std::string_view name, bool& ok) {
  auto it = url.params().find(name);
  if (it == url.params().end()) return std::nullopt;
  auto v = int_from_text((*it).value);
  if (!v) ok = false;
  return v.value_or(0);
}

// ?after=&before=&limit= of a page; false when one is not an integer.
bool page_query(const boost::urls::url_view& url, HistoryQuery& q) {
  bool ok = true;
  q.after = int_param(url, "after", ok);
  q.before = int_param(url, "before", ok);
  auto limit = int_param(url, "limit", ok);
  if (limit) q.limit = static_cast<int>(std::clamp<int64_t>(*limit, 0, kMaxPageLimit));
  return ok;
}

// The JSON answer of a page of entries; `root`: a thread's first message, or 0.
Done<MessagePage> page_answer(const Request& req, Responder respond, const std::string& room, int64_t root) {
  return [req, respond, room, root](Result<MessagePage> r) {
    if (!r.ok()) return respond(status_error(req, r.status));
    json::array messages;
    for (auto& m : r.value.messages) messages.push_back(encode::history_entry(m));
    json::object o{{"room", room}};
    if (root) o["seq"] = root;
    o["messages"] = std::move(messages);
    o["has_more"] = r.value.has_more;
    respond(json_response(req, 200, json::serialize(o)));
  };
}

void history(NetContext& ctx, const std::string& room, const boost::urls::url_view& url, const Request& req,
             Responder respond) {
  HistoryQuery q;
  if (!page_query(url, q)) return respond(api_error(req, 400, "bad_request", "after, before and limit must be integers"));
  ctx.hub.history(kBackend, room, q, page_answer(req, respond, room, 0));
}

// GET …/messages/{seq}/thread: a page of the thread's replies, like the history.
void thread(NetContext& ctx, const std::string& room, const std::string& seq, const boost::urls::url_view& url,
            const Request& req, Responder respond) {
  ThreadQuery q{room, int_from_text(seq).value_or(0), {}};
  if (q.root < 1) {
    return respond(api_error(req, 400, "bad_request", "the seq in the path must be an integer >= 1"));
  }
  if (!page_query(url, q.page)) return respond(api_error(req, 400, "bad_request", "after, before and limit must be integers"));
  const int64_t root = q.root;
  ctx.hub.thread(kBackend, std::move(q), page_answer(req, respond, room, root));
}

// GET …/online?after=&limit=: a page of the room's online members in name order (limit
// 1..10,000, default 1,000), how many are online, and where the next page starts.
void online(NetContext& ctx, const std::string& room, const boost::urls::url_view& url, const Request& req,
            Responder respond) {
  bool ok = true;
  OnlineQuery q{room, {}, 1000};
  auto limit = int_param(url, "limit", ok);
  if (!ok) return respond(api_error(req, 400, "bad_request", "limit must be an integer"));
  if (limit) q.limit = static_cast<int>(std::clamp<int64_t>(*limit, 1, 10000));
  if (auto it = url.params().find("after"); it != url.params().end()) q.after = (*it).value;
  ctx.hub.online(kBackend, std::move(q), [req, respond, room](Result<OnlineMembers> r) {
    if (!r.ok()) return respond(status_error(req, r.status));
    json::array users;
    for (auto& u : r.value.users) users.push_back(json::string(u));
    json::object o{{"room", room}, {"online", std::move(users)}, {"online_count", r.value.count}};
    if (!r.value.next.empty()) o["next"] = r.value.next;
    respond(json_response(req, 200, json::serialize(o)));
  });
}

}  // namespace

bool check_api_key(const NetContext& ctx, const Request& req, const Responder& respond) {
  if (!ctx.api_keys || ctx.api_keys->empty()) {
    respond(error_response(req, 404, "no such endpoint"));
    return false;
  }
  auto key = req[kApiKeyHeader];
  if (!ctx.api_keys->check(std::string_view(key.data(), key.size()))) {
    spdlog::info("api: {} {} refused: missing or wrong API key", std::string(req.method_string()), std::string(req.target()));
    respond(api_error(req, 401, "unauthorized", "missing or wrong X-Parley-Api-Key header"));
    return false;
  }
  return true;
}

void handle_server_api(NetContext& ctx, const Request& req, Responder respond) {
  if (!check_api_key(ctx, req, respond)) return;
  auto url = boost::urls::parse_origin_form(std::string_view(req.target().data(), req.target().size()));
  if (!url) return respond(api_error(req, 400, "bad_request", "malformed request target"));
  // The path after /api/v1: {"rooms"}, {"rooms", room}, {"rooms", room, "members", user}, ...
  std::vector<std::string> path;
  for (auto seg : url->segments()) path.push_back(seg);
  if (path.size() < 2 || path[0] != "api" || path[1] != "v1") return respond(error_response(req, 404, "no such endpoint"));
  path.erase(path.begin(), path.begin() + 2);

  const auto method = req.method();
  const bool get = method == http::verb::get || method == http::verb::head;
  if (path.size() == 1 && path[0] == "direct") {
    if (method != http::verb::post) return respond(not_allowed(req, "POST"));
    return open_direct(ctx, req, respond);
  }
  if (!path.empty() && path[0] == "uploads") {
    if (path.size() == 1) {
      if (method != http::verb::post) return respond(not_allowed(req, "POST"));
      return handle_upload(ctx, req, /*backend=*/true, respond);
    }
    return handle_download(ctx, req, /*backend=*/true, respond);
  }
  if (handle_overview_api(ctx, req, path, *url, respond)) return;
  if (handle_admin_api(ctx, req, path, *url, respond)) return;
  if (handle_users_api(ctx, req, path, *url, respond)) return;
  if (!path.empty() && path[0] == "webhooks") {
    return handle_webhook_routes(ctx, req, std::vector<std::string>(path.begin() + 1, path.end()), respond);
  }
  if (path.empty() || path[0] != "rooms") return respond(api_error(req, 404, "not_found", "no such endpoint"));
  if (path.size() == 1) {
    if (method != http::verb::post) return respond(not_allowed(req, "GET, POST"));
    return create_room(ctx, req, respond);
  }
  const std::string& room = path[1];
  if (path.size() == 2) {
    if (!get) return respond(not_allowed(req, "GET"));
    return room_info(ctx, room, req, respond);
  }
  if (path.size() == 3 && path[2] == "messages") {
    if (method == http::verb::post) return publish(ctx, room, req, respond);
    if (!get) return respond(not_allowed(req, "GET, POST"));
    return history(ctx, room, *url, req, respond);
  }
  if (path.size() == 5 && path[2] == "messages" && path[4] == "thread") {
    if (!get) return respond(not_allowed(req, "GET"));
    return thread(ctx, room, path[3], *url, req, respond);
  }
  if (path.size() == 3 && path[2] == "online") {
    if (!get) return respond(not_allowed(req, "GET"));
    return online(ctx, room, *url, req, respond);
  }
  if (path.size() == 4 && path[2] == "members") {
    if (method == http::verb::put) return add_member(ctx, room, path[3], req, respond);
    if (method == http::verb::delete_) return remove_member(ctx, room, path[3], req, respond);
    return respond(not_allowed(req, "PUT, DELETE"));
  }
  if (path.size() == 5 && path[2] == "members" && path[4] == "kick") {
    if (method != http::verb::post) return respond(not_allowed(req, "POST"));
    return moderate(ctx, room, path[3], ModerationAction::kick, req, respond);
  }
  if (path.size() == 5 && path[2] == "members" && path[4] == "role") {
    if (method != http::verb::put) return respond(not_allowed(req, "PUT"));
    auto body = body_object(req);
    if (auto* why = std::get_if<std::string>(&body)) return respond(api_error(req, 400, "bad_request", *why));
    auto* role = std::get<json::object>(body).if_contains("role");
    auto r = role && role->is_string() ? role_from_name(role->as_string()) : std::nullopt;
    if (!r) return respond(api_error(req, 400, "bad_request", "field 'role' must be owner, moderator or member"));
    return moderate(ctx, room, path[3], ModerationAction::set_role, req, respond, *r);
  }
  if (path.size() == 4 && path[2] == "bans") {
    if (method == http::verb::put) return moderate(ctx, room, path[3], ModerationAction::ban, req, respond);
    if (method == http::verb::delete_) return moderate(ctx, room, path[3], ModerationAction::unban, req, respond);
    return respond(not_allowed(req, "PUT, DELETE"));
  }
  respond(api_error(req, 404, "not_found", "no such endpoint"));
}

}  // namespace parley
