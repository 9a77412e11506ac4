#include <algorithm>

#include "store/rules.hpp"
#include "store/sqlite_store_impl.hpp"

namespace parley {
namespace {

// The columns read_page() reads, in its order.
#define PARLEY_ENTRY_COLUMNS                                                                      \
  "SELECT seq, ts, user, client_id, text, kind, target, edited_ts, deleted, reply_to, data, mentions, " \
  "reply_count, last_reply_ts, attachments FROM messages "

// Reads up to `limit` rows (the query asks for limit + 1 to learn has_more), stopping early
// at kMaxPageTextBytes.
MessagePage read_page(Statement& st, std::size_t limit) {
  MessagePage page;
  std::size_t bytes = 0;
  while (st.step()) {
    if (page.messages.size() == limit || (bytes >= kMaxPageTextBytes && !page.messages.empty())) {
      page.has_more = true;
      st.bind();  // reset: the rest of the rows are not needed
      break;
    }
    ChatMessage m{"", st.int64(0), st.int64(1), st.text(2), st.text(3), st.text(4)};
    m.kind = static_cast<EntryKind>(st.int64(5));
    m.target = st.int64(6);
    m.edited_ts = st.int64(7);
    m.deleted = st.int64(8) != 0;
    m.reply_to = st.int64(9);
    m.data = st.text(10);
    rules::read_mentions_column(st.text(11), m);
    m.reply_count = st.int64(12);
    m.last_reply_ts = st.int64(13);
    m.attachments = rules::read_attachments_column(st.text(14));
    bytes += m.text.size() + m.data.size();
    page.messages.push_back(std::move(m));
  }
  return page;
}

// Fills in the reactions of the page's messages: one range read.
void read_reactions(SqliteDb& db, const std::string& room, MessagePage& page) {
  if (page.messages.empty()) return;
  auto& st = db.prepare(
      "SELECT seq, emoji, user FROM reactions WHERE room=?1 AND seq BETWEEN ?2 AND ?3 ORDER BY seq, emoji, user");
  st.bind(room, page.messages.front().seq, page.messages.back().seq);
  auto it = page.messages.begin();
  while (st.step()) {
    int64_t seq = st.int64(0);
    while (it != page.messages.end() && it->seq < seq) ++it;
    if (it == page.messages.end()) break;
    if (it->seq != seq) continue;
    std::string emoji = st.text(1);
    if (it->reactions.empty() || it->reactions.back().emoji != emoji) it->reactions.push_back(Reaction{emoji, {}});
    it->reactions.back().users.push_back(st.text(2));
  }
  st.bind();
}

// The target of an edit, deletion or reaction, and its full-text rowid.
std::optional<rules::Target> read_target(SqliteDb& db, const std::string& room, int64_t seq, int64_t& fts_id) {
  auto& st = db.prepare("SELECT user, ts, kind, deleted, fts_id, reply_to FROM messages WHERE room=?1 AND seq=?2");
  st.bind(room, seq);
  if (!st.step()) return std::nullopt;
  rules::Target t{st.text(0), st.int64(1), static_cast<EntryKind>(st.int64(2)), st.int64(3) != 0, st.int64(5)};
  fts_id = st.int64(4);
  st.bind();
  return t;
}

// Applies an edit, deletion or reaction (already checked) to its target message.
void apply_to_target(SqliteDb& db, const AppendRequest& req, int64_t fts_id) {
  switch (req.kind) {
    case EntryKind::edited:
      db.prepare("UPDATE messages SET text=?3, edited_ts=?4 WHERE room=?1 AND seq=?2")
          .bind(req.room, req.target, req.text, req.ts)
          .step();
      // Not indexed yet (0): the indexer takes the text as it is then.
      if (fts_id > 0) db.prepare("UPDATE message_text SET text=?2 WHERE rowid=?1").bind(fts_id, req.text).step();
      return;
    case EntryKind::deleted:
      db.prepare(
            "UPDATE messages SET text='', attachments='', deleted=(seq=?2) WHERE room=?1 AND "
            "(seq=?2 OR (target=?2 AND target > 0 AND kind=1))")
          .bind(req.room, req.target)
          .step();
      if (fts_id > 0) {
        db.prepare("DELETE FROM message_text WHERE rowid=?1").bind(fts_id).step();
      } else if (fts_id == 0) {
        db.prepare("UPDATE messages SET fts_id=-1 WHERE room=?1 AND seq=?2").bind(req.room, req.target).step();
      }
      db.prepare("DELETE FROM reactions WHERE room=?1 AND seq=?2").bind(req.room, req.target).step();
      db.prepare("DELETE FROM pins WHERE room=?1 AND seq=?2").bind(req.room, req.target).step();
      db.prepare("UPDATE uploads SET deleted=1 WHERE room=?1 AND seq=?2").bind(req.room, req.target).step();
      return;
    case EntryKind::reaction_add:
      db.prepare("INSERT OR IGNORE INTO reactions(room, seq, emoji, user) VALUES(?1,?2,?3,?4)")
          .bind(req.room, req.target, req.text, req.user)
          .step();
      return;
    case EntryKind::reaction_remove:
      db.prepare("DELETE FROM reactions WHERE room=?1 AND seq=?2 AND emoji=?3 AND user=?4")
          .bind(req.room, req.target, req.text, req.user)
          .step();
      return;
    case EntryKind::message:
      return;
  }
}

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const SqliteStoreOptions& o) {
  auto impl = std::make_unique<Impl>();
  auto w = SqliteDb::open(o.path, o.sync, /*migrate=*/true);
  if (!w.ok()) return w.status;
  auto r = SqliteDb::open(o.path, o.sync, /*migrate=*/false);
  if (!r.ok()) return r.status;
  impl->write_db = std::move(w.value);
  impl->read_db = std::move(r.value);
  impl->metrics = o.metrics;
  impl->max_backlog = o.max_backlog;
  impl->outbox = o.outbox;
  Impl* p = impl.get();
  // What an earlier run stored but did not index yet (a crash, a kill) is searchable at once.
  try {
    impl->index_pending();
  } catch (const SqliteError& e) {
    return Status::io_error(std::string("indexing for search: ") + e.what());
  }
  impl->writer = std::make_unique<WriteQueue<SqliteDb>>(
      std::max<std::size_t>(1, o.commit_batch), [p](auto& batch) { p->commit_batch(batch); });
  impl->reader = std::make_unique<ReadQueue<SqliteDb>>(64, [p](auto& batch) {
    for (auto& job : batch) job(*p->read_db);
  });
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(impl)));
}

