#include "protocol/encode.hpp"

#include <boost/json.hpp>

namespace parley::encode {
namespace json = boost::json;
namespace {

Frame finish(const json::object& o) { return std::make_shared<const std::string>(json::serialize(o)); }

void put_ref(json::object& o, const json::value& ref) {
  if (!ref.is_null()) o["ref"] = ref;
}

// The author: `user`, or `system:true` for a system message (stored with an empty user,
// which no user name can be).
void put_author(json::object& o, const ChatMessage& m) {
  if (m.user.empty()) {
    o["system"] = true;
  } else {
    o["user"] = m.user;
  }
}

json::object message_object(const ChatMessage& m) {
  json::object o{{"type", "message"}, {"room", m.room}, {"id", m.id}, {"seq", m.seq}, {"ts", m.ts}};
  put_author(o, m);
  o["text"] = m.text;
  return o;
}

}  // namespace

Frame welcome(std::string_view user, const std::vector<RoomState>& rooms, int64_t heartbeat_ms) {
  json::array list;
  list.reserve(rooms.size());
  for (auto& r : rooms) {
    list.push_back(json::object{{"room", r.room}, {"last_seq", r.last_seq}, {"read_seq", r.read_seq}});
  }
  return finish(json::object{
      {"type", "welcome"}, {"user", user}, {"rooms", std::move(list)}, {"heartbeat_ms", heartbeat_ms}});
}

Frame joined(const RoomState& room, const std::vector<std::string>& online, const json::value& ref) {
  json::array who;
  for (auto& u : online) who.push_back(json::string(u));
  json::object o{{"type", "joined"},
                 {"room", room.room},
                 {"last_seq", room.last_seq},
                 {"read_seq", room.read_seq},
                 {"online", std::move(who)}};
  put_ref(o, ref);
  return finish(o);
}

Frame left(std::string_view room, const json::value& ref) {
  json::object o{{"type", "left"}, {"room", room}};
  put_ref(o, ref);
  return finish(o);
}

Frame message(const ChatMessage& m) { return finish(message_object(m)); }

Frame ack(std::string_view room, std::string_view id, int64_t seq, int64_t ts, const json::value& ref) {
  json::object o{{"type", "ack"}, {"id", id}, {"room", room}, {"seq", seq}, {"ts", ts}};
  put_ref(o, ref);
  return finish(o);
}

Frame typing(std::string_view room, std::string_view user, bool active) {
  return finish(json::object{{"type", "typing"}, {"room", room}, {"user", user}, {"active", active}});
}

Frame read(std::string_view room, std::string_view user, int64_t seq) {
  return finish(json::object{{"type", "read"}, {"room", room}, {"user", user}, {"seq", seq}});
}

Frame presence(std::string_view room, std::string_view user, bool online) {
  return finish(json::object{
      {"type", "presence"}, {"room", room}, {"user", user}, {"status", online ? "online" : "offline"}});
}

Frame history(std::string_view room, const MessagePage& page, const json::value& ref) {
  json::array list;
  list.reserve(page.messages.size());
  for (auto& m : page.messages) list.push_back(history_entry(m));
  json::object o{{"type", "history"}, {"room", room}, {"messages", std::move(list)}, {"has_more", page.has_more}};
  put_ref(o, ref);
  return finish(o);
}

json::object history_entry(const ChatMessage& m) {
  json::object o{{"id", m.id}, {"seq", m.seq}, {"ts", m.ts}};
  put_author(o, m);
  o["text"] = m.text;
  return o;
}

Frame reauth(int64_t expires_at_ms) {
  return finish(json::object{{"type", "reauth"}, {"expires_at", expires_at_ms}});
}

Frame authed(int64_t expires_at_ms, const json::value& ref) {
  json::object o{{"type", "authed"}, {"expires_at", expires_at_ms}};
  put_ref(o, ref);
  return finish(o);
}

Frame error(const ProtocolError& e) { return error(e.code, e.message, e.ref, e.id); }

Frame error(std::string_view code, std::string_view message, const json::value& ref, std::string_view id) {
  json::object o{{"type", "error"}, {"code", code}, {"message", message}};
  if (!id.empty()) o["id"] = id;
  put_ref(o, ref);
  return finish(o);
}

}  // namespace parley::encode
