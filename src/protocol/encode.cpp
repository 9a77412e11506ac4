#include "protocol/encode.hpp"

#include <algorithm>

#include <boost/json.hpp>

namespace parley::encode {
namespace json = boost::json;
namespace {

Frame finish(const json::object& o) { return std::make_shared<const std::string>(json::serialize(o)); }

void put_ref(json::object& o, const json::value& ref) {
  if (!ref.is_null()) o["ref"] = ref;
}

json::array names(const std::vector<std::string>& list) {
  json::array out;
  for (auto& u : list) out.push_back(json::string(u));
  return out;
}

// Who acted: `by`, or `system:true` for the backend.
void put_actor(json::object& o, const std::string& by) {
  if (by.empty()) {
    o["system"] = true;
  } else {
    o["by"] = by;
  }
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

std::string_view entry_type(EntryKind k) {
  switch (k) {
    case EntryKind::message: return "message";
    case EntryKind::edited: return "edited";
    case EntryKind::deleted: return "deleted";
    default: return "reaction";
  }
}

// The fields an edit, deletion or reaction adds: target, and text or emoji and op.
void put_entry_fields(json::object& o, const ChatMessage& m) {
  o["target"] = m.target;
  if (m.kind == EntryKind::edited) {
    o["text"] = m.text;
  } else if (m.kind == EntryKind::reaction_add || m.kind == EntryKind::reaction_remove) {
    o["emoji"] = m.text;
    o["op"] = m.kind == EntryKind::reaction_add ? "add" : "remove";
  }
}

// What a message holds besides its text: its thread, its data, its mentions.
void put_message_fields(json::object& o, const ChatMessage& m) {
  if (m.reply_to > 0) o["reply_to"] = m.reply_to;
  if (!m.data.empty()) {
    boost::system::error_code ec;
    json::value data = json::parse(m.data, ec);
    if (!ec) o["data"] = std::move(data);
  }
  if (!m.mentions.empty()) o["mentions"] = names(m.mentions);
  if (m.mention_room) o["mention_room"] = true;
  if (!m.attachments.empty()) {
    json::array files;
    for (const Attachment& f : m.attachments) {
      json::object a{{"id", f.id}, {"name", f.name}, {"type", f.type}, {"size", f.size}};
      if (f.width > 0) {
        a["width"] = f.width;
        a["height"] = f.height;
      }
      if (f.thumb) a["thumb"] = true;
      files.push_back(std::move(a));
    }
    o["attachments"] = std::move(files);
  }
}

json::object message_object(const ChatMessage& m) {
  json::object o{{"type", entry_type(m.kind)}, {"room", m.room}, {"id", m.id}, {"seq", m.seq}, {"ts", m.ts}};
  put_author(o, m);
  if (m.kind == EntryKind::message) {
    o["text"] = m.text;
    put_message_fields(o, m);
  } else {
    put_entry_fields(o, m);
  }
  return o;
}

// The membership fields of welcome's rooms and of joined.
void put_membership(json::object& o, const RoomState& r) {
  o["kind"] = kind_name(r.kind);
  o["role"] = role_name(r.role);
  if (!r.peer.empty()) o["with"] = r.peer;
  if (r.muted_until > 0) o["muted_until"] = r.muted_until;
  o["notify"] = notify_name(r.notify);
  o["mentions"] = r.mentions;
  if (r.slow_mode_s > 0) o["slow_mode_s"] = r.slow_mode_s;
}

// How a room tells its presence (`joined`, `occupancy`).
std::string_view presence_mode(bool by_count) { return by_count ? "count" : "members"; }


}  // namespace

json::object membership_object(const RoomState& r) {
  json::object o{{"room", r.room}, {"last_seq", r.last_seq}, {"read_seq", r.read_seq}};
  put_membership(o, r);
  return o;
}

// A status as the protocol tells it: {"state":"online"|"away","text":…}.
json::object status_object(const UserStatus& s) {
  json::object o{{"state", s.away ? "away" : "online"}};
  if (!s.text.empty()) o["text"] = s.text;
  return o;
}

Frame welcome(std::string_view user, const std::vector<RoomState>& rooms, const std::vector<std::string>& blocked,
              const UserStatus& status, int64_t heartbeat_ms) {
  json::array list;
  list.reserve(rooms.size());
  for (auto& r : rooms) {
    list.push_back(membership_object(r));
  }
  return finish(json::object{{"type", "welcome"},
                             {"user", user},
                             {"rooms", std::move(list)},
                             {"blocked", names(blocked)},
                             {"status", status_object(status)},
                             {"heartbeat_ms", heartbeat_ms}});
}

json::array read_list(const std::vector<ReadPosition>& reads) {
  json::array out;
  out.reserve(reads.size());
  for (auto& r : reads) out.push_back(json::object{{"user", r.user}, {"seq", r.seq}});
  return out;
}

Frame joined(const RoomState& room, const std::vector<std::string>& online, int64_t online_count, bool by_count,
             const json::value& ref) {
  const RoomExtras& extras = room.extras;
  json::object o{{"type", "joined"}, {"room", room.room}, {"last_seq", room.last_seq}, {"read_seq", room.read_seq}};
  put_membership(o, room);
  o["online"] = names(online);
  o["online_count"] = std::max<int64_t>(online_count, static_cast<int64_t>(online.size()) + 1);
  o["presence"] = presence_mode(by_count);
  json::array pins;
  for (auto& p : extras.pins) {
    json::object e{{"seq", p.seq}, {"ts", p.ts}};
    put_actor(e, p.by);
    pins.push_back(std::move(e));
  }
  o["pins"] = std::move(pins);
  o["reads"] = read_list(extras.reads);
  if (!extras.reads_next.empty()) o["reads_next"] = extras.reads_next;
  json::array statuses;
  for (auto& m : extras.statuses) {
    json::object e = status_object(m.status);
    e["user"] = m.user;
    statuses.push_back(std::move(e));
  }
  o["statuses"] = std::move(statuses);
  put_ref(o, ref);
  return finish(o);
}

Frame online(std::string_view room, const std::vector<std::string>& users, int64_t count, std::string_view next,
             const json::value& ref) {
  json::object o{{"type", "online"}, {"room", room}, {"users", names(users)}, {"online_count", count}};
  if (!next.empty()) o["next"] = next;
  put_ref(o, ref);
  return finish(o);
}

Frame occupancy(std::string_view room, int64_t count, bool by_count) {
  return finish(json::object{
      {"type", "occupancy"}, {"room", room}, {"online_count", count}, {"presence", presence_mode(by_count)}});
}

Frame left(std::string_view room, const json::value& ref, std::string_view reason) {
  json::object o{{"type", "left"}, {"room", room}};
  if (!reason.empty()) o["reason"] = reason;
  put_ref(o, ref);
  return finish(o);
}

std::string_view left_reason_name(LeftReason r) {
  switch (r) {
    case LeftReason::kicked: return "kicked";
    case LeftReason::banned: return "banned";
    case LeftReason::removed: return "removed";
    default: return {};
  }
}

Frame member(std::string_view room, const MemberNotice& n) {
  json::object o{{"type", "member"}, {"room", room}, {"user", n.user}, {"action", member_action_name(n.action)}};
  put_actor(o, n.by);
  if (n.action == MemberAction::role) o["role"] = role_name(n.role);
  if (n.action == MemberAction::muted) o["until"] = n.until;
  return finish(o);
}

Frame room_event(const RoomEvent& e) {
  return std::visit(
      [&](const auto& p) -> Frame {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, MessageStored>) return message(p.message);
        else if constexpr (std::is_same_v<T, TypingChanged>) return typing(e.room, p.user, p.active);
        else if constexpr (std::is_same_v<T, PresenceChanged>) return presence(e.room, p.user, p.online);
        else if constexpr (std::is_same_v<T, ReadMoved>) return read(e.room, p.user, p.seq);
        else if constexpr (std::is_same_v<T, MemberNotice>) return member(e.room, p);
        else if constexpr (std::is_same_v<T, PinChanged>) return pinned(e.room, p);
        else if constexpr (std::is_same_v<T, SlowModeChanged>) return slow_mode(e.room, p);
        else return status(e.room, p.user, p.status);
      },
      e.payload);
}

Frame user_event(const UserEvent& e) {
  return std::visit(
      [&](const auto& p) -> Frame {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, MembershipJoined>) {
          return joined(p.state, p.online, p.online_count, p.by_count, nullptr);
        }
        else if constexpr (std::is_same_v<T, MembershipLeft>) return left(p.room, nullptr, left_reason_name(p.reason));
        else if constexpr (std::is_same_v<T, BlocksChanged>) return blocks(p.blocked, nullptr);
        else if constexpr (std::is_same_v<T, MentionsChanged>) return mentions(p.room, p.count);
        else if constexpr (std::is_same_v<T, NotifyChanged>) return notify(p.room, p.level, p.mentions, nullptr);
        else return Frame{};  // AccessChanged closes connections; no frame
      },
      e.payload);
}