SqliteStore::SqliteStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SqliteStore::~SqliteStore() { close(); }

void SqliteStore::close() {
  impl_->writer->stop();
  impl_->reader->stop();
  try {
    impl_->index_pending();
  } catch (const SqliteError& e) {
    spdlog::warn("store: indexing for search at shutdown: {} (done at the next start)", e.what());
  }
}


void SqliteStore::append(AppendRequest req, Callback<Appended> done) {
  if (Status busy = refuse_when_behind(*impl_->writer, impl_->max_backlog); !busy.is_ok()) return done(busy);
  Impl* impl = impl_.get();
  impl_->write<Appended>(std::move(done), [impl, req = std::move(req)](SqliteDb& db) -> Result<Appended> {
    auto& dup = db.prepare("SELECT room, seq, ts, text, kind, target FROM messages WHERE user=?1 AND client_id=?2");
    dup.bind(req.user, req.id);
    if (dup.step()) {
      Appended a{ChatMessage{dup.text(0), dup.int64(1), dup.int64(2), req.user, req.id, dup.text(3)}, true};
      a.message.kind = static_cast<EntryKind>(dup.int64(4));
      a.message.target = dup.int64(5);
      dup.bind();
      return a;
    }
    if (req.require_member) {
      auto& member = db.prepare("SELECT 1 FROM members WHERE room=?1 AND user=?2");
      member.bind(req.room, req.user);
      bool is_member = member.step();
      member.bind();
      if (!is_member) {
        auto& exists = db.prepare("SELECT 1 FROM rooms WHERE name=?1");
        exists.bind(req.room);
        bool room_exists = exists.step();
        exists.bind();
        if (!room_exists) return Status::not_found("no room " + req.room);
        return Status::forbidden(req.user + " is not a member of " + req.room);
      }
    }
    if (!req.peer.empty()) {
      auto& blocked = db.prepare("SELECT 1 FROM blocks WHERE user=?1 AND blocked=?2");
      blocked.bind(req.peer, req.user);
      bool is_blocked = blocked.step();
      blocked.bind();
      if (is_blocked) return Status::forbidden(req.peer + " does not accept your messages");
    }
    int64_t fts_id = 0;
    if (req.kind != EntryKind::message) {
      if (auto s = rules::check_target(req, read_target(db, req.room, req.target, fts_id)); !s.is_ok()) return s;
    }
    int64_t root = 0;
    if (req.reply_to > 0) {
      int64_t parent_fts = 0;
      auto r = rules::thread_root(req, read_target(db, req.room, req.reply_to, parent_fts));
      if (!r.ok()) return r.status;
      root = r.value;
    }
    std::vector<Attachment> files;
    for (const auto& id : req.attachments) {
      auto file = rules::attachable(req, id, sqlite_upload(db, id));
      if (!file.ok()) return file.status;
      files.push_back(std::move(file.value));
    }
    auto next = impl->next_seq(req.room);
    if (!next) return Status::not_found("no room " + req.room);
    const int64_t seq = *next;
    // A message waits for the indexer (0); other entries are never indexed (-1).
    const int64_t own_fts = req.kind == EntryKind::message ? 0 : -1;
    db.prepare(
          "INSERT INTO messages(room, seq, ts, user, client_id, text, kind, target, fts_id, reply_to, data, mentions, "
          "attachments) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)")
        .bind(req.room, seq, req.ts, req.user, req.id, req.text, static_cast<int64_t>(req.kind), req.target, own_fts,
              root, req.data, rules::mentions_column(req.mentions, req.mention_room), rules::attachments_column(files))
        .step();
    for (const auto& f : files) {
      db.prepare("UPDATE uploads SET room=?2, seq=?3 WHERE id=?1").bind(f.id, req.room, seq).step();
    }
    apply_to_target(db, req, fts_id);
    if (root > 0) {
      db.prepare("UPDATE messages SET reply_count=reply_count+1, last_reply_ts=?3 WHERE room=?1 AND seq=?2")
          .bind(req.room, root, req.ts)
          .step();
    }
    for (auto& key : rules::mention_keys(req.mentions, req.mention_room)) {
      db.prepare("INSERT OR IGNORE INTO mentions(room, user, seq) VALUES(?1,?2,?3)").bind(req.room, key, seq).step();
    }
    ChatMessage m{req.room, seq, req.ts, req.user, req.id, req.text};
    m.kind = req.kind;
    m.target = req.target;
    m.reply_to = root;
    m.data = req.data;
    m.mentions = req.mentions;
    m.mention_room = req.mention_room;
    m.attachments = std::move(files);
    impl->record(db, rules::message_event(m));
    impl->window.stage(m);
    return Appended{std::move(m), false};
  }, /*takes_seq=*/true);
}

