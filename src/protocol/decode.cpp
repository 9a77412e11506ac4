#include "protocol/decode.hpp"

#include <boost/json.hpp>

namespace parley {
namespace json = boost::json;
namespace {

// Reads the fields of one command object; the first problem becomes the error message.
class Fields {
 public:
  explicit Fields(const json::object& o) : o_(o) {}

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  std::string string(std::string_view key, std::size_t max_bytes = 64 * 1024) {
    auto* v = o_.if_contains(key);
    if (!v) return fail(key, "is required"), std::string();
    if (!v->is_string()) return fail(key, "must be a string"), std::string();
    if (v->as_string().size() > max_bytes) return fail(key, "is too long"), std::string();
    return std::string(v->as_string());
  }

  // Absent or null: nullopt.
  std::optional<std::string> optional_string(std::string_view key, std::size_t max_bytes) {
    auto* v = o_.if_contains(key);
    if (!v || v->is_null()) return std::nullopt;
    return string(key, max_bytes);
  }

  std::optional<bool> optional_boolean(std::string_view key) {
    auto* v = o_.if_contains(key);
    if (!v || v->is_null()) return std::nullopt;
    return boolean(key);
  }

  bool boolean(std::string_view key) {
    auto* v = o_.if_contains(key);
    if (!v) return fail(key, "is required"), false;
    if (!v->is_bool()) return fail(key, "must be true or false"), false;
    return v->as_bool();
  }

  // An integer in [lo, hi]; absent yields `fallback` unless it is required.
  std::optional<int64_t> integer(std::string_view key, int64_t lo, int64_t hi, bool required) {
    auto* v = o_.if_contains(key);
    if (!v || v->is_null()) {
      if (required) fail(key, "is required");
      return std::nullopt;
    }
    int64_t x = 0;
    if (v->is_int64()) {
      x = v->as_int64();
    } else if (v->is_uint64()) {
      return fail(key, "is out of range"), std::nullopt;
    } else {
      return fail(key, "must be an integer"), std::nullopt;
    }
    if (x < lo || x > hi) return fail(key, "is out of range"), std::nullopt;
    return x;
  }

  int limit() {
    auto l = integer("limit", 1, INT64_MAX, false);
    if (!l) return kDefaultPageLimit;
    return static_cast<int>(std::min<int64_t>(*l, kMaxPageLimit));
  }

