#include "store/rules.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace parley::rules {

Status check_target(const AppendRequest& req, const std::optional<Target>& t) {
  if (!t || t->kind != EntryKind::message || t->deleted) {
    return Status::not_found("no message " + std::to_string(req.target) + " in " + req.room);
  }
  switch (req.kind) {
    case EntryKind::edited:
      if (t->user != req.user) return Status::forbidden("only the author can edit a message");
      if (req.ts - t->ts > req.edit_window_ms) return Status::forbidden("the edit window has passed");
      return Status::ok();
    case EntryKind::deleted:
      if (t->user != req.user && !req.moderator) {
        return Status::forbidden("only the author or a moderator can delete a message");
      }
      return Status::ok();
    default:
      return Status::ok();
  }
}

Result<int64_t> thread_root(const AppendRequest& req, const std::optional<Target>& p) {
  if (!p || p->kind != EntryKind::message || p->deleted) {
    return Status::not_found("no message " + std::to_string(req.reply_to) + " in " + req.room + " to reply to");
  }
  return p->reply_to > 0 ? p->reply_to : req.reply_to;
}

std::vector<std::string> mention_keys(const std::vector<std::string>& users, bool room) {
  std::vector<std::string> keys = users;
  if (room) keys.emplace_back("*");
  return keys;
}

std::string mentions_column(const std::vector<std::string>& users, bool room) {
  std::string out;
  for (auto& k : mention_keys(users, room)) {
    if (!out.empty()) out += ' ';
    out += k;
  }
  return out;
}

void read_mentions_column(std::string_view column, ChatMessage& m) {
  m.mentions.clear();
  m.mention_room = false;
  while (!column.empty()) {
    auto sp = column.find(' ');
    std::string_view word = column.substr(0, sp);
    if (word == "*") {
      m.mention_room = true;
    } else if (!word.empty()) {
      m.mentions.emplace_back(word);
    }
    if (sp == std::string_view::npos) break;
    column.remove_prefix(sp + 1);
  }
}

std::string attachments_column(const std::vector<Attachment>& files) {
  std::string out;
  for (const auto& f : files) {
    out += f.id + '\t' + f.type + '\t' + std::to_string(f.size) + '\t' + std::to_string(f.width) + '\t' +
           std::to_string(f.height) + '\t' + (f.thumb ? "1" : "0") + '\t' + f.name + '\n';
  }
  return out;
}

std::vector<Attachment> read_attachments_column(std::string_view column) {
  std::vector<Attachment> files;
  while (!column.empty()) {
    auto nl = column.find('\n');
    std::string_view line = column.substr(0, nl);
    column.remove_prefix(nl == std::string_view::npos ? column.size() : nl + 1);
    std::vector<std::string_view> fields;
    for (int i = 0; i < 6; ++i) {
      auto tab = line.find('\t');
      if (tab == std::string_view::npos) break;
      fields.push_back(line.substr(0, tab));
      line.remove_prefix(tab + 1);
    }
    if (fields.size() != 6) continue;  // not written by attachments_column
    auto number = [](std::string_view v) {
      int64_t n = 0;
      std::from_chars(v.data(), v.data() + v.size(), n);
      return n;
    };
    files.push_back(Attachment{std::string(fields[0]), std::string(line), std::string(fields[1]), number(fields[2]),
                               number(fields[3]), number(fields[4]), fields[5] == "1"});
  }
  return files;
}

Result<Attachment> attachable(const AppendRequest& req, const std::string& id, const std::optional<Upload>& upload) {
  if (!upload || upload->owner != req.user || !upload->room.empty()) {
    return Status::not_found("attachment " + id + " is no upload of yours waiting to be sent");
  }
  return upload->file;
}

Status check_join(const JoinRequest& req, const JoinFacts& f) {
  if (f.banned) return Status::forbidden(req.user + " is banned from " + req.room);
  switch (req.mode) {
    case JoinMode::open:
      if (!f.room || *f.room == RoomKind::public_room) return Status::ok();
      if (*f.room == RoomKind::private_room) return Status::forbidden(req.room + " is private: ask for an invitation");
      return Status::forbidden(req.room + " is a direct conversation");
    case JoinMode::invite:
      if (!f.room) return Status::not_found("no room " + req.room);
      if (*f.room == RoomKind::direct) return Status::forbidden("nobody can be invited into a direct conversation");
      if (!f.actor_role) return Status::forbidden("not a member of " + req.room);
      if (*f.room == RoomKind::private_room && *f.actor_role < Role::moderator) {
        return Status::forbidden("only an owner or moderator can invite into " + req.room);
      }
      return Status::ok();
    case JoinMode::admin:
      if (!f.room) return Status::not_found("no room " + req.room);
      if (*f.room == RoomKind::direct) return Status::forbidden(req.room + " is a direct conversation");
      return Status::ok();
  }
  return Status::invalid("unknown join mode");
}

