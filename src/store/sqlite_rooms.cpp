// SqliteStore: rooms, membership, moderation, block lists and search.
#include "store/rules.hpp"
#include "store/sqlite_store_impl.hpp"

namespace parley {
namespace {

// The columns of a member's view of a room; `m` is the member row, `r` the room.
// Unread mentions (Store::rooms_of): after read_seq, live, by another user not blocked.
#define PARLEY_MEMBER_VIEW                                                                   \
  "SELECT m.room, r.last_seq, m.read_seq, r.kind, m.role, m.muted_until, "                   \
  "CASE WHEN r.kind=2 THEN (SELECT o.user FROM members o WHERE o.room=m.room AND o.user<>m.user) " \
  "ELSE '' END, m.notify, "                                                                  \
  "CASE WHEN m.notify=2 THEN 0 ELSE (SELECT count(DISTINCT x.seq) FROM mentions x "           \
  "JOIN messages g ON g.room=x.room AND g.seq=x.seq WHERE x.room=m.room AND x.user IN (m.user, '*') " \
  "AND x.seq>m.read_seq AND g.user<>m.user AND g.deleted=0 "                                 \
  "AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.user=m.user AND b.blocked=g.user)) END, "   \
  "r.slow_mode_s, r.settings_version "                                                       \
  "FROM members m JOIN rooms r ON r.name = m.room "

std::vector<ReadPosition> read_positions(SqliteDb& db, const std::string& room, const std::string& after,
                                         const std::string& skip, int limit) {
  auto& st = db.prepare(
      "SELECT user, read_seq, role FROM members WHERE room=?1 AND user>?2 AND user<>?3 ORDER BY user LIMIT ?4");
  st.bind(room, after, skip, static_cast<int64_t>(limit));
  std::vector<ReadPosition> out;
  while (st.step()) out.push_back(ReadPosition{st.text(0), st.int64(1), static_cast<Role>(st.int64(2))});
  return out;
}

// What joined tells of the room besides `user`'s own state (Store::join).
RoomExtras read_extras(SqliteDb& db, const std::string& room, const std::string& user, int limit) {
  RoomExtras out;
  auto& st = db.prepare("SELECT seq, by, ts FROM pins WHERE room=?1 ORDER BY ts DESC, seq DESC");
  st.bind(room);
  while (st.step()) out.pins.push_back(Pin{st.int64(0), st.text(1), st.int64(2)});
  out.reads = read_positions(db, room, "", user, limit);
  auto& ss = db.prepare(
      "SELECT s.user, s.away, s.text FROM statuses s JOIN members m ON m.room=?1 AND m.user=s.user "
      "ORDER BY s.user LIMIT ?2");
  ss.bind(room, static_cast<int64_t>(limit));
  while (ss.step()) out.statuses.push_back(MemberStatus{ss.text(0), UserStatus{ss.int64(1) != 0, ss.text(2)}});
  return out;
}

// A join's write that also reads the room's extras in its transaction, once it succeeded.
template <class F>
auto with_extras(std::string room, std::string user, int limit, F fn) {
  return [room = std::move(room), user = std::move(user), limit, fn = std::move(fn)](SqliteDb& db) -> Result<RoomState> {
    Result<RoomState> r = fn(db);
    if (r.ok() && limit > 0) r.value.extras = read_extras(db, room, user, limit);
    return r;
  };
}

RoomState read_state(Statement& st) {
  RoomState s{st.text(0), st.int64(1), st.int64(2)};
  s.kind = static_cast<RoomKind>(st.int64(3));
  s.role = static_cast<Role>(st.int64(4));
  s.muted_until = st.int64(5);
  s.peer = st.text(6);
  s.notify = static_cast<NotifyLevel>(st.int64(7));
  s.mentions = st.int64(8);
  s.slow_mode_s = st.int64(9);
  s.settings_version = st.int64(10);
  return s;
}

std::optional<Role> role_of(SqliteDb& db, const std::string& room, const std::string& user) {
  auto& st = db.prepare("SELECT role FROM members WHERE room=?1 AND user=?2");
  st.bind(room, user);
  if (!st.step()) return std::nullopt;
  auto role = static_cast<Role>(st.int64(0));
  st.bind();
  return role;
}

std::optional<RoomKind> kind_of(SqliteDb& db, const std::string& room) {
  auto& st = db.prepare("SELECT kind FROM rooms WHERE name=?1");
  st.bind(room);
  if (!st.step()) return std::nullopt;
  auto kind = static_cast<RoomKind>(st.int64(0));
  st.bind();
  return kind;
}

bool exists(Statement& st) {
  bool found = st.step();
  if (found) st.bind();
  return found;
}

Status check_room_limit(SqliteDb& db, const std::string& user, int max_rooms) {
  auto& count = db.prepare("SELECT count(*) FROM members WHERE user=?1");
  count.bind(user);
  count.step();
  int64_t n = count.int64(0);
  count.bind();
  if (n >= max_rooms) return Status::limit_exceeded("a user may be in at most " + std::to_string(max_rooms) + " rooms");
  return Status::ok();
}

void add_member(SqliteDb& db, const std::string& room, const std::string& user, Role role) {
  db.prepare("INSERT OR IGNORE INTO members(room, user, read_seq, joined_ms, role) VALUES(?1, ?2, 0, ?3, ?4)")
      .bind(room, user, store_now_ms(), static_cast<int64_t>(role))
      .step();
}

std::vector<std::string> read_blocks(SqliteDb& db, const std::string& user) {
  auto& st = db.prepare("SELECT blocked FROM blocks WHERE user=?1 ORDER BY blocked");
  st.bind(user);
  std::vector<std::string> out;
  while (st.step()) out.push_back(st.text(0));
  return out;
}

}  // namespace

std::optional<RoomState> sqlite_member_state(SqliteDb& db, const std::string& room, const std::string& user) {
  auto& st = db.prepare(PARLEY_MEMBER_VIEW "WHERE m.room=?1 AND m.user=?2");
  st.bind(room, user);
  if (!st.step()) return std::nullopt;
  auto s = read_state(st);
  st.bind();
  return s;
}

void SqliteStore::join(JoinRequest req, Callback<RoomState> done) {
  const std::string room = req.room, user = req.user;
  const int limit = req.extras_limit;
  Impl* impl = impl_.get();
  impl_->write<RoomState>(std::move(done), with_extras(room, user, limit, [impl, req = std::move(req)](SqliteDb& db) -> Result<RoomState> {
    if (auto s = sqlite_member_state(db, req.room, req.user)) return *s;
    rules::JoinFacts facts;
    facts.room = kind_of(db, req.room);
    facts.banned = exists(db.prepare("SELECT 1 FROM bans WHERE room=?1 AND user=?2").bind(req.room, req.user));
    if (req.mode == JoinMode::invite) facts.actor_role = role_of(db, req.room, req.actor);
    if (auto s = rules::check_join(req, facts); !s.is_ok()) return s;
    if (auto s = check_room_limit(db, req.user, req.max_rooms); !s.is_ok()) return s;
    Role role = Role::member;
    const int64_t now = store_now_ms();
    if (!facts.room) {
      db.prepare("INSERT INTO rooms(name, last_seq, created_ms, kind) VALUES(?1, 0, ?2, 0)").bind(req.room, now).step();
      role = Role::owner;  // whoever creates a room by joining it owns it
      impl->record(db, rules::room_created_events(req.room, RoomKind::public_room, "", now));
    }
    add_member(db, req.room, req.user, role);
    impl->record(db, rules::member_joined_event(req.room, req.user, role, req.mode == JoinMode::invite ? req.actor : "", now));
    return *sqlite_member_state(db, req.room, req.user);
  }));
}

void SqliteStore::open_direct(std::string room, std::string a, std::string b, int max_rooms, int extras_limit,
                              Callback<RoomState> done) {
  Impl* impl = impl_.get();
  impl_->write<RoomState>(std::move(done), with_extras(room, a, extras_limit, [=](SqliteDb& db) -> Result<RoomState> {
    if (auto s = sqlite_member_state(db, room, a)) return *s;
    if (exists(db.prepare("SELECT 1 FROM blocks WHERE user=?1 AND blocked=?2").bind(b, a))) {
      return Status::forbidden(b + " does not accept your messages");
    }
    if (auto s = check_room_limit(db, a, max_rooms); !s.is_ok()) return s;
    auto kind = kind_of(db, room);
    if (kind && *kind != RoomKind::direct) return Status::conflict(room + " is not a direct conversation");
    const int64_t now = store_now_ms();
    db.prepare("INSERT OR IGNORE INTO rooms(name, last_seq, created_ms, kind) VALUES(?1, 0, ?2, 2)").bind(room, now).step();
    if (!kind) impl->record(db, rules::room_created_events(room, RoomKind::direct, "", now));
    for (const auto& u : {a, b}) {
      add_member(db, room, u, Role::member);
      if (db.changes() > 0) impl->record(db, rules::member_joined_event(room, u, Role::member, u == b ? a : "", now));
    }
    return *sqlite_member_state(db, room, a);
  }));
}

void SqliteStore::moderate(ModerationRequest req, Callback<ModerationResult> done) {
  Impl* impl = impl_.get();
  impl_->write<ModerationResult>(std::move(done), [impl, req = std::move(req)](SqliteDb& db) -> Result<ModerationResult> {
    rules::ModerationFacts facts;
    facts.room = kind_of(db, req.room);
    if (!req.actor.empty()) facts.actor_role = role_of(db, req.room, req.actor);
    facts.target_role = role_of(db, req.room, req.target);
    if (auto s = rules::check_moderation(req, facts); !s.is_ok()) return s;
    ModerationResult result;
    result.was_member = facts.target_role.has_value();
    switch (req.action) {
      case ModerationAction::ban:
        db.prepare("INSERT OR IGNORE INTO bans(room, user) VALUES(?1, ?2)").bind(req.room, req.target).step();
        [[fallthrough]];
      case ModerationAction::kick:
        db.prepare("DELETE FROM members WHERE room=?1 AND user=?2").bind(req.room, req.target).step();
        break;
      case ModerationAction::unban:
        db.prepare("DELETE FROM bans WHERE room=?1 AND user=?2").bind(req.room, req.target).step();
        break;
      case ModerationAction::mute:
        db.prepare("UPDATE members SET muted_until=?3 WHERE room=?1 AND user=?2")
            .bind(req.room, req.target, req.muted_until)
            .step();
        break;
      case ModerationAction::set_role:
        db.prepare("UPDATE members SET role=?3 WHERE room=?1 AND user=?2")
            .bind(req.room, req.target, static_cast<int64_t>(req.role))
            .step();
        break;
    }
    if (auto e = rules::moderation_event(req, store_now_ms())) impl->record(db, *e);
    return result;
  });
}

void SqliteStore::set_block(std::string user, std::string other, bool on, Callback<std::vector<std::string>> done) {
  impl_->write<std::vector<std::string>>(std::move(done), [=](SqliteDb& db) -> Result<std::vector<std::string>> {
    if (on) {
      db.prepare("INSERT OR IGNORE INTO blocks(user, blocked) VALUES(?1, ?2)").bind(user, other).step();
    } else {
      db.prepare("DELETE FROM blocks WHERE user=?1 AND blocked=?2").bind(user, other).step();
    }
    return read_blocks(db, user);
  });
}

void SqliteStore::settings_of(std::string user, Callback<UserSettings> done) {
  impl_->read<UserSettings>(std::move(done), [=](SqliteDb& db) -> Result<UserSettings> {
    UserSettings out{read_blocks(db, user), {}};
    auto& st = db.prepare("SELECT away, text FROM statuses WHERE user=?1");
    st.bind(user);
    if (st.step()) {
      out.status = UserStatus{st.int64(0) != 0, st.text(1)};
      st.bind();
    }
    return out;
  });
}

void SqliteStore::set_status(std::string user, UserStatus status, Callback<bool> done) {
  impl_->write<bool>(std::move(done), [=](SqliteDb& db) -> Result<bool> {
    if (status.is_default()) {
      db.prepare("DELETE FROM statuses WHERE user=?1").bind(user).step();
    } else {
      db.prepare("INSERT OR REPLACE INTO statuses(user, away, text, ts) VALUES(?1,?2,?3,?4)")
          .bind(user, static_cast<int64_t>(status.away), status.text, store_now_ms())
          .step();
    }
    return true;
  });
}

namespace {
Result<std::vector<ChatMessage>> search_messages(SqliteDb& db, const SearchQuery& q) {
  {
    std::vector<ChatMessage> out;
    auto words = rules::search_words(q.words);
    if (words.empty()) return out;
    auto& st = db.prepare(
        "SELECT t.room, t.seq, m.ts, m.user, m.client_id, m.text, m.edited_ts FROM message_text t "
        "JOIN members mm ON mm.room = t.room AND mm.user = ?2 "
        "JOIN messages m ON m.room = t.room AND m.seq = t.seq "
        "WHERE message_text MATCH ?1 AND (?3 = '' OR t.room = ?3) ORDER BY t.rowid DESC LIMIT ?4");
    st.bind(rules::fts5_query(words), q.user, q.room, q.limit);
    while (st.step()) {
      ChatMessage m{st.text(0), st.int64(1), st.int64(2), st.text(3), st.text(4), st.text(5)};
      m.edited_ts = st.int64(6);
      out.push_back(std::move(m));
    }
    return out;
  }
}
}  // namespace

void SqliteStore::search(SearchQuery q, Callback<std::vector<ChatMessage>> done) {
  // Every message acked before the search is indexed first (a job on the writer, which is
  // where the indexer runs), then the search reads.
  Impl* impl = impl_.get();
  impl_->write<bool>(
      [impl, q = std::move(q), done = std::move(done)](Result<bool> indexed) mutable {
        if (!indexed.ok()) return done(indexed.status);
        impl->read<std::vector<ChatMessage>>(std::move(done), [q = std::move(q)](SqliteDb& db) { return search_messages(db, q); });
      },
      [impl](SqliteDb&) -> Result<bool> {
        impl->index_rows();  // inside the batch's transaction
        return true;
      });
}



void SqliteStore::leave(std::string room, std::string user, Callback<bool> done) {
  Impl* impl = impl_.get();
  impl_->write<bool>(std::move(done), [=](SqliteDb& db) -> Result<bool> {
    if (kind_of(db, room) == RoomKind::direct) return Status::forbidden("nobody can leave a direct conversation");
    db.prepare("DELETE FROM members WHERE room=?1 AND user=?2").bind(room, user).step();
    if (db.changes() == 0) return Status::not_found("not a member of " + room);
    impl->record(db, rules::member_left_event(room, user, store_now_ms()));
    return true;
  });
}

void SqliteStore::set_read(std::string room, std::string user, int64_t seq, Callback<ReadResult> done) {
  impl_->write<ReadResult>(std::move(done), [=](SqliteDb& db) -> Result<ReadResult> {
    auto state = sqlite_member_state(db, room, user);
    if (!state) return Status::not_found("not a member of " + room);
    if (seq > state->last_seq) {
      return Status::invalid("seq " + std::to_string(seq) + " is past the room's last seq " + std::to_string(state->last_seq));
    }
    if (seq <= state->read_seq) return ReadResult{false, state->mentions};
    db.prepare("UPDATE members SET read_seq=?3 WHERE room=?1 AND user=?2").bind(room, user, seq).step();
    return ReadResult{true, sqlite_member_state(db, room, user)->mentions};
  });
}

void SqliteStore::set_notify(std::string room, std::string user, NotifyLevel level, Callback<RoomState> done) {
  impl_->write<RoomState>(std::move(done), [=](SqliteDb& db) -> Result<RoomState> {
    db.prepare("UPDATE members SET notify=?3 WHERE room=?1 AND user=?2")
        .bind(room, user, static_cast<int64_t>(level))
        .step();
    if (db.changes() == 0) return Status::not_found("not a member of " + room);
    return *sqlite_member_state(db, room, user);
  });
}

void SqliteStore::set_slow_mode(std::string room, std::string actor, int64_t seconds, Callback<RoomState> done) {
  impl_->write<RoomState>(std::move(done), [=](SqliteDb& db) -> Result<RoomState> {
    auto kind = kind_of(db, room);
    if (!kind) return Status::not_found("no room " + room);
    if (auto st = rules::check_slow_mode(*kind, actor.empty() ? std::optional<Role>(Role::owner) : role_of(db, room, actor), room);
        !st.is_ok()) {
      return st;
    }
    db.prepare("UPDATE rooms SET slow_mode_s=?2, settings_version=settings_version+1 WHERE name=?1").bind(room, seconds).step();
    auto& st = db.prepare("SELECT slow_mode_s, settings_version FROM rooms WHERE name=?1");
    st.bind(room);
    st.step();
    RoomState s{room};
    s.kind = *kind;
    s.slow_mode_s = st.int64(0);
    s.settings_version = st.int64(1);
    st.bind();
    return s;
  });
}

void SqliteStore::rooms_of(std::string user, Callback<std::vector<RoomState>> done) {
  impl_->read<std::vector<RoomState>>(std::move(done), [=](SqliteDb& db) -> Result<std::vector<RoomState>> {
    auto& st = db.prepare(PARLEY_MEMBER_VIEW "WHERE m.user=?1 ORDER BY m.room");
    st.bind(user);
    std::vector<RoomState> rooms;
    while (st.step()) rooms.push_back(read_state(st));
    return rooms;
  });
}

void SqliteStore::pin(PinRequest req, Callback<bool> done) {
  impl_->write<bool>(std::move(done), [req = std::move(req)](SqliteDb& db) -> Result<bool> {
    if (!req.on) {
      db.prepare("DELETE FROM pins WHERE room=?1 AND seq=?2").bind(req.room, req.seq).step();
      return db.changes() > 0;
    }
    auto& target = db.prepare("SELECT kind, deleted FROM messages WHERE room=?1 AND seq=?2");
    target.bind(req.room, req.seq);
    const bool live = target.step() && target.int64(0) == static_cast<int64_t>(EntryKind::message) && target.int64(1) == 0;
    target.bind();
    if (!live) return Status::not_found("no message " + std::to_string(req.seq) + " in " + req.room);
    if (exists(db.prepare("SELECT 1 FROM pins WHERE room=?1 AND seq=?2").bind(req.room, req.seq))) return false;
    auto& count = db.prepare("SELECT count(*) FROM pins WHERE room=?1");
    count.bind(req.room);
    count.step();
    const int64_t pins = count.int64(0);
    count.bind();
    if (pins >= req.max_pins) {
      return Status::limit_exceeded("a room holds at most " + std::to_string(req.max_pins) + " pinned messages");
    }
    db.prepare("INSERT INTO pins(room, seq, by, ts) VALUES(?1,?2,?3,?4)").bind(req.room, req.seq, req.by, req.ts).step();
    return true;
  });
}



void SqliteStore::reads(std::string room, std::string after, int limit, Callback<std::vector<ReadPosition>> done) {
  impl_->read<std::vector<ReadPosition>>(std::move(done), [=](SqliteDb& db) -> Result<std::vector<ReadPosition>> {
    return read_positions(db, room, after, "", limit);
  });
}

void SqliteStore::list_rooms(std::string after, int limit, int64_t since_ms, Callback<std::vector<RoomSummary>> done) {
  impl_->read<std::vector<RoomSummary>>(std::move(done), [=](SqliteDb& db) -> Result<std::vector<RoomSummary>> {
    auto& st = db.prepare(
        "SELECT r.name, r.kind, r.last_seq, r.slow_mode_s, r.created_ms, "
        "(SELECT count(*) FROM members m WHERE m.room=r.name), "
        "(SELECT count(*) FROM messages e WHERE e.room=r.name AND e.seq>r.last_seq-?4 AND e.ts>=?3 AND e.kind=0) "
        "FROM rooms r WHERE r.name>?1 ORDER BY r.name LIMIT ?2");
    st.bind(after, static_cast<int64_t>(limit), since_ms, kRecentEntriesScanned);
    std::vector<RoomSummary> out;
    while (st.step()) {
      out.push_back(RoomSummary{st.text(0), static_cast<RoomKind>(st.int64(1)), st.int64(2), st.int64(5), st.int64(6),
                                st.int64(3), st.int64(4)});
    }
    return out;
  });
}

}  // namespace parley