 private:
  void fail(std::string_view key, std::string_view what) {
    if (error_.empty()) error_ = "field '" + std::string(key) + "' " + std::string(what);
  }
  const json::object& o_;
  std::string error_;
};

ProtocolError bad_request(std::string message, json::value ref = nullptr, std::string id = {}) {
  return ProtocolError{"bad_request", std::move(message), std::move(ref), std::move(id)};
}

}  // namespace

std::variant<Command, ProtocolError> decode_command(std::string_view frame) {
  unsigned char scratch[4096];
  json::monotonic_resource arena(scratch, sizeof scratch);
  json::parse_options options;
  options.max_depth = 16;
  boost::system::error_code ec;
  json::value doc = json::parse(frame, ec, &arena, options);
  if (ec) return bad_request("invalid JSON: " + ec.message());
  if (!doc.is_object()) return bad_request("a command must be a JSON object");
  const json::object& o = doc.as_object();

  json::value ref = nullptr;
  if (auto* r = o.if_contains("ref")) {
    if (!r->is_string() && !r->is_number()) return bad_request("field 'ref' must be a string or number");
    ref = json::value(*r, json::storage_ptr());
  }
  auto* type = o.if_contains("type");
  if (!type || !type->is_string()) return bad_request("field 'type' must be a string", ref);
  std::string_view t = type->as_string();

  Fields f(o);
  Command cmd;
  cmd.ref = ref;
  if (t == "message") {
    MessageCmd m;
    m.room = f.string("room", 256);
    m.id = f.string("id", 128);
    m.reply_to = f.integer("reply_to", 1, INT64_MAX, false).value_or(0);
    if (auto* d = o.if_contains("data"); d && !d->is_null()) {
      if (!d->is_object()) return bad_request("field 'data' must be an object", ref, m.id);
      m.data = json::serialize(*d);
    }
    if (auto* a = o.if_contains("attachments"); a && !a->is_null()) {
      constexpr std::size_t kMaxIds = 64;  // the hub's max_attachments is the real limit
      if (!a->is_array() || a->as_array().size() > kMaxIds) {
        return bad_request("field 'attachments' must be an array of upload ids", ref, m.id);
      }
      for (const auto& id : a->as_array()) {
        if (!id.is_string() || id.as_string().empty() || id.as_string().size() > 64) {
          return bad_request("field 'attachments' must be an array of upload ids", ref, m.id);
        }
        m.attachments.emplace_back(id.as_string());
      }
    }
    // A message of data or files alone needs no text.
    const bool bare = m.data.empty() && m.attachments.empty();
    m.text = bare ? f.string("text") : f.optional_string("text", 64 * 1024).value_or("");
    if (f.ok() && m.id.empty()) return bad_request("field 'id' must not be empty", ref);
    if (f.ok() && m.text.empty() && bare) return bad_request("field 'text' must not be empty", ref, m.id);
    if (!f.ok()) {
      auto* id = o.if_contains("id");
      return bad_request(f.error(), ref, id && id->is_string() ? std::string(id->as_string()) : "");
    }
    cmd.body = std::move(m);
  } else if (t == "join") {
    cmd.body = JoinCmd{f.string("room", 256)};
  } else if (t == "leave") {
    cmd.body = LeaveCmd{f.string("room", 256)};
  } else if (t == "typing") {
    TypingCmd c;
    c.room = f.string("room", 256);
    c.active = f.boolean("active");
    cmd.body = std::move(c);
  } else if (t == "read") {
    ReadCmd c;
    c.room = f.string("room", 256);
    c.seq = f.integer("seq", 0, INT64_MAX, true).value_or(0);
    cmd.body = std::move(c);
  } else if (t == "sync") {
    SyncCmd c;
    c.room = f.string("room", 256);
    c.after = f.integer("after", 0, INT64_MAX, true).value_or(0);
    c.limit = f.limit();
    cmd.body = std::move(c);
  } else if (t == "history") {
    HistoryCmd c;
    c.room = f.string("room", 256);
    c.before = f.integer("before", 1, INT64_MAX, false);
    c.limit = f.limit();
    cmd.body = std::move(c);
  } else if (t == "auth") {
    cmd.body = AuthCmd{f.string("token", 8 * 1024)};
  } else if (t == "create") {
    CreateCmd c;
    c.room = f.string("room", 256);
    auto kind = f.optional_string("kind", 16).value_or("public");
    if (kind == "private") {
      c.kind = RoomKind::private_room;
    } else if (kind != "public") {
      return bad_request("field 'kind' must be public or private", ref);
    }
    cmd.body = std::move(c);
  } else if (t == "dm") {
    cmd.body = DmCmd{f.string("to", 256)};
  } else if (t == "invite") {
    InviteCmd c;
    c.room = f.string("room", 256);
    c.user = f.string("user", 256);
    cmd.body = std::move(c);
  } else if (t == "edit" || t == "delete" || t == "react") {
    EntryCmd c;
    c.room = f.string("room", 256);
    c.id = f.string("id", 128);
    c.seq = f.integer("seq", 1, INT64_MAX, true).value_or(0);
    if (t == "edit") {
      c.kind = EntryKind::edited;
      c.text = f.string("text");
    } else if (t == "delete") {
      c.kind = EntryKind::deleted;
    } else {
      c.text = f.string("emoji", 32);
      c.kind = f.optional_boolean("remove").value_or(false) ? EntryKind::reaction_remove : EntryKind::reaction_add;
    }
    auto* id = o.if_contains("id");
    std::string sent_id = id && id->is_string() ? std::string(id->as_string()) : "";
    if (!f.ok()) return bad_request(f.error(), ref, sent_id);
    if (c.id.empty()) return bad_request("field 'id' must not be empty", ref);
    if (c.kind != EntryKind::deleted && c.text.empty()) {
      return bad_request(t == "edit" ? "field 'text' must not be empty" : "field 'emoji' must not be empty", ref, c.id);
    }
    cmd.body = std::move(c);
  } else if (t == "kick" || t == "ban" || t == "unban" || t == "mute" || t == "role") {
    ModerateCmd c;
    c.room = f.string("room", 256);
    c.user = f.string("user", 256);
    if (t == "kick") {
      c.action = ModerationAction::kick;
    } else if (t == "ban") {
      c.action = ModerationAction::ban;
    } else if (t == "unban") {
      c.action = ModerationAction::unban;
    } else if (t == "mute") {
      c.action = ModerationAction::mute;
      c.seconds = f.integer("seconds", 0, kMaxMuteSeconds, true).value_or(0);
    } else {
      c.action = ModerationAction::set_role;
      auto role = f.string("role", 16);
      if (f.ok() && role != "moderator" && role != "member") {
        return bad_request("field 'role' must be moderator or member", ref);
      }
      c.role = role == "moderator" ? Role::moderator : Role::member;
    }
    cmd.body = std::move(c);
  } else if (t == "push_subscribe" || t == "push_unsubscribe") {
    PushCmd c;
    c.on = t == "push_subscribe";
    c.endpoint = f.string("endpoint", 2048);
    if (c.on) {
      c.p256dh = f.string("p256dh", 128);
      c.auth = f.string("auth", 64);
    }
    cmd.body = std::move(c);
  } else if (t == "block" || t == "unblock") {
    cmd.body = BlockCmd{f.string("user", 256), t == "block"};
  } else if (t == "search") {
    SearchCmd c;
    c.query = f.string("query", 256);
    c.room = f.optional_string("room", 256).value_or("");
    auto l = f.integer("limit", 1, INT64_MAX, false);
    c.limit = l ? static_cast<int>(std::min<int64_t>(*l, kMaxSearchLimit)) : 20;
    if (f.ok() && c.query.empty()) return bad_request("field 'query' must not be empty", ref);
    cmd.body = std::move(c);
  } else if (t == "thread") {
    ThreadCmd c;
    c.room = f.string("room", 256);
    c.seq = f.integer("seq", 1, INT64_MAX, true).value_or(0);
    c.after = f.integer("after", 0, INT64_MAX, false);
    c.before = f.integer("before", 1, INT64_MAX, false);
    c.limit = f.limit();
    if (f.ok() && c.after && c.before) return bad_request("give 'after' or 'before', not both", ref);
    cmd.body = std::move(c);
  } else if (t == "notify") {
    NotifyCmd c;
    c.room = f.string("room", 256);
    auto level = f.string("level", 16);
    auto parsed = notify_from_name(level);
    if (f.ok() && !parsed) return bad_request("field 'level' must be all, mentions or none", ref);
    c.level = parsed.value_or(NotifyLevel::all);
    cmd.body = std::move(c);
  } else if (t == "slow_mode") {
    SlowModeCmd c;
    c.room = f.string("room", 256);
    c.seconds = f.integer("seconds", 0, kMaxSlowModeSeconds, true).value_or(0);
    cmd.body = std::move(c);
  } else if (t == "pin" || t == "unpin") {
    PinCmd c;
    c.room = f.string("room", 256);
    c.seq = f.integer("seq", 1, INT64_MAX, true).value_or(0);
    c.on = t == "pin";
    cmd.body = std::move(c);
  } else if (t == "status") {
    StatusCmd c;
    auto state = f.string("state", 16);
    if (f.ok() && state != "online" && state != "away") return bad_request("field 'state' must be online or away", ref);
    c.away = state == "away";
    c.text = f.optional_string("text", 1024).value_or("");
    cmd.body = std::move(c);
  } else if (t == "reads" || t == "members") {
    ReadsCmd c;
    c.members = t == "members";
    c.room = f.string("room", 256);
    c.after = f.optional_string("after", 256).value_or("");
    auto l = f.integer("limit", 1, INT64_MAX, false);
    c.limit = l ? static_cast<int>(std::min<int64_t>(*l, kMaxOnlineLimit)) : kDefaultOnlineLimit;
    cmd.body = std::move(c);
  } else if (t == "online") {
    OnlineCmd c;
    c.room = f.string("room", 256);
    c.after = f.optional_string("after", 256).value_or("");
    auto l = f.integer("limit", 1, INT64_MAX, false);
    c.limit = l ? static_cast<int>(std::min<int64_t>(*l, kMaxOnlineLimit)) : kDefaultOnlineLimit;
    cmd.body = std::move(c);
  } else {
    return bad_request("unknown type '" + std::string(t.substr(0, 64)) + "'", ref);
  }
  if (!f.ok()) return bad_request(f.error(), ref);
  return cmd;
}

}  // namespace parley