Status check_slow_mode(RoomKind kind, std::optional<Role> actor_role, const std::string& room) {
  if (kind == RoomKind::direct) return Status::forbidden("a direct conversation has no slow mode");
  if (!actor_role) return Status::forbidden("not a member of " + room);
  if (*actor_role < Role::moderator) return Status::forbidden("only a moderator or owner can set slow mode in " + room);
  return Status::ok();
}

Status check_moderation(const ModerationRequest& req, const ModerationFacts& f) {
  if (!f.room) return Status::not_found("no room " + req.room);
  if (*f.room == RoomKind::direct) return Status::forbidden("a direct conversation has no moderation");
  const bool needs_member = req.action == ModerationAction::kick || req.action == ModerationAction::mute ||
                            req.action == ModerationAction::set_role;
  if (!req.actor.empty()) {
    const Role needed = req.action == ModerationAction::set_role ? Role::owner : Role::moderator;
    if (!f.actor_role) return Status::forbidden("not a member of " + req.room);
    if (*f.actor_role < needed) {
      return Status::forbidden(std::string("only ") + (needed == Role::owner ? "the owner" : "a moderator or owner") +
                               " can do that in " + req.room);
    }
    if (req.actor == req.target) return Status::forbidden("you cannot do that to yourself");
    if (f.target_role && *f.target_role >= *f.actor_role) {
      return Status::forbidden(req.target + " has a role equal to or above yours");
    }
  }
  if (needs_member && !f.target_role) return Status::not_found(req.target + " is not a member of " + req.room);
  if (req.action == ModerationAction::set_role && f.target_role == Role::owner) {
    return Status::forbidden("the owner's role cannot change");
  }
  return Status::ok();
}

std::vector<std::string> search_words(std::string_view text) {
  std::vector<std::string> words;
  std::string cur;
  auto flush = [&] {
    if (!cur.empty() && std::find(words.begin(), words.end(), cur) == words.end() && words.size() < 16) {
      words.push_back(cur);
    }
    cur.clear();
  };
  for (unsigned char ch : text) {
    if (std::isalnum(ch) || ch >= 0x80) {
      cur += static_cast<char>(ch);
    } else {
      flush();
    }
  }
  flush();
  return words;
}

std::string fts5_query(const std::vector<std::string>& words) {
  std::string q;
  for (auto& w : words) {
    if (!q.empty()) q += ' ';
    q += '"' + w + '"';  // words hold no '"': search_words splits on it
  }
  return q;
}

WebhookEvent message_event(const ChatMessage& m) {
  WebhookEvent e;
  e.type = webhook_type_of(m.kind);
  e.room = m.room;
  e.user = m.user;
  e.message = m;
  e.ts = m.ts;
  return e;
}

std::vector<WebhookEvent> room_created_events(const std::string& room, RoomKind kind, const std::string& owner,
                                              int64_t ts) {
  WebhookEvent created;
  created.type = WebhookType::room_created;
  created.room = room;
  created.user = owner;
  created.kind = kind;
  created.ts = ts;
  std::vector<WebhookEvent> out{created};
  if (!owner.empty()) out.push_back(member_joined_event(room, owner, Role::owner, "", ts));
  return out;
}

WebhookEvent member_joined_event(const std::string& room, const std::string& user, Role role, const std::string& by,
                                 int64_t ts) {
  WebhookEvent e;
  e.type = WebhookType::member_joined;
  e.room = room;
  e.user = user;
  e.by = by;
  e.role = role;
  e.ts = ts;
  return e;
}

WebhookEvent member_left_event(const std::string& room, const std::string& user, int64_t ts) {
  WebhookEvent e;
  e.type = WebhookType::member_left;
  e.room = room;
  e.user = user;
  e.ts = ts;
  return e;
}

std::optional<WebhookEvent> moderation_event(const ModerationRequest& req, int64_t ts) {
  WebhookEvent e;
  e.room = req.room;
  e.user = req.target;
  e.by = req.actor;
  e.ts = ts;
  switch (req.action) {
    case ModerationAction::kick: e.type = WebhookType::member_kicked; break;
    case ModerationAction::ban: e.type = WebhookType::member_banned; break;
    case ModerationAction::unban: e.type = WebhookType::member_unbanned; break;
    case ModerationAction::mute:
      e.type = req.muted_until > 0 ? WebhookType::member_muted : WebhookType::member_unmuted;
      e.until = req.muted_until;
      break;
    case ModerationAction::set_role:
      e.type = WebhookType::member_role;
      e.role = req.role;
      break;
  }
  return e;
}

}  // namespace parley::rules