Frame status(std::string_view room, std::string_view user, const UserStatus& s) {
  json::object o{{"type", "status"}, {"room", room}, {"user", user}, {"state", s.away ? "away" : "online"}};
  if (!s.text.empty()) o["text"] = s.text;
  return finish(o);
}

Frame slow_mode(std::string_view room, const SlowModeChanged& p) {
  json::object o{{"type", "slow_mode"}, {"room", room}, {"seconds", p.seconds}};
  put_actor(o, p.by);
  return finish(o);
}

Frame pinned(std::string_view room, const PinChanged& p) {
  json::object o{{"type", "pinned"}, {"room", room}, {"seq", p.seq}, {"pinned", p.pinned}, {"ts", p.ts}};
  put_actor(o, p.by);
  return finish(o);
}

Frame reads(std::string_view room, const std::vector<ReadPosition>& reads, std::string_view next, const json::value& ref) {
  json::object o{{"type", "reads"}, {"room", room}, {"reads", read_list(reads)}};
  if (!next.empty()) o["next"] = next;
  put_ref(o, ref);
  return finish(o);
}

Frame members(std::string_view room, const std::vector<ReadPosition>& members, std::string_view next,
              const json::value& ref) {
  json::array list;
  list.reserve(members.size());
  for (auto& m : members) {
    list.push_back(json::object{{"user", m.user}, {"role", role_name(m.role)}, {"read_seq", m.seq}});
  }
  json::object o{{"type", "members"}, {"room", room}, {"members", std::move(list)}};
  if (!next.empty()) o["next"] = next;
  put_ref(o, ref);
  return finish(o);
}

