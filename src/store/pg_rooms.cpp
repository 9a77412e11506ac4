// PgStore: rooms, membership, moderation, block lists and search.
#include "store/pg_store_impl.hpp"
#include "store/rules.hpp"

namespace parley {
namespace {

// The columns of a member's view of a room (read by read_state); the caller adds WHERE.
const std::string kMemberView =
    R"(SELECT m.room, r.last_seq, m.read_seq, r.kind, m.role, m.muted_until,
         CASE WHEN r.kind = 2 THEN (SELECT o."user" FROM members o WHERE o.room = m.room AND o."user" <> m."user" LIMIT 1)
         ELSE '' END, m.notify,
         CASE WHEN m.notify = 2 THEN 0 ELSE (SELECT count(DISTINCT x.seq) FROM mentions x
           JOIN messages g ON g.room = x.room AND g.seq = x.seq
           WHERE x.room = m.room AND x."user" IN (m."user", '*') AND x.seq > m.read_seq AND g."user" <> m."user"
             AND NOT g.deleted AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b."user" = m."user" AND b.blocked = g."user"))
         END, r.slow_mode_s, r.settings_version FROM members m JOIN rooms r ON r.name = m.room )";

std::vector<ReadPosition> read_positions(PgConn& db, const std::string& room, const std::string& after,
                                         const std::string& skip, int limit) {
  auto r = db.run("reads", {room, after, skip, static_cast<int64_t>(limit)});
  std::vector<ReadPosition> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(ReadPosition{r.text(i, 0), r.int64(i, 1), static_cast<Role>(r.int64(i, 2))});
  return out;
}

// What joined tells of the room besides `user`'s own state (Store::join).
RoomExtras read_extras(PgConn& db, const std::string& room, const std::string& user, int limit) {
  RoomExtras out;
  auto p = db.run("pins", {room});
  for (int i = 0; i < p.rows(); ++i) out.pins.push_back(Pin{p.int64(i, 0), p.text(i, 1), p.int64(i, 2)});
  out.reads = read_positions(db, room, "", user, limit);
  auto s = db.run("room_statuses", {room, static_cast<int64_t>(limit)});
  for (int i = 0; i < s.rows(); ++i) out.statuses.push_back(MemberStatus{s.text(i, 0), UserStatus{s.text(i, 1) == "t", s.text(i, 2)}});
  return out;
}

// A join's write that also reads the room's extras in its transaction, once it succeeded.
template <class F>
auto with_extras(std::string room, std::string user, int limit, F fn) {
  return [room = std::move(room), user = std::move(user), limit, fn = std::move(fn)](PgConn& db) -> Result<RoomState> {
    Result<RoomState> r = fn(db);
    if (r.ok() && limit > 0) r.value.extras = read_extras(db, room, user, limit);
    return r;
  };
}

RoomState read_state(const PgResult& r, int i) {
  RoomState s{r.text(i, 0), r.int64(i, 1), r.int64(i, 2)};
  s.kind = static_cast<RoomKind>(r.int64(i, 3));
  s.role = static_cast<Role>(r.int64(i, 4));
  s.muted_until = r.int64(i, 5);
  s.peer = r.text(i, 6);
  s.notify = static_cast<NotifyLevel>(r.int64(i, 7));
  s.mentions = r.int64(i, 8);
  s.slow_mode_s = r.int64(i, 9);
  s.settings_version = r.int64(i, 10);
  return s;
}

std::optional<RoomState> member_state(PgConn& db, const std::string& room, const std::string& user) {
  auto r = db.run("member_state", {room, user});
  if (r.empty()) return std::nullopt;
  return read_state(r, 0);
}

std::optional<Role> role_of(PgConn& db, const std::string& room, const std::string& user) {
  auto r = db.run("role_of", {room, user});
  if (r.empty()) return std::nullopt;
  return static_cast<Role>(r.int64(0, 0));
}

// The room's kind, its row locked until the transaction ends: membership changes of one room
// happen one at a time across nodes.
std::optional<RoomKind> lock_room(PgConn& db, const std::string& room) {
  auto r = db.run("lock_room", {room});
  if (r.empty()) return std::nullopt;
  return static_cast<RoomKind>(r.int64(0, 0));
}

