#include "bus/legacy_codec.hpp"

#include "bus/json_fields.hpp"

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

// The header fields after "<R|U><kind>|" and the frame's object; false when malformed.
bool open(std::string_view payload, int& kind, std::vector<std::string_view>& header, json::object& frame) {
  auto nl = payload.find('\n');
  if (nl == std::string_view::npos || nl < 3 || payload[2] != '|') return false;
  kind = payload[1] - '0';
  header = split(payload.substr(3, nl - 3), '|');
  boost::system::error_code ec;
  auto doc = json::parse(payload.substr(nl + 1), ec);
  if (ec || !doc.is_object()) return false;
  frame = std::move(doc.as_object());
  return true;
}

std::optional<MemberAction> action_named(std::string_view s) {
  for (int a = 0; a <= static_cast<int>(MemberAction::role); ++a) {
    if (member_action_name(static_cast<MemberAction>(a)) == s) return static_cast<MemberAction>(a);
  }
  return std::nullopt;
}

// A message, edited, deleted or reaction frame as the entry it announces.
ChatMessage entry_of(const JsonFields& f, std::string_view room, int64_t seq) {
  ChatMessage m;
  m.room = std::string(room);
  m.seq = seq;
  m.ts = f.number("ts");
  m.user = f.text("user");
  m.id = f.text("id");
  const std::string type = f.text("type");
  if (type == "message") {
    m.text = f.text("text");
  } else {
    m.target = f.number("target");
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
  json::object obj;
  if (!open(payload, kind, header, obj) || header.size() < 2) return Decoded::malformed;
  const JsonFields f{obj};
  int64_t seq = 0, received_us = 0;
  if (!number(header[0], seq)) return Decoded::malformed;
  if (header.size() >= 3 && !number(header[2], received_us)) return Decoded::malformed;
  out.room = std::string(room);
  // Version 1 did not say (never this node); a version-2 node writing version 1 appends it.
  out.origin = header.size() >= 4 ? std::string(header[3]) : std::string();
  switch (kind) {
    case 0:  // message
      if (seq <= 0) return Decoded::malformed;
      out.payload = MessageStored{entry_of(f, room, seq), received_us};
      return Decoded::ok;
    case 1: out.payload = ReadMoved{f.text("user"), f.number("seq")}; return Decoded::ok;
    case 2: out.payload = TypingChanged{f.text("user"), f.flag("active")}; return Decoded::ok;
    case 3: out.payload = PresenceChanged{f.text("user"), f.text("status") == "online"}; return Decoded::ok;
    case 4: {
      auto action = action_named(f.text("action"));
      if (!action) return Decoded::unknown_kind;
      out.payload = MemberNotice{f.text("user"), *action, f.text("by"), role_from_name(f.text("role")).value_or(Role::member), f.number("until")};
      return Decoded::ok;
    }
    default: return Decoded::unknown_kind;
  }
}

Decoded decode(std::string_view user, std::string_view payload, UserEvent& out) {
  int kind = -1;
  std::vector<std::string_view> header;
  json::object obj;
  if (!open(payload, kind, header, obj) || header.size() < 3) return Decoded::malformed;
  const JsonFields f{obj};
  out.user = std::string(user);
  out.origin = std::string(header[1]);
  if (!number(header[2], out.skip_conn)) return Decoded::malformed;
  // Version 1 marked changes made for the user by others with an empty origin (and a
  // version-2 writer appends the real one).
  out.presence_pending = out.origin.empty();
  if (header.size() >= 4) out.origin = std::string(header[3]);
  switch (kind) {
    case 0: {
      MembershipJoined j;
      j.state.room = std::string(header[0]);
      j.state.last_seq = f.number("last_seq");
      j.state.read_seq = f.number("read_seq");
      j.state.kind = kind_from_name(f.text("kind")).value_or(RoomKind::public_room);
      j.state.role = role_from_name(f.text("role")).value_or(Role::member);
      j.state.peer = f.text("with");
      j.state.muted_until = f.number("muted_until");
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

std::string encode(const RoomEvent& e, const std::string& frame) {
  // Version 1's kinds: message 0, read 1, typing 2, presence 3, notice 4.
  int kind = 4;
  int64_t seq = 0, received_us = 0;
  if (auto* m = e.message()) {
    kind = 0;
    seq = m->message.seq;
    received_us = m->received_us;
  } else if (std::holds_alternative<ReadMoved>(e.payload)) {
    kind = 1;
  } else if (std::holds_alternative<TypingChanged>(e.payload)) {
    kind = 2;
  } else if (std::holds_alternative<PresenceChanged>(e.payload)) {
    kind = 3;
  }
  const std::string* subject = e.subject();
  std::string out = "R" + std::to_string(kind) + "|" + std::to_string(seq) + "|" + (subject ? *subject : "") + "|" +
                    std::to_string(received_us) + "|" + e.origin + "\n";
  return out + frame;
}

std::string encode(const UserEvent& e, const std::string& frame) {
  int kind = 2;
  std::string room;
  if (auto* j = std::get_if<MembershipJoined>(&e.payload)) {
    kind = 0;
    room = j->state.room;
  } else if (auto* l = std::get_if<MembershipLeft>(&e.payload)) {
    kind = 1;
    room = l->room;
  }
  // An empty version-1 origin told every node, the origin's own included, to apply it.
  const std::string v1_origin = e.presence_pending ? std::string() : e.origin;
  return "U" + std::to_string(kind) + "|" + room + "|" + v1_origin + "|" + std::to_string(e.skip_conn) + "|" + e.origin +
         "\n" + frame;
}

}  // namespace parley::bus_codec::legacy
