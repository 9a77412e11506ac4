#include "protocol.hpp"

#include <random>
#include <stdexcept>

namespace parley::test {
namespace json = boost::json;

std::string new_id() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* hex = "0123456789abcdef";
  std::string id;
  for (int i = 0; i < 32; ++i) id.push_back(hex[rng() & 0xF]);
  return id;
}

namespace {
// Waits for the reply matching `ok`, failing early (with the error) if an error frame
// arrives for this request kind first.
json::object reply(WsClient& c, const Pred& ok, std::string_view what) {
  const Pred either = [&](const json::object& o) {
    return ok(o) || (o.if_contains("type") && o.at("type") == "error");
  };
  json::object r = c.expect(either, what);
  if (!ok(r)) throw std::runtime_error(c.name() + ": expected " + std::string(what) + ", got " + to_string(r));
  return r;
}
}  // namespace

json::object join(WsClient& c, std::string_view room) {
  c.send_json({{"type", "join"}, {"room", room}});
  return reply(c, has({{"type", "joined"}, {"room", room}}), "joined " + std::string(room));
}

json::object leave(WsClient& c, std::string_view room) {
  c.send_json({{"type", "leave"}, {"room", room}});
  return reply(c, has({{"type", "left"}, {"room", room}}), "left " + std::string(room));
}

std::string post_message(WsClient& c, std::string_view room, std::string_view text, std::string id) {
  if (id.empty()) id = new_id();
  c.send_json({{"type", "message"}, {"room", room}, {"id", id}, {"text", text}});
  return id;
}

json::object send_message(WsClient& c, std::string_view room, std::string_view text, std::string id) {
  id = post_message(c, room, text, std::move(id));
  const Pred ok = has({{"type", "ack"}, {"id", id}});
  const Pred either = [&](const json::object& o) { return ok(o) || has({{"type", "error"}, {"id", id}})(o); };
  json::object r = c.expect(either, "ack for " + id);
  if (!ok(r)) throw std::runtime_error(c.name() + ": message " + id + " refused: " + to_string(r));
  return r;
}

json::object sync(WsClient& c, std::string_view room, std::int64_t after, std::optional<std::int64_t> limit) {
  json::object req{{"type", "sync"}, {"room", room}, {"after", after}};
  if (limit) req["limit"] = *limit;
  c.send_json(req);
  return reply(c, has({{"type", "history"}, {"room", room}}), "history reply to sync in " + std::string(room));
}

json::object history(WsClient& c, std::string_view room, std::optional<std::int64_t> before,
                     std::optional<std::int64_t> limit) {
  json::object req{{"type", "history"}, {"room", room}};
  if (before) req["before"] = *before;
  if (limit) req["limit"] = *limit;
  c.send_json(req);
  return reply(c, has({{"type", "history"}, {"room", room}}), "history reply in " + std::string(room));
}

std::vector<json::object> all_messages(WsClient& c, std::string_view room) {
  std::vector<json::object> out;
  std::int64_t after = 0;
  for (int pages = 0; pages < 10000; ++pages) {
    json::object page = sync(c, room, after, 200);
    const json::array& msgs = page.at("messages").as_array();
    for (const auto& m : msgs) out.push_back(m.as_object());
    if (!msgs.empty()) after = get_int(msgs.back().as_object(), "seq");
    if (!page.at("has_more").as_bool() || msgs.empty()) break;
  }
  return out;
}

Pred error_with(std::string code) { return has({{"type", "error"}, {"code", code}}); }
Pred message_with_id(std::string id) { return has({{"type", "message"}, {"id", id}}); }
Pred presence(std::string room, std::string user, std::string status) {
  return has({{"type", "presence"}, {"room", room}, {"user", user}, {"status", status}});
}
Pred typing(std::string room, std::string user, bool active) {
  return has({{"type", "typing"}, {"room", room}, {"user", user}, {"active", active}});
}

std::vector<std::int64_t> seqs_of(const json::object& history_reply) {
  std::vector<std::int64_t> out;
  for (const auto& m : history_reply.at("messages").as_array()) out.push_back(get_int(m.as_object(), "seq"));
  return out;
}

}  // namespace parley::test