Status check_room_limit(PgConn& db, const std::string& user, int max_rooms) {
  if (db.run("count_rooms", {user}).int64(0, 0) >= max_rooms) {
    return Status::limit_exceeded("a user may be in at most " + std::to_string(max_rooms) + " rooms");
  }
  return Status::ok();
}

std::vector<std::string> read_blocks(PgConn& db, const std::string& user) {
  auto r = db.run("blocks_of", {user});
  std::vector<std::string> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(r.text(i, 0));
  return out;
}

}  // namespace

void prepare_room_statements(PgConn& db) {
  db.prepare("member_state", kMemberView + R"(WHERE m.room=$1 AND m."user"=$2)");
  db.prepare("rooms_of", kMemberView + R"(WHERE m."user"=$1 ORDER BY m.room COLLATE "C")");
  db.prepare("set_slow_mode", R"(UPDATE rooms SET slow_mode_s=$2, settings_version=settings_version+1 WHERE name=$1
                                 RETURNING slow_mode_s, settings_version)");
  db.prepare("role_of", R"(SELECT role FROM members WHERE room=$1 AND "user"=$2)");
  db.prepare("lock_room", "SELECT kind FROM rooms WHERE name=$1 FOR UPDATE");
  db.prepare("is_banned", R"(SELECT 1 FROM bans WHERE room=$1 AND "user"=$2)");
  db.prepare("count_members", "SELECT count(*) FROM members WHERE room=$1");
  db.prepare("count_rooms", R"(SELECT count(*) FROM members WHERE "user"=$1)");
  db.prepare("ensure_room",
             "INSERT INTO rooms(name, last_seq, created_ms, kind) VALUES($1, 0, $2, $3) ON CONFLICT DO NOTHING RETURNING 1");
  db.prepare("add_member",
             R"(INSERT INTO members(room, "user", read_seq, joined_ms, role) VALUES($1,$2,0,$3,$4) ON CONFLICT DO NOTHING RETURNING 1)");
  db.prepare("del_member", R"(DELETE FROM members WHERE room=$1 AND "user"=$2 RETURNING 1)");
  db.prepare("ban", R"(INSERT INTO bans(room, "user") VALUES($1,$2) ON CONFLICT DO NOTHING)");
  db.prepare("unban", R"(DELETE FROM bans WHERE room=$1 AND "user"=$2)");
  db.prepare("mute", R"(UPDATE members SET muted_until=$3 WHERE room=$1 AND "user"=$2)");
  db.prepare("set_role", R"(UPDATE members SET role=$3 WHERE room=$1 AND "user"=$2)");
  db.prepare("block", R"(INSERT INTO blocks("user", blocked) VALUES($1,$2) ON CONFLICT DO NOTHING)");
  db.prepare("unblock", R"(DELETE FROM blocks WHERE "user"=$1 AND blocked=$2)");
  db.prepare("blocks_of", R"(SELECT blocked FROM blocks WHERE "user"=$1 ORDER BY blocked COLLATE "C")");
  db.prepare("set_read", R"(UPDATE members SET read_seq=$3 WHERE room=$1 AND "user"=$2 AND read_seq < $3 RETURNING 1)");
  db.prepare("live_message", "SELECT 1 FROM messages WHERE room=$1 AND seq=$2 AND kind=0 AND NOT deleted");
  db.prepare("has_pin", "SELECT 1 FROM pins WHERE room=$1 AND seq=$2");
  db.prepare("count_pins", "SELECT count(*) FROM pins WHERE room=$1");
  db.prepare("add_pin", R"(INSERT INTO pins(room, seq, "by", ts) VALUES($1,$2,$3,$4))");
  db.prepare("pins", R"(SELECT seq, "by", ts FROM pins WHERE room=$1 ORDER BY ts DESC, seq DESC)");
  db.prepare("reads", R"(SELECT "user", read_seq, role FROM members WHERE room=$1 AND "user" COLLATE "C" > $2 AND "user" <> $3
                         ORDER BY "user" COLLATE "C" LIMIT $4)");
  db.prepare("list_rooms", R"(SELECT r.name, r.kind, r.last_seq, r.slow_mode_s, r.created_ms,
                                (SELECT count(*) FROM members m WHERE m.room=r.name),
                                (SELECT count(*) FROM messages e WHERE e.room=r.name AND e.seq>r.last_seq-$4 AND e.ts>=$3 AND e.kind=0)
                              FROM rooms r WHERE r.name COLLATE "C" > $1 ORDER BY r.name COLLATE "C" LIMIT $2)");
  db.prepare("status_of", R"(SELECT away, text FROM statuses WHERE "user"=$1)");
  db.prepare("clear_status", R"(DELETE FROM statuses WHERE "user"=$1)");
  db.prepare("set_status", R"(INSERT INTO statuses("user", away, text, ts) VALUES($1,$2::boolean,$3,$4)
                              ON CONFLICT ("user") DO UPDATE SET away=EXCLUDED.away, text=EXCLUDED.text, ts=EXCLUDED.ts)");
  db.prepare("room_statuses", R"(SELECT s."user", s.away, s.text FROM statuses s JOIN members m ON m.room=$1 AND m."user"=s."user"
                                 ORDER BY s."user" COLLATE "C" LIMIT $2)");
  db.prepare("set_notify", R"(UPDATE members SET notify=$3 WHERE room=$1 AND "user"=$2 RETURNING 1)");
  db.prepare("search",
             R"(SELECT m.room, m.seq, m.ts, m."user", m.client_id, m.text, m.edited_ts FROM messages m
                JOIN members mm ON mm.room = m.room AND mm."user" = $2
                WHERE to_tsvector('simple', m.text) @@ plainto_tsquery('simple', $1) AND m.kind = 0 AND NOT m.deleted
                  AND ($3 = '' OR m.room = $3)
                ORDER BY m.ts DESC, m.seq DESC LIMIT $4)");
}

