#include "bus/legacy_codec.hpp"

#include <boost/json.hpp>
#include <charconv>
#include <vector>

namespace parley::bus_codec::legacy {
namespace json = boost::json;
namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (std::size_t pos = 0;;) {
    auto next = s.find(sep, pos);
    out.push_back(s.substr(pos, next == std::string_view::npos ? std::string_view::npos : next - pos));
    if (next == std::string_view::npos) return out;
    pos = next + 1;
  }
}

template <class T>
bool number(std::string_view s, T& out) {
  return std::from_chars(s.data(), s.data() + s.size(), out).ec == std::errc{};
}

struct Fields {
  json::object o;
  std::string text(std::string_view key) const {
    auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
  }
  int64_t integer(std::string_view key) const {
    auto* v = o.if_contains(key);
    return v && v->is_int64() ? v->as_int64() : 0;
  }
  bool flag(std::string_view key) const {
    auto* v = o.if_contains(key);
    return v && v->is_bool() && v->as_bool();
  }
  std::vector<std::string> list(std::string_view key) const {
    std::vector<std::string> out;
    if (auto* v = o.if_contains(key); v && v->is_array()) {
      for (auto& s : v->as_array()) {
        if (s.is_string()) out.emplace_back(s.as_string());
      }
    }
    return out;
  }
};

// The header fields after "<R|U><kind>|" and the frame's object; false when malformed.
bool open(std::string_view payload, int& kind, std::vector<std::string_view>& header, Fields& frame) {
  auto nl = payload.find('\n');
  if (nl == std::string_view::npos || nl < 3 || payload[2] != '|') return false;
  kind = payload[1] - '0';
  header = split(payload.substr(3, nl - 3), '|');
  boost::system::error_code ec;
  auto doc = json::parse(payload.substr(nl + 1), ec);
  if (ec || !doc.is_object()) return false;
  frame.o = std::move(doc.as_object());
  return true;
}

Role role_named(std::string_view s) { return s == "owner" ? Role::owner : s == "moderator" ? Role::moderator : Role::member; }
RoomKind kind_named(std::string_view s) {
  return s == "private" ? RoomKind::private_room : s == "direct" ? RoomKind::direct : RoomKind::public_room;
}

std::optional<MemberAction> action_named(std::string_view s) {
  static constexpr std::pair<std::string_view, MemberAction> kNames[] = {
      {"invited", MemberAction::invited}, {"kicked", MemberAction::kicked},   {"banned", MemberAction::banned},
      {"unbanned", MemberAction::unbanned}, {"muted", MemberAction::muted}, {"unmuted", MemberAction::unmuted},
      {"role", MemberAction::role}};
  for (auto& [name, action] : kNames) {
    if (name == s) return action;
  }
  return std::nullopt;
}

// A message, edited, deleted or reaction frame as the entry it announces.
ChatMessage entry_of(const Fields& f, std::string_view room, int64_t seq) {
  ChatMessage m;
  m.room = std::string(room);
  m.seq = seq;
  m.ts = f.integer("ts");
  m.user = f.text("user");
  m.id = f.text("id");
  const std::string type = f.text("type");
  if (type == "message") {
    m.text = f.text("text");
  } else {
    m.target = f.integer("target");
    if (type == "edited") {
      m.kind = EntryKind::edited;
      m.text = f.text("text");
    } else if (type == "deleted") {
      m.kind = EntryKind::deleted;
    } else {
      m.kind = f.text("op") == "remove" ? EntryKind::reaction_remove : EntryKind::reaction_add;
      m.text = f.text("emoji");
    }
  }
  return m;
}

}  // namespace

Decoded decode(std::string_view room, std::string_view payload, RoomEvent& out) {
  int kind = -1;
  std::vector<std::string_view> header;
  Fields f;
  if (!open(payload, kind, header, f) || header.size() < 2) return Decoded::malformed;
  int64_t seq = 0, received_us = 0;
  if (!number(header[0], seq)) return Decoded::malformed;
  if (header.size() >= 3 && !number(header[2], received_us)) return Decoded::malformed;
  out.room = std::string(room);
  out.origin.clear();  // version 1 did not say; it is never this node
  switch (kind) {
    case 0:  // message
      if (seq <= 0) return Decoded::malformed;
      out.payload = MessageStored{entry_of(f, room, seq), received_us};
      return Decoded::ok;
    case 1: out.payload = ReadMoved{f.text("user"), f.integer("seq")}; return Decoded::ok;
    case 2: out.payload = TypingChanged{f.text("user"), f.flag("active")}; return Decoded::ok;
    case 3: out.payload = PresenceChanged{f.text("user"), f.text("status") == "online"}; return Decoded::ok;
    case 4: {
      auto action = action_named(f.text("action"));
      if (!action) return Decoded::unknown_kind;
      out.payload = MemberNotice{f.text("user"), *action, f.text("by"), role_named(f.text("role")), f.integer("until")};
      return Decoded::ok;
    }
    default: return Decoded::unknown_kind;
  }
}

Decoded decode(std::string_view user, std::string_view payload, UserEvent& out) {
  int kind = -1;
  std::vector<std::string_view> header;
  Fields f;
  if (!open(payload, kind, header, f) || header.size() < 3) return Decoded::malformed;
  out.user = std::string(user);
  out.origin = std::string(header[1]);
  if (!number(header[2], out.skip_conn)) return Decoded::malformed;
  // Version 1 marked changes made for the user by others with an empty origin.
  out.presence_pending = out.origin.empty();
  switch (kind) {
    case 0: {
      MembershipJoined j;
      j.state.room = std::string(header[0]);
      j.state.last_seq = f.integer("last_seq");
      j.state.read_seq = f.integer("read_seq");
      j.state.kind = kind_named(f.text("kind"));
      j.state.role = role_named(f.text("role"));
      j.state.peer = f.text("with");
      j.state.muted_until = f.integer("muted_until");
      j.online = f.list("online");
      out.payload = std::move(j);
      return Decoded::ok;
    }
    case 1: {
      const std::string reason = f.text("reason");
      LeftReason r = reason == "kicked"   ? LeftReason::kicked
                     : reason == "banned" ? LeftReason::banned
                     : reason == "removed" ? LeftReason::removed
                                           : LeftReason::left;
      out.payload = MembershipLeft{std::string(header[0]), r};
      return Decoded::ok;
    }
    case 2: out.payload = BlocksChanged{f.list("blocked")}; return Decoded::ok;
    default: return Decoded::unknown_kind;
  }
}

}  // namespace parley::bus_codec::legacy