Frame mentions(std::string_view room, int64_t count) {
  return finish(json::object{{"type", "mentions"}, {"room", room}, {"count", count}});
}

Frame notify(std::string_view room, NotifyLevel level, int64_t mentions, const json::value& ref) {
  json::object o{{"type", "notify"}, {"room", room}, {"level", notify_name(level)}, {"mentions", mentions}};
  put_ref(o, ref);
  return finish(o);
}

Frame thread(std::string_view room, int64_t root, const MessagePage& page, const json::value& ref) {
  json::array list;
  list.reserve(page.messages.size());
  for (auto& m : page.messages) list.push_back(history_entry(m));
  json::object o{{"type", "thread"}, {"room", room}, {"seq", root}, {"messages", std::move(list)}, {"has_more", page.has_more}};
  put_ref(o, ref);
  return finish(o);
}

Frame blocks(const std::vector<std::string>& blocked, const json::value& ref) {
  json::object o{{"type", "blocks"}, {"blocked", names(blocked)}};
  put_ref(o, ref);
  return finish(o);
}

Frame results(std::string_view query, const std::vector<ChatMessage>& found, const json::value& ref) {
  json::array list;
  list.reserve(found.size());
  for (auto& m : found) {
    auto e = history_entry(m);
    e["room"] = m.room;
    list.push_back(std::move(e));
  }
  json::object o{{"type", "results"}, {"query", query}, {"messages", std::move(list)}};
  put_ref(o, ref);
  return finish(o);
}

Frame ok(const json::value& ref) {
  json::object o{{"type", "ok"}};
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
  if (m.kind != EntryKind::message) {
    o["kind"] = entry_type(m.kind);
    put_entry_fields(o, m);
    return o;
  }
  o["text"] = m.text;
  put_message_fields(o, m);
  if (m.reply_count > 0) {
    o["reply_count"] = m.reply_count;
    o["last_reply_ts"] = m.last_reply_ts;
  }
  if (m.edited_ts > 0) o["edited_ts"] = m.edited_ts;
  if (m.deleted) o["deleted"] = true;
  if (!m.reactions.empty()) {
    json::array list;
    for (auto& r : m.reactions) {
      list.push_back(json::object{
          {"emoji", r.emoji}, {"count", static_cast<int64_t>(r.users.size())}, {"users", names(r.users)}});
    }
    o["reactions"] = std::move(list);
  }
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

Frame error(std::string_view code, std::string_view message, const json::value& ref, std::string_view id,
            int64_t until, int64_t retry_after_ms) {
  json::object o{{"type", "error"}, {"code", code}, {"message", message}};
  if (!id.empty()) o["id"] = id;
  if (until > 0) o["until"] = until;
  if (retry_after_ms > 0) o["retry_after_ms"] = retry_after_ms;
  put_ref(o, ref);
  return finish(o);
}

}  // namespace parley::encode