void PgStore::join(JoinRequest req, Callback<RoomState> done) {
  const std::string room = req.room, user = req.user;
  const int limit = req.extras_limit;
  Impl* impl = impl_.get();
  impl_->write<RoomState>(room, std::move(done), with_extras(room, user, limit, [impl, req = std::move(req)](PgConn& db) -> Result<RoomState> {
    if (auto s = member_state(db, req.room, req.user)) return *s;
    rules::JoinFacts facts;
    facts.room = lock_room(db, req.room);
    facts.banned = !db.run("is_banned", {req.room, req.user}).empty();
    if (req.mode == JoinMode::invite) facts.actor_role = role_of(db, req.room, req.actor);
    if (auto s = rules::check_join(req, facts); !s.is_ok()) return s;
    if (auto s = check_room_limit(db, req.user, req.max_rooms); !s.is_ok()) return s;
    // A room created by joining belongs to its first member. When two nodes create it at
    // once, the second waits on the first's row lock and then finds a member already.
    Role role = Role::member;
    const int64_t now = store_now_ms();
    if (!facts.room) {
      if (!db.run("ensure_room", {req.room, now, int64_t{0}}).empty()) {
        impl->record(db, rules::room_created_events(req.room, RoomKind::public_room, "", now));
      }
      lock_room(db, req.room);
      role = db.run("count_members", {req.room}).int64(0, 0) == 0 ? Role::owner : Role::member;
    }
    db.run("add_member", {req.room, req.user, now, static_cast<int64_t>(role)});
    impl->record(db, rules::member_joined_event(req.room, req.user, role, req.mode == JoinMode::invite ? req.actor : "", now));
    return *member_state(db, req.room, req.user);
  }));
}

void PgStore::open_direct(std::string room, std::string a, std::string b, int max_rooms, int extras_limit,
                          Callback<RoomState> done) {
  Impl* impl = impl_.get();
  impl_->write<RoomState>(room, std::move(done), with_extras(room, a, extras_limit, [=](PgConn& db) -> Result<RoomState> {
    if (auto s = member_state(db, room, a)) return *s;
    if (!db.run("is_blocked", {b, a}).empty()) return Status::forbidden(b + " does not accept your messages");
    if (auto s = check_room_limit(db, a, max_rooms); !s.is_ok()) return s;
    const int64_t now = store_now_ms();
    const bool created = !db.run("ensure_room", {room, now, static_cast<int64_t>(RoomKind::direct)}).empty();
    if (lock_room(db, room) != RoomKind::direct) return Status::conflict(room + " is not a direct conversation");
    if (created) impl->record(db, rules::room_created_events(room, RoomKind::direct, "", now));
    for (const auto& u : {a, b}) {
      if (!db.run("add_member", {room, u, now, static_cast<int64_t>(Role::member)}).empty()) {
        impl->record(db, rules::member_joined_event(room, u, Role::member, u == b ? a : "", now));
      }
    }
    return *member_state(db, room, a);
  }));
}

