#include "net/server_api_admin.hpp"

#include <boost/json.hpp>

#include "hub/hub.hpp"
#include "net/api_errors.hpp"
#include "net/api_values.hpp"
#include "protocol/command.hpp"
#include "protocol/encode.hpp"

namespace parley {
namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

const Actor kBackend = Actor::backend();

void mute(NetContext& ctx, const HttpRequest& req, const std::string& room, const std::string& user, bool on,
          const Responder& respond) {
  int64_t seconds = 0;
  if (on) {
    boost::system::error_code ec;
    auto v = json::parse(req.body(), ec);
    auto* s = !ec && v.is_object() ? v.as_object().if_contains("seconds") : nullptr;
    if (!s || !s->is_int64() || s->as_int64() < 1 || s->as_int64() > kMaxMuteSeconds) {
      return respond(api_error(req, 400, "bad_request",
                               "the body must be {\"seconds\": N}, N from 1 to " + std::to_string(kMaxMuteSeconds)));
    }
    seconds = s->as_int64();
  }
  ModerateRequest m{room, user, ModerationAction::mute, seconds, Role::member};
  ctx.hub.moderate(kBackend, std::move(m), [req, respond, room, user, seconds](Result<ModerationResult> r) {
    if (!r.ok()) return respond(status_error(req, r.status));
    json::object o{{"room", room}, {"user", user}, {"muted", seconds > 0}};
    if (seconds > 0) o["seconds"] = seconds;
    respond(json_response(req, 200, json::serialize(o)));
  });
}

void slow_mode(NetContext& ctx, const HttpRequest& req, const std::string& room, const Responder& respond) {
  boost::system::error_code ec;
  auto v = json::parse(req.body(), ec);
  auto* s = !ec && v.is_object() ? v.as_object().if_contains("seconds") : nullptr;
  if (!s || !s->is_int64() || s->as_int64() < 0 || s->as_int64() > kMaxSlowModeSeconds) {
    return respond(api_error(req, 400, "bad_request",
                             "the body must be {\"seconds\": N}, N from 0 (off) to " + std::to_string(kMaxSlowModeSeconds)));
  }
  ctx.hub.set_slow_mode(kBackend, room, s->as_int64(), [req, respond, room](Result<RoomState> r) {
    if (!r.ok()) return respond(status_error(req, r.status));
    respond(json_response(req, 200, json::serialize(json::object{{"room", room}, {"slow_mode_s", r.value.slow_mode_s}})));
  });
}

void delete_message(NetContext& ctx, const HttpRequest& req, const std::string& room, const std::string& seq_text,
                    const Responder& respond) {
  auto seq = int_from_text(seq_text);
  if (!seq || *seq < 1) return respond(api_error(req, 400, "bad_request", "the seq must be a positive integer"));
  PostRequest p;
  p.room = room;
  p.id = random_api_id("api-del-");
  p.kind = EntryKind::deleted;
  p.target = *seq;
  ctx.hub.post(kBackend, std::move(p), [req, respond, room, target = *seq](Result<Appended> r) {
    if (!r.ok()) return respond(status_error(req, r.status));
    respond(json_response(req, 200, json::serialize(json::object{
                                        {"room", room}, {"seq", target}, {"deleted", true}, {"entry_seq", r.value.message.seq}})));
  });
}

void roster(NetContext& ctx, const HttpRequest& req, const std::string& room, const boost::urls::url_view& url,
            const Responder& respond) {
  ReadsQuery q{room, "", 100};
  for (auto p : url.params()) {
    if (p.key == "after") q.after = p.value;
    if (p.key == "limit") {
      auto v = int_from_text(p.value);
      if (!v || *v < 1) return respond(api_error(req, 400, "bad_request", "limit must be a positive integer"));
      q.limit = static_cast<int>(std::min<int64_t>(*v, 500));
    }
  }
  // An unknown room would list nobody: tell it apart first.
  ctx.hub.room_info(kBackend, room, [&ctx, req, respond, q](Result<RoomState> info) {
    if (!info.ok()) return respond(status_error(req, info.status));
    ctx.hub.reads(kBackend, q, [req, respond, room = q.room](Result<ReadsPage> r) {
      if (!r.ok()) return respond(status_error(req, r.status));
      json::array members;
      for (auto& m : r.value.reads) {
        members.push_back(json::object{{"user", m.user}, {"role", role_name(m.role)}, {"read_seq", m.seq}});
      }
      json::object o{{"room", room}, {"members", std::move(members)}};
      o["next"] = r.value.next.empty() ? json::value(nullptr) : json::value(r.value.next);
      respond(json_response(req, 200, json::serialize(o)));
    });
  });
}

void user_rooms(NetContext& ctx, const HttpRequest& req, const std::string& user, const Responder& respond) {
  ctx.hub.user_rooms(kBackend, user, [req, respond, user](Result<std::vector<RoomState>> r) {
    if (!r.ok()) return respond(status_error(req, r.status));
    json::array rooms;
    for (auto& s : r.value) rooms.push_back(encode::membership_object(s));
    respond(json_response(req, 200, json::serialize(json::object{{"user", user}, {"rooms", std::move(rooms)}})));
  });
}

void search(NetContext& ctx, const HttpRequest& req, const boost::urls::url_view& url, const Responder& respond) {
  SearchQuery q;
  for (auto p : url.params()) {
    if (p.key == "user") q.user = p.value;
    if (p.key == "q") q.words = p.value;
    if (p.key == "room") q.room = p.value;
    if (p.key == "limit") {
      auto v = int_from_text(p.value);
      if (!v || *v < 1) return respond(api_error(req, 400, "bad_request", "limit must be a positive integer"));
      q.limit = static_cast<int>(std::min<int64_t>(*v, kMaxSearchLimit));
    }
  }
  if (q.words.empty() || q.words.size() > 256) {
    return respond(api_error(req, 400, "bad_request", "q must hold the words to find (at most 256 bytes)"));
  }
  const std::string words = q.words;
  ctx.hub.search(kBackend, std::move(q), [req, respond, words](Result<std::vector<ChatMessage>> r) {
    if (!r.ok()) return respond(status_error(req, r.status));
    json::array found;
    for (auto& m : r.value) {
      auto e = encode::history_entry(m);
      e["room"] = m.room;
      found.push_back(std::move(e));
    }
    respond(json_response(req, 200, json::serialize(json::object{{"query", words}, {"results", std::move(found)}})));
  });
}

}  // namespace

