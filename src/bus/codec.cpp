#include "bus/codec.hpp"

#include <boost/json.hpp>

#include "bus/json_fields.hpp"
#include "bus/legacy_codec.hpp"

namespace parley::bus_codec {
namespace json = boost::json;
namespace {

// Kind names on the wire: stable, never reused.
constexpr std::string_view kMessage = "message", kTyping = "typing", kPresence = "presence", kRead = "read",
                           kMember = "member", kJoined = "joined", kLeft = "left", kBlocks = "blocks",
                           kMentions = "mentions", kNotify = "notify", kAccess = "access", kInput = "input", kPinned = "pinned", kStatus = "status",
                           kSlowMode = "slow";

json::array names(const std::vector<std::string>& list) {
  json::array out;
  out.reserve(list.size());
  for (auto& s : list) out.emplace_back(s);
  return out;
}

std::string finish(json::object& o) { return json::serialize(o); }

// The JSON object of a version-2 payload and its kind, or why there is none.
Decoded open(std::string_view payload, json::value& doc, std::string& kind) {
  boost::system::error_code ec;
  doc = json::parse(payload, ec);
  if (ec || !doc.is_object()) return Decoded::malformed;
  JsonFields r{doc.as_object()};
  if (r.number("v") != kVersion) return Decoded::unknown_version;
  kind = r.text("k");
  return Decoded::ok;
}

}  // namespace

std::string encode(const RoomEvent& e) {
  json::object o{{"v", kVersion}, {"o", e.origin}};
  std::visit(
      [&](const auto& p) {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, MessageStored>) {
          const ChatMessage& m = p.message;
          o["k"] = kMessage;
          o["seq"] = m.seq;
          o["ts"] = m.ts;
          o["user"] = m.user;
          o["id"] = m.id;
          o["text"] = m.text;
          o["entry"] = static_cast<int>(m.kind);
          if (m.target) o["target"] = m.target;
          if (m.reply_to) o["reply_to"] = m.reply_to;
          if (!m.data.empty()) o["data"] = m.data;
          if (!m.mentions.empty()) o["mentions"] = names(m.mentions);
          if (m.mention_room) o["mention_room"] = true;
          if (!m.attachments.empty()) {
            json::array files;
            for (const Attachment& f : m.attachments) {
              files.push_back(json::object{{"id", f.id}, {"name", f.name}, {"type", f.type}, {"size", f.size},
                                           {"w", f.width}, {"h", f.height}, {"thumb", f.thumb}});
            }
            o["files"] = std::move(files);
          }
          o["rx"] = p.received_us;
        } else if constexpr (std::is_same_v<T, TypingChanged>) {
          o["k"] = kTyping;
          o["user"] = p.user;
          o["on"] = p.active;
        } else if constexpr (std::is_same_v<T, PresenceChanged>) {
          o["k"] = kPresence;
          o["user"] = p.user;
          o["on"] = p.online;
        } else if constexpr (std::is_same_v<T, ReadMoved>) {
          o["k"] = kRead;
          o["user"] = p.user;
          o["seq"] = p.seq;
        } else if constexpr (std::is_same_v<T, StatusChanged>) {
          o["k"] = kStatus;
          o["user"] = p.user;
          o["away"] = p.status.away;
          o["text"] = p.status.text;
        } else if constexpr (std::is_same_v<T, SlowModeChanged>) {
          o["k"] = kSlowMode;
          o["seconds"] = p.seconds;
          o["ver"] = p.version;
          o["by"] = p.by;
        } else if constexpr (std::is_same_v<T, PinChanged>) {
          o["k"] = kPinned;
          o["seq"] = p.seq;
          o["on"] = p.pinned;
          o["by"] = p.by;
          o["ts"] = p.ts;
        } else {
          o["k"] = kMember;
          o["user"] = p.user;
          o["action"] = static_cast<int>(p.action);
          o["by"] = p.by;
          o["role"] = static_cast<int>(p.role);
          if (p.until) o["until"] = p.until;
        }
      },
      e.payload);
  return finish(o);
}