void PgStore::moderate(ModerationRequest req, Callback<ModerationResult> done) {
  const std::string room = req.room;
  Impl* impl = impl_.get();
  impl_->write<ModerationResult>(room, std::move(done), [impl, req = std::move(req)](PgConn& db) -> Result<ModerationResult> {
    rules::ModerationFacts facts;
    facts.room = lock_room(db, req.room);
    if (!req.actor.empty()) facts.actor_role = role_of(db, req.room, req.actor);
    facts.target_role = role_of(db, req.room, req.target);
    if (auto s = rules::check_moderation(req, facts); !s.is_ok()) return s;
    ModerationResult result;
    result.was_member = facts.target_role.has_value();
    switch (req.action) {
      case ModerationAction::ban:
        db.run("ban", {req.room, req.target});
        db.run("del_member", {req.room, req.target});
        break;
      case ModerationAction::kick: db.run("del_member", {req.room, req.target}); break;
      case ModerationAction::unban: db.run("unban", {req.room, req.target}); break;
      case ModerationAction::mute: db.run("mute", {req.room, req.target, req.muted_until}); break;
      case ModerationAction::set_role: db.run("set_role", {req.room, req.target, static_cast<int64_t>(req.role)}); break;
    }
    if (auto e = rules::moderation_event(req, store_now_ms())) impl->record(db, *e);
    return result;
  });
}

void PgStore::set_block(std::string user, std::string other, bool on, Callback<std::vector<std::string>> done) {
  impl_->write<std::vector<std::string>>("user:" + user, std::move(done), [=](PgConn& db) -> Result<std::vector<std::string>> {
    db.run(on ? "block" : "unblock", {user, other});
    return read_blocks(db, user);
  });
}

void PgStore::settings_of(std::string user, Callback<UserSettings> done) {
  impl_->read<UserSettings>(std::move(done), [=](PgConn& db) -> Result<UserSettings> {
    UserSettings out{read_blocks(db, user), {}};
    auto r = db.run("status_of", {user});
    if (!r.empty()) out.status = UserStatus{r.text(0, 0) == "t", r.text(0, 1)};
    return out;
  });
}

void PgStore::set_status(std::string user, UserStatus status, Callback<bool> done) {
  impl_->write<bool>("user:" + user, std::move(done), [=](PgConn& db) -> Result<bool> {
    if (status.is_default()) {
      db.run("clear_status", {user});
    } else {
      db.run("set_status", {user, std::string(status.away ? "t" : "f"), status.text, store_now_ms()});
    }
    return true;
  });
}

void PgStore::search(SearchQuery q, Callback<std::vector<ChatMessage>> done) {
  impl_->read<std::vector<ChatMessage>>(std::move(done), [q = std::move(q)](PgConn& db) -> Result<std::vector<ChatMessage>> {
    std::vector<ChatMessage> out;
    auto words = rules::search_words(q.words);
    if (words.empty()) return out;
    std::string text;
    for (auto& w : words) text += (text.empty() ? "" : " ") + w;
    auto r = db.run("search", {text, q.user, q.room, static_cast<int64_t>(q.limit)});
    for (int i = 0; i < r.rows(); ++i) {
      ChatMessage m{r.text(i, 0), r.int64(i, 1), r.int64(i, 2), r.text(i, 3), r.text(i, 4), r.text(i, 5)};
      m.edited_ts = r.int64(i, 6);
      out.push_back(std::move(m));
    }
    return out;
  });
}

void PgStore::leave(std::string room, std::string user, Callback<bool> done) {
  Impl* impl = impl_.get();
  impl_->write<bool>(room, std::move(done), [=](PgConn& db) -> Result<bool> {
    if (lock_room(db, room) == RoomKind::direct) return Status::forbidden("nobody can leave a direct conversation");
    if (db.run("del_member", {room, user}).empty()) return Status::not_found("not a member of " + room);
    impl->record(db, rules::member_left_event(room, user, store_now_ms()));
    return true;
  });
}