bool handle_admin_api(NetContext& ctx, const HttpRequest& req, const std::vector<std::string>& path,
                      const boost::urls::url_view& url, const Responder& respond) {
  const auto method = req.method();
  const bool get = method == http::verb::get || method == http::verb::head;
  if (path.size() == 1 && path[0] == "search") {
    if (!get) respond(not_allowed(req, "GET"));
    else search(ctx, req, url, respond);
    return true;
  }
  if (path.size() == 3 && path[0] == "users" && path[2] == "rooms") {
    if (!get) respond(not_allowed(req, "GET"));
    else user_rooms(ctx, req, path[1], respond);
    return true;
  }
  if (path.size() < 3 || path[0] != "rooms") return false;
  const std::string& room = path[1];
  if (path.size() == 3 && path[2] == "members") {
    if (!get) respond(not_allowed(req, "GET"));
    else roster(ctx, req, room, url, respond);
    return true;
  }
  if (path.size() == 4 && path[2] == "messages") {
    if (method != http::verb::delete_) respond(not_allowed(req, "DELETE"));
    else delete_message(ctx, req, room, path[3], respond);
    return true;
  }
  if (path.size() == 3 && path[2] == "slow_mode") {
    if (method != http::verb::put) respond(not_allowed(req, "PUT"));
    else slow_mode(ctx, req, room, respond);
    return true;
  }
  if (path.size() == 5 && path[2] == "members" && path[4] == "mute") {
    if (method == http::verb::put) mute(ctx, req, room, path[3], true, respond);
    else if (method == http::verb::delete_) mute(ctx, req, room, path[3], false, respond);
    else respond(not_allowed(req, "PUT, DELETE"));
    return true;
  }
  return false;
}

}  // namespace parley