void SqliteStore::create_room(std::string room, RoomKind kind, std::string owner, Callback<bool> done) {
  Impl* impl = impl_.get();
  impl_->write<bool>(std::move(done), [=](SqliteDb& db) -> Result<bool> {
    int64_t now = store_now_ms();
    db.prepare("INSERT OR IGNORE INTO rooms(name, last_seq, created_ms, kind) VALUES(?1, 0, ?2, ?3)")
        .bind(room, now, static_cast<int64_t>(kind))
        .step();
    if (db.changes() == 0) return false;
    if (!owner.empty()) {
      db.prepare("INSERT INTO members(room, user, read_seq, joined_ms, role) VALUES(?1, ?2, 0, ?3, ?4)")
          .bind(room, owner, now, static_cast<int64_t>(Role::owner))
          .step();
    }
    impl->record(db, rules::room_created_events(room, kind, owner, now));
    return true;
  });
}

void SqliteStore::room(std::string room, Callback<RoomState> done) {
  impl_->read<RoomState>(std::move(done), [=](SqliteDb& db) -> Result<RoomState> {
    auto& st = db.prepare("SELECT last_seq, kind, slow_mode_s, settings_version FROM rooms WHERE name=?1");
    st.bind(room);
    if (!st.step()) return Status::not_found("no room " + room);
    RoomState s{room, st.int64(0), 0};
    s.kind = static_cast<RoomKind>(st.int64(1));
    s.slow_mode_s = st.int64(2);
    s.settings_version = st.int64(3);
    st.bind();
    return s;
  });
}