void PgStore::set_read(std::string room, std::string user, int64_t seq, Callback<ReadResult> done) {
  impl_->write<ReadResult>(room, std::move(done), [=](PgConn& db) -> Result<ReadResult> {
    auto state = member_state(db, room, user);
    if (!state) return Status::not_found("not a member of " + room);
    if (seq > state->last_seq) {
      return Status::invalid("seq " + std::to_string(seq) + " is past the room's last seq " + std::to_string(state->last_seq));
    }
    const bool moved = !db.run("set_read", {room, user, seq}).empty();
    return ReadResult{moved, moved ? member_state(db, room, user)->mentions : state->mentions};
  });
}

void PgStore::set_notify(std::string room, std::string user, NotifyLevel level, Callback<RoomState> done) {
  impl_->write<RoomState>(room, std::move(done), [=](PgConn& db) -> Result<RoomState> {
    if (db.run("set_notify", {room, user, static_cast<int64_t>(level)}).empty()) {
      return Status::not_found("not a member of " + room);
    }
    return *member_state(db, room, user);
  });
}

void PgStore::set_slow_mode(std::string room, std::string actor, int64_t seconds, Callback<RoomState> done) {
  impl_->write<RoomState>(room, std::move(done), [=](PgConn& db) -> Result<RoomState> {
    auto kind = lock_room(db, room);
    if (!kind) return Status::not_found("no room " + room);
    if (auto st = rules::check_slow_mode(*kind, actor.empty() ? std::optional<Role>(Role::owner) : role_of(db, room, actor), room);
        !st.is_ok()) {
      return st;
    }
    auto r = db.run("set_slow_mode", {room, seconds});
    RoomState s{room};
    s.kind = *kind;
    s.slow_mode_s = r.int64(0, 0);
    s.settings_version = r.int64(0, 1);
    return s;
  });
}

void PgStore::rooms_of(std::string user, Callback<std::vector<RoomState>> done) {
  impl_->read<std::vector<RoomState>>(std::move(done), [=](PgConn& db) -> Result<std::vector<RoomState>> {
    auto r = db.run("rooms_of", {user});
    std::vector<RoomState> rooms;
    for (int i = 0; i < r.rows(); ++i) rooms.push_back(read_state(r, i));
    return rooms;
  });
}

void PgStore::pin(PinRequest req, Callback<bool> done) {
  const std::string room = req.room;
  impl_->write<bool>(room, std::move(done), [req = std::move(req)](PgConn& db) -> Result<bool> {
    if (!req.on) return !db.run("clear_pin", {req.room, req.seq}).empty();
    if (db.run("live_message", {req.room, req.seq}).empty()) {
      return Status::not_found("no message " + std::to_string(req.seq) + " in " + req.room);
    }
    if (!db.run("has_pin", {req.room, req.seq}).empty()) return false;
    if (db.run("count_pins", {req.room}).int64(0, 0) >= req.max_pins) {
      return Status::limit_exceeded("a room holds at most " + std::to_string(req.max_pins) + " pinned messages");
    }
    db.run("add_pin", {req.room, req.seq, req.by, req.ts});
    return true;
  });
}



void PgStore::reads(std::string room, std::string after, int limit, Callback<std::vector<ReadPosition>> done) {
  impl_->read<std::vector<ReadPosition>>(std::move(done), [=](PgConn& db) -> Result<std::vector<ReadPosition>> {
    return read_positions(db, room, after, "", limit);
  });
}

void PgStore::list_rooms(std::string after, int limit, int64_t since_ms, Callback<std::vector<RoomSummary>> done) {
  impl_->read<std::vector<RoomSummary>>(std::move(done), [=](PgConn& db) -> Result<std::vector<RoomSummary>> {
    auto r = db.run("list_rooms", {after, static_cast<int64_t>(limit), since_ms, kRecentEntriesScanned});
    std::vector<RoomSummary> out;
    for (int i = 0; i < r.rows(); ++i) {
      out.push_back(RoomSummary{r.text(i, 0), static_cast<RoomKind>(r.int64(i, 1)), r.int64(i, 2), r.int64(i, 5),
                                r.int64(i, 6), r.int64(i, 3), r.int64(i, 4)});
    }
    return out;
  });
}

}  // namespace parley