std::string encode(const UserEvent& e) {
  json::object o{{"v", kVersion}, {"o", e.origin}};
  if (e.skip_conn) o["skip"] = e.skip_conn;
  if (e.presence_pending) o["pp"] = true;
  std::visit(
      [&](const auto& p) {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, MembershipJoined>) {
          const RoomState& s = p.state;
          o["k"] = kJoined;
          o["room"] = s.room;
          o["last_seq"] = s.last_seq;
          o["read_seq"] = s.read_seq;
          o["kind"] = static_cast<int>(s.kind);
          o["role"] = static_cast<int>(s.role);
          if (!s.peer.empty()) o["peer"] = s.peer;
          if (s.muted_until) o["muted_until"] = s.muted_until;
          if (s.notify != NotifyLevel::all) o["notify"] = static_cast<int>(s.notify);
          if (s.mentions) o["mentions"] = s.mentions;
          if (s.slow_mode_s) o["slow"] = s.slow_mode_s;
          if (s.settings_version) o["sver"] = s.settings_version;
          o["online"] = names(p.online);
          if (p.online_count) o["oc"] = p.online_count;
          if (p.by_count) o["bc"] = true;
          json::array pins, reads;
          for (auto& x : p.state.extras.pins) pins.push_back(json::object{{"seq", x.seq}, {"by", x.by}, {"ts", x.ts}});
          for (auto& x : p.state.extras.reads) reads.push_back(json::object{{"user", x.user}, {"seq", x.seq}});
          if (!pins.empty()) o["pins"] = std::move(pins);
          if (!reads.empty()) o["reads"] = std::move(reads);
          if (!p.state.extras.reads_next.empty()) o["reads_next"] = p.state.extras.reads_next;
          json::array statuses;
          for (auto& x : p.state.extras.statuses) {
            statuses.push_back(json::object{{"user", x.user}, {"away", x.status.away}, {"text", x.status.text}});
          }
          if (!statuses.empty()) o["statuses"] = std::move(statuses);
        } else if constexpr (std::is_same_v<T, MembershipLeft>) {
          o["k"] = kLeft;
          o["room"] = p.room;
          o["reason"] = static_cast<int>(p.reason);
        } else if constexpr (std::is_same_v<T, BlocksChanged>) {
          o["k"] = kBlocks;
          o["blocked"] = names(p.blocked);
        } else if constexpr (std::is_same_v<T, MentionsChanged>) {
          o["k"] = kMentions;
          o["room"] = p.room;
          o["count"] = p.count;
        } else if constexpr (std::is_same_v<T, AccessChanged>) {
          o["k"] = kAccess;
          o["ver"] = p.token_version;
          if (p.shut) o["shut"] = true;
          if (!p.token_id.empty()) o["tid"] = p.token_id;
        } else if constexpr (std::is_same_v<T, SessionInput>) {
          o["k"] = kInput;
          o["node"] = p.node;
          o["conn"] = p.conn;
          o["key"] = p.key;
          o["text"] = p.text;
        } else {
          o["k"] = kNotify;
          o["room"] = p.room;
          o["level"] = static_cast<int>(p.level);
          o["mentions"] = p.mentions;
        }
      },
      e.payload);
  return finish(o);
}

Decoded decode(std::string_view room, std::string_view payload, RoomEvent& out) {
  if (!payload.empty() && payload.front() == 'R') return legacy::decode(room, payload, out);
  json::value doc;
  std::string kind;
  if (auto d = open(payload, doc, kind); d != Decoded::ok) return d;
  JsonFields r{doc.as_object()};
  out.room = std::string(room);
  out.origin = r.text("o");
  if (kind == kMessage) {
    ChatMessage m;
    m.room = out.room;
    m.seq = r.number("seq");
    m.ts = r.number("ts");
    m.user = r.text("user");
    m.id = r.text("id");
    m.text = r.text("text");
    m.kind = r.small<EntryKind>("entry", 4);
    m.target = r.number("target");
    m.reply_to = r.number("reply_to");
    m.data = r.text("data");
    m.mentions = r.list("mentions");
    m.mention_room = r.flag("mention_room");
    for (const json::object* f : r.objects("files")) {
      JsonFields a{*f};
      m.attachments.push_back(Attachment{a.text("id"), a.text("name"), a.text("type"), a.number("size"), a.number("w"),
                                         a.number("h"), a.flag("thumb")});
    }
    if (m.seq <= 0) return Decoded::malformed;
    out.payload = MessageStored{std::move(m), r.number("rx")};
  } else if (kind == kTyping) {
    out.payload = TypingChanged{r.text("user"), r.flag("on")};
  } else if (kind == kPresence) {
    out.payload = PresenceChanged{r.text("user"), r.flag("on")};
  } else if (kind == kRead) {
    out.payload = ReadMoved{r.text("user"), r.number("seq")};
  } else if (kind == kStatus) {
    out.payload = StatusChanged{r.text("user"), UserStatus{r.flag("away"), r.text("text")}};
  } else if (kind == kSlowMode) {
    out.payload = SlowModeChanged{r.number("seconds"), r.number("ver"), r.text("by")};
  } else if (kind == kPinned) {
    out.payload = PinChanged{r.number("seq"), r.flag("on"), r.text("by"), r.number("ts")};
  } else if (kind == kMember) {
    out.payload = MemberNotice{r.text("user"), r.small<MemberAction>("action", 6), r.text("by"),
                               r.small<Role>("role", 2), r.number("until")};
  } else {
    return Decoded::unknown_kind;
  }
  return Decoded::ok;
}