void SqliteStore::ping(Callback<bool> done) {
  // While writes fail for the storage's sake, a probe write tells whether they would
  // succeed again (and its commit clears the failure).
  if (impl_->health.failing()) {
    Impl* impl = impl_.get();
    return impl_->write<bool>([impl, done = std::move(done)](Result<bool> r) {
      if (auto why = impl->health.failing()) return done(Result<bool>(Status::io_error(*why)));
      done(std::move(r));
    }, [](SqliteDb& db) -> Result<bool> {
      using namespace std::chrono;
      const int64_t now = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
      db.prepare("INSERT OR REPLACE INTO store_probe(id, at_ms) VALUES(1, ?1)").bind(now).step();
      return true;
    });
  }
  // Reads a page of the database (not just "SELECT 1"): the file must still be readable.
  impl_->read<bool>(std::move(done), [](SqliteDb& db) -> Result<bool> {
    auto& st = db.prepare("SELECT count(*) FROM (SELECT 1 FROM rooms LIMIT 1)");
    st.bind();
    st.step();
    st.bind();
    return true;
  });
}

void SqliteStore::after(std::string room, int64_t after, int limit, Callback<MessagePage> done) {
  if (auto page = impl_->window.after(room, after, limit)) return done(std::move(*page));
  impl_->read<MessagePage>(std::move(done), [=](SqliteDb& db) -> Result<MessagePage> {
    auto& st = db.prepare(
        PARLEY_ENTRY_COLUMNS
        "WHERE room=?1 AND seq>?2 ORDER BY seq LIMIT ?3");
    st.bind(room, after, limit + 1);
    auto page = read_page(st, limit);
    for (auto& m : page.messages) m.room = room;
    read_reactions(db, room, page);
    return page;
  });
}

void SqliteStore::before(std::string room, std::optional<int64_t> before, int limit,
                         Callback<MessagePage> done) {
  if (auto page = impl_->window.before(room, before, limit)) return done(std::move(*page));
  impl_->read<MessagePage>(std::move(done), [=](SqliteDb& db) -> Result<MessagePage> {
    auto& st = db.prepare(
        PARLEY_ENTRY_COLUMNS
        "WHERE room=?1 AND seq<?2 ORDER BY seq DESC LIMIT ?3");
    st.bind(room, before.value_or(INT64_MAX), limit + 1);
    auto page = read_page(st, limit);
    std::reverse(page.messages.begin(), page.messages.end());
    for (auto& m : page.messages) m.room = room;
    read_reactions(db, room, page);
    return page;
  });
}

void SqliteStore::thread(std::string room, int64_t root, std::optional<int64_t> after, std::optional<int64_t> before,
                         int limit, Callback<MessagePage> done) {
  impl_->read<MessagePage>(std::move(done), [=](SqliteDb& db) -> Result<MessagePage> {
    int64_t fts_id = 0;
    auto t = read_target(db, room, root, fts_id);
    if (!t || t->kind != EntryKind::message || t->reply_to > 0) {
      return Status::not_found("no thread " + std::to_string(root) + " in " + room);
    }
    auto& st = db.prepare(after ? PARLEY_ENTRY_COLUMNS "WHERE room=?1 AND reply_to=?2 AND seq>?3 ORDER BY seq LIMIT ?4"
                                : PARLEY_ENTRY_COLUMNS "WHERE room=?1 AND reply_to=?2 AND seq<?3 ORDER BY seq DESC LIMIT ?4");
    st.bind(room, root, after ? *after : before.value_or(INT64_MAX), limit + 1);
    auto page = read_page(st, limit);
    if (!after) std::reverse(page.messages.begin(), page.messages.end());
    for (auto& m : page.messages) m.room = room;
    read_reactions(db, room, page);
    return page;
  });
}

void SqliteStore::create_user(std::string name, std::string password_hash, Callback<bool> done) {
  impl_->write<bool>(std::move(done), [=](SqliteDb& db) -> Result<bool> {
    // A deleted user's name is not given again (their messages may still carry it).
    db.prepare(
          "INSERT OR IGNORE INTO users(name, pw_hash, created_ms) SELECT ?1, ?2, ?3 "
          "WHERE NOT EXISTS (SELECT 1 FROM user_access WHERE name=?1 AND deleted_ms > 0)")
        .bind(name, password_hash, store_now_ms())
        .step();
    if (db.changes() == 0) return Status::conflict("user name taken");
    return true;
  });
}

void SqliteStore::password_hash(std::string name, Callback<std::string> done) {
  impl_->read<std::string>(std::move(done), [=](SqliteDb& db) -> Result<std::string> {
    auto& st = db.prepare("SELECT pw_hash FROM users WHERE name=?1");
    st.bind(name);
    if (!st.step()) return Status::not_found("no such user");
    auto hash = st.text(0);
    st.bind();
    return hash;
  });
}

}  // namespace parley