Decoded decode(std::string_view user, std::string_view payload, UserEvent& out) {
  if (!payload.empty() && payload.front() == 'U') return legacy::decode(user, payload, out);
  json::value doc;
  std::string kind;
  if (auto d = open(payload, doc, kind); d != Decoded::ok) return d;
  JsonFields r{doc.as_object()};
  out.user = std::string(user);
  out.origin = r.text("o");
  out.skip_conn = static_cast<uint64_t>(r.number("skip"));
  out.presence_pending = r.flag("pp");
  if (kind == kJoined) {
    MembershipJoined j;
    j.state.room = r.text("room");
    j.state.last_seq = r.number("last_seq");
    j.state.read_seq = r.number("read_seq");
    j.state.kind = r.small<RoomKind>("kind", 2);
    j.state.role = r.small<Role>("role", 2);
    j.state.peer = r.text("peer");
    j.state.muted_until = r.number("muted_until");
    j.state.notify = r.small<NotifyLevel>("notify", 2);
    j.state.mentions = r.number("mentions");
    j.state.slow_mode_s = r.number("slow");
    j.state.settings_version = r.number("sver");
    j.online = r.list("online");
    j.online_count = r.number("oc");
    j.by_count = r.flag("bc");
    for (auto& x : r.objects("pins")) {
      JsonFields f{*x};
      j.state.extras.pins.push_back(Pin{f.number("seq"), f.text("by"), f.number("ts")});
    }
    for (auto& x : r.objects("reads")) {
      JsonFields f{*x};
      j.state.extras.reads.push_back(ReadPosition{f.text("user"), f.number("seq")});
    }
    j.state.extras.reads_next = r.text("reads_next");
    for (auto& x : r.objects("statuses")) {
      JsonFields f{*x};
      j.state.extras.statuses.push_back(MemberStatus{f.text("user"), UserStatus{f.flag("away"), f.text("text")}});
    }
    if (j.state.room.empty()) return Decoded::malformed;
    out.payload = std::move(j);
  } else if (kind == kLeft) {
    out.payload = MembershipLeft{r.text("room"), r.small<LeftReason>("reason", 3)};
  } else if (kind == kBlocks) {
    out.payload = BlocksChanged{r.list("blocked")};
  } else if (kind == kMentions) {
    out.payload = MentionsChanged{r.text("room"), r.number("count")};
  } else if (kind == kNotify) {
    out.payload = NotifyChanged{r.text("room"), r.small<NotifyLevel>("level", 2), r.number("mentions")};
  } else if (kind == kAccess) {
    out.payload = AccessChanged{r.number("ver"), r.flag("shut"), r.text("tid")};
  } else if (kind == kInput) {
    SessionInput in{r.text("node"), static_cast<uint64_t>(r.number("conn")), r.text("key"), r.text("text")};
    if (in.node.empty() || in.conn == 0) return Decoded::malformed;
    out.payload = std::move(in);
  } else {
    return Decoded::unknown_kind;
  }
  return Decoded::ok;
}

}  // namespace parley::bus_codec
