#include "store/pg_store.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <thread>

#include "store/pg_store_impl.hpp"
#include "store/rules.hpp"

namespace parley {
namespace {

// Schema migrations, applied in order under an advisory lock; schema_version records how
// many have run. Never edit a migration that has shipped: append a new one.
const char* const kMigrations[] = {
    R"sql(
    CREATE TABLE users(
      name TEXT PRIMARY KEY,
      pw_hash TEXT NOT NULL,
      created_ms BIGINT NOT NULL);
    CREATE TABLE rooms(
      name TEXT PRIMARY KEY,
      last_seq BIGINT NOT NULL DEFAULT 0,
      created_ms BIGINT NOT NULL);
    CREATE TABLE members(
      room TEXT NOT NULL,
      "user" TEXT NOT NULL,
      read_seq BIGINT NOT NULL DEFAULT 0,
      joined_ms BIGINT NOT NULL,
      PRIMARY KEY(room, "user"));
    CREATE INDEX members_by_user ON members("user", room);
    CREATE TABLE messages(
      room TEXT NOT NULL,
      seq BIGINT NOT NULL,
      ts BIGINT NOT NULL,
      "user" TEXT NOT NULL,
      client_id TEXT NOT NULL,
      text TEXT NOT NULL,
      PRIMARY KEY(room, seq));
    CREATE UNIQUE INDEX messages_dedup ON messages("user", client_id);
    )sql",
    // Room kinds, roles, moderation, edits, deletions, reactions and full-text search.
    R"sql(
    ALTER TABLE rooms ADD COLUMN kind SMALLINT NOT NULL DEFAULT 0;
    ALTER TABLE members ADD COLUMN role SMALLINT NOT NULL DEFAULT 0;
    ALTER TABLE members ADD COLUMN muted_until BIGINT NOT NULL DEFAULT 0;
    ALTER TABLE messages ADD COLUMN kind SMALLINT NOT NULL DEFAULT 0;
    ALTER TABLE messages ADD COLUMN target BIGINT NOT NULL DEFAULT 0;
    ALTER TABLE messages ADD COLUMN edited_ts BIGINT NOT NULL DEFAULT 0;
    ALTER TABLE messages ADD COLUMN deleted BOOLEAN NOT NULL DEFAULT false;
    CREATE INDEX messages_by_target ON messages(room, target) WHERE target > 0;
    CREATE INDEX messages_text ON messages USING gin (to_tsvector('simple', text)) WHERE kind = 0 AND NOT deleted;
    CREATE TABLE bans(room TEXT NOT NULL, "user" TEXT NOT NULL, PRIMARY KEY(room, "user"));
    CREATE TABLE blocks("user" TEXT NOT NULL, blocked TEXT NOT NULL, PRIMARY KEY("user", blocked));
    CREATE TABLE reactions(
      room TEXT NOT NULL,
      seq BIGINT NOT NULL,
      emoji TEXT NOT NULL,
      "user" TEXT NOT NULL,
      PRIMARY KEY(room, seq, emoji, "user"));
    )sql",
    // The batched append (pg_commit.cpp).
    kAppendFunctionMigration,
    // Threads, message data, mentions and notification levels, pinned messages, statuses (as in the
    // SQLite store: messages.mentions holds the named users and "*" for the room).
    R"sql(
    ALTER TABLE messages ADD COLUMN reply_to BIGINT NOT NULL DEFAULT 0;
    ALTER TABLE messages ADD COLUMN data TEXT NOT NULL DEFAULT '';
    ALTER TABLE messages ADD COLUMN mentions TEXT NOT NULL DEFAULT '';
    ALTER TABLE messages ADD COLUMN reply_count BIGINT NOT NULL DEFAULT 0;
    ALTER TABLE messages ADD COLUMN last_reply_ts BIGINT NOT NULL DEFAULT 0;
    CREATE INDEX messages_by_thread ON messages(room, reply_to, seq) WHERE reply_to > 0;
    ALTER TABLE members ADD COLUMN notify SMALLINT NOT NULL DEFAULT 0;
    CREATE TABLE mentions(room TEXT NOT NULL, "user" TEXT NOT NULL, seq BIGINT NOT NULL, PRIMARY KEY(room, "user", seq));
    CREATE TABLE pins(room TEXT NOT NULL, seq BIGINT NOT NULL, "by" TEXT NOT NULL, ts BIGINT NOT NULL, PRIMARY KEY(room, seq));
    CREATE TABLE statuses("user" TEXT PRIMARY KEY, away BOOLEAN NOT NULL, text TEXT NOT NULL, ts BIGINT NOT NULL);
    )sql",
    // Uploads (as in the SQLite store) and their content: blobs holds every node's files
    // (PgBlobStore), so that any node serves any of them.
    R"sql(
    CREATE TABLE uploads(
      id TEXT PRIMARY KEY,
      owner TEXT NOT NULL,
      name TEXT NOT NULL,
      type TEXT NOT NULL,
      size BIGINT NOT NULL,
      width BIGINT NOT NULL,
      height BIGINT NOT NULL,
      thumb_type TEXT NOT NULL,
      sha256 TEXT NOT NULL,
      created_ms BIGINT NOT NULL,
      room TEXT NOT NULL DEFAULT '',
      seq BIGINT NOT NULL DEFAULT 0,
      deleted BOOLEAN NOT NULL DEFAULT false);
    CREATE INDEX uploads_by_owner ON uploads(owner) WHERE NOT deleted;
    CREATE INDEX uploads_by_message ON uploads(room, seq) WHERE room <> '';
    CREATE INDEX uploads_unsent ON uploads(created_ms) WHERE room = '';
    ALTER TABLE messages ADD COLUMN attachments TEXT NOT NULL DEFAULT '';
    CREATE TABLE blobs(key TEXT PRIMARY KEY, data BYTEA NOT NULL);
    ALTER TABLE blobs ALTER COLUMN data SET STORAGE EXTERNAL;
    )sql",
    // The webhook outbox (store/outbox.hpp, pg_outbox.cpp).
    kOutboxMigration,
    kAccountsMigration,
    kPushMigration,
    kRevokedTokensMigration,
};

constexpr int64_t kMigrationLock = 0x7061726c6579;  // "parley"

void migrate(PgConn& db) {
  db.exec("SELECT pg_advisory_lock(" + std::to_string(kMigrationLock) + ")");
  try {
    db.exec("CREATE TABLE IF NOT EXISTS schema_version(version INT NOT NULL)");
    db.prepare("schema_version", "SELECT coalesce(max(version), 0) FROM schema_version");
    int64_t done = db.run("schema_version").int64(0, 0);
    constexpr int64_t total = sizeof kMigrations / sizeof kMigrations[0];
    for (int64_t i = done; i < total; ++i) {
      db.exec("BEGIN");
      db.exec(kMigrations[i]);
      db.exec("INSERT INTO schema_version(version) VALUES(" + std::to_string(i + 1) + ")");
      db.exec("COMMIT");
    }
  } catch (...) {
    try { db.exec("ROLLBACK"); } catch (const PgError&) {}
    db.exec("SELECT pg_advisory_unlock(" + std::to_string(kMigrationLock) + ")");
    throw;
  }
  db.exec("SELECT pg_advisory_unlock(" + std::to_string(kMigrationLock) + ")");
}

void prepare_statements(PgConn& db) {
  db.prepare("dedup", R"(SELECT room, seq, ts, text, kind, target FROM messages WHERE "user"=$1 AND client_id=$2)");
  db.prepare("next_seq", "UPDATE rooms SET last_seq = last_seq + 1 WHERE name=$1 RETURNING last_seq");
  db.prepare("insert_message",
             R"(INSERT INTO messages(room, seq, ts, "user", client_id, text, kind, target, reply_to, data, mentions,
                                    attachments)
                VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) ON CONFLICT ("user", client_id) DO NOTHING RETURNING seq)");
  db.prepare("count_reply", "UPDATE messages SET reply_count = reply_count + 1, last_reply_ts = $3 WHERE room=$1 AND seq=$2");
  db.prepare("add_mention", R"(INSERT INTO mentions(room, "user", seq) VALUES($1,$2,$3) ON CONFLICT DO NOTHING)");
  db.prepare("last_seq", "SELECT last_seq, kind, slow_mode_s, settings_version FROM rooms WHERE name=$1");
  db.prepare("is_member", R"(SELECT 1 FROM members WHERE room=$1 AND "user"=$2)");
  db.prepare("create_room",
             "INSERT INTO rooms(name, last_seq, created_ms, kind) VALUES($1, 0, $2, $3) ON CONFLICT DO NOTHING RETURNING 1");
  db.prepare("is_blocked", R"(SELECT 1 FROM blocks WHERE "user"=$1 AND blocked=$2)");
  db.prepare("target", R"(SELECT "user", ts, kind, deleted, reply_to FROM messages WHERE room=$1 AND seq=$2 FOR UPDATE)");
  db.prepare("apply_edit", "UPDATE messages SET text=$3, edited_ts=$4 WHERE room=$1 AND seq=$2");
  db.prepare("apply_delete",
             "UPDATE messages SET text='', attachments='', deleted=(seq=$2) WHERE room=$1 AND "
             "(seq=$2 OR (target=$2 AND target > 0 AND kind=1))");
  db.prepare("revoke_uploads", "UPDATE uploads SET deleted=true WHERE room=$1 AND seq=$2");
  db.prepare("clear_reactions", "DELETE FROM reactions WHERE room=$1 AND seq=$2");
  db.prepare("clear_pin", "DELETE FROM pins WHERE room=$1 AND seq=$2 RETURNING 1");
  db.prepare("add_reaction", R"(INSERT INTO reactions(room, seq, emoji, "user") VALUES($1,$2,$3,$4) ON CONFLICT DO NOTHING)");
  db.prepare("del_reaction", R"(DELETE FROM reactions WHERE room=$1 AND seq=$2 AND emoji=$3 AND "user"=$4)");
  db.prepare("reactions",
             R"(SELECT seq, emoji, "user" FROM reactions WHERE room=$1 AND seq BETWEEN $2 AND $3
                ORDER BY seq, emoji COLLATE "C", "user" COLLATE "C")");
  db.prepare("undo_seq", "UPDATE rooms SET last_seq = last_seq - 1 WHERE name=$1");
  prepare_room_statements(db);
  prepare_append_statements(db);
  prepare_upload_statements(db);
  prepare_outbox_statements(db);
  prepare_account_statements(db);
  db.prepare("ping", "SELECT 1");
  db.prepare("probe_write", R"(INSERT INTO store_probe(id, at_ms) VALUES(1, $1)
                               ON CONFLICT(id) DO UPDATE SET at_ms = excluded.at_ms)");
  // The columns page_of() reads, in its order.
  const std::string entry = R"(SELECT seq, ts, "user", client_id, text, kind, target, edited_ts, deleted::int, reply_to,
                                      data, mentions, reply_count, last_reply_ts, attachments FROM messages )";
  db.prepare("after", entry + "WHERE room=$1 AND seq>$2 ORDER BY seq LIMIT $3");
  db.prepare("before", entry + "WHERE room=$1 AND seq<$2 ORDER BY seq DESC LIMIT $3");
  db.prepare("thread_after", entry + "WHERE room=$1 AND reply_to=$2 AND seq>$3 ORDER BY seq LIMIT $4");
  db.prepare("thread_before", entry + "WHERE room=$1 AND reply_to=$2 AND seq<$3 ORDER BY seq DESC LIMIT $4");
  db.prepare("thread_root", "SELECT kind, reply_to FROM messages WHERE room=$1 AND seq=$2");
  // A deleted user's name is not given again (their messages may still carry it).
  db.prepare("create_user", R"(INSERT INTO users(name, pw_hash, created_ms) SELECT $1, $2, $3
                                WHERE NOT EXISTS (SELECT 1 FROM user_access WHERE name=$1 AND deleted_ms > 0)
                                ON CONFLICT DO NOTHING RETURNING 1)");
  db.prepare("pw_hash", "SELECT pw_hash FROM users WHERE name=$1");
}

// Up to `limit` of the rows (the query asks for limit + 1), stopping at kMaxPageTextBytes.
MessagePage page_of(const PgResult& r, const std::string& room, std::size_t limit) {
  MessagePage page;
  std::size_t bytes = 0;
  for (int i = 0; i < r.rows(); ++i) {
    if (page.messages.size() == limit || (bytes >= kMaxPageTextBytes && !page.messages.empty())) {
      page.has_more = true;
      break;
    }
    ChatMessage m{room, r.int64(i, 0), r.int64(i, 1), r.text(i, 2), r.text(i, 3), r.text(i, 4)};
    m.kind = static_cast<EntryKind>(r.int64(i, 5));
    m.target = r.int64(i, 6);
    m.edited_ts = r.int64(i, 7);
    m.deleted = r.int64(i, 8) != 0;
    m.reply_to = r.int64(i, 9);
    m.data = r.text(i, 10);
    rules::read_mentions_column(r.text(i, 11), m);
    m.reply_count = r.int64(i, 12);
    m.last_reply_ts = r.int64(i, 13);
    m.attachments = rules::read_attachments_column(r.text(i, 14));
    bytes += m.text.size() + m.data.size();
    page.messages.push_back(std::move(m));
  }
  return page;
}

// Fills in the reactions of the page's messages (ascending).
void read_reactions(PgConn& db, const std::string& room, MessagePage& page) {
  if (page.messages.empty()) return;
  auto r = db.run("reactions", {room, page.messages.front().seq, page.messages.back().seq});
  auto it = page.messages.begin();
  for (int i = 0; i < r.rows(); ++i) {
    int64_t seq = r.int64(i, 0);
    while (it != page.messages.end() && it->seq < seq) ++it;
    if (it == page.messages.end()) break;
    if (it->seq != seq) continue;
    std::string emoji = r.text(i, 1);
    if (it->reactions.empty() || it->reactions.back().emoji != emoji) it->reactions.push_back(Reaction{emoji, {}});
    it->reactions.back().users.push_back(r.text(i, 2));
  }
}

// The row of the "target" statement.
rules::Target read_target(const PgResult& t) {
  return rules::Target{t.text(0, 0), t.int64(0, 1), static_cast<EntryKind>(t.int64(0, 2)), t.text(0, 3) == "t",
                       t.int64(0, 4)};
}

// Applies an edit, deletion or reaction (already checked) to its target message.
void apply_to_target(PgConn& db, const AppendRequest& req) {
  switch (req.kind) {
    case EntryKind::edited: db.run("apply_edit", {req.room, req.target, req.text, req.ts}); return;
    case EntryKind::deleted:
      db.run("apply_delete", {req.room, req.target});
      db.run("clear_reactions", {req.room, req.target});
      db.run("clear_pin", {req.room, req.target});
      db.run("revoke_uploads", {req.room, req.target});
      return;
    case EntryKind::reaction_add: db.run("add_reaction", {req.room, req.target, req.text, req.user}); return;
    case EntryKind::reaction_remove: db.run("del_reaction", {req.room, req.target, req.text, req.user}); return;
    case EntryKind::message: return;
  }
}

}  // namespace

Result<std::unique_ptr<PgStore>> PgStore::open(const PgStoreOptions& o) {
  auto impl = std::make_unique<Impl>();
  impl->metrics = o.metrics;
  impl->max_backlog = o.max_backlog;
  impl->outbox = o.outbox;
  const std::size_t writers = std::max<std::size_t>(1, o.connections / 2);
  const std::size_t readers = std::max<std::size_t>(1, o.connections - writers);
  std::vector<std::unique_ptr<PgConn>> conns;
  for (std::size_t i = 0; i < writers + readers; ++i) {
    auto c = PgConn::connect(o.conninfo, o.password);
    if (!c.ok()) return c.status;
    conns.push_back(std::move(c.value));
  }
  try {
    migrate(*conns[0]);
    for (auto& c : conns) prepare_statements(*c);
  } catch (const PgError& e) {
    return Status::io_error(std::string("postgres schema: ") + e.what());
  }
  Impl* p = impl.get();
  for (std::size_t i = 0; i < writers; ++i) {
    auto w = std::make_unique<Impl::Writer>();
    w->db = std::move(conns[i]);
    PgConn* db = w->db.get();
    w->queue = std::make_unique<WriteQueue<PgConn>>(std::max<std::size_t>(1, o.commit_batch),
                                                   [p, db](auto& batch) { p->commit_batch(*db, batch); });
    impl->writers.push_back(std::move(w));
  }
  for (std::size_t i = writers; i < conns.size(); ++i) {
    auto r = std::make_unique<Impl::Reader>();
    r->db = std::move(conns[i]);
    PgConn* db = r->db.get();
    r->queue = std::make_unique<ReadQueue<PgConn>>(64, [db](auto& batch) {
      for (auto& job : batch) job(*db);
    });
    impl->readers.push_back(std::move(r));
  }
  return std::unique_ptr<PgStore>(new PgStore(std::move(impl)));
}

PgStore::PgStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PgStore::~PgStore() { close(); }

void PgStore::close() {
  for (auto& w : impl_->writers) w->queue->stop();
  for (auto& r : impl_->readers) r->queue->stop();
}

void PgStore::append(AppendRequest req, Callback<Appended> done) {
  if (Status busy = refuse_when_behind(*impl_->writer_for(req.room).queue, impl_->max_backlog); !busy.is_ok()) {
    return done(busy);
  }
  // Plain messages go in batches through parley_append(); replies, messages with data or
  // mentions, edits, deletions and reactions one statement at a time (in the same group
  // commit).
  // Messages an endpoint hears of take the second path too: it records their webhook event.
  const bool plain = req.kind == EntryKind::message && req.reply_to == 0 && req.data.empty() && req.mentions.empty() &&
                     !req.mention_room && req.attachments.empty() && !impl_->outbox.wants(WebhookType::message_created);
  if (plain) {
    auto job = std::make_unique<PgAppendJob>();
    job->key = req.room;
    job->req = std::move(req);
    job->done = done;
    if (!impl_->writer_for(job->key).queue->push(std::move(job))) done(Status::unavailable("store is closed"));
    return;
  }
  // Checked against their target (or parent) message here.
  const std::string room = req.room;
  Impl* impl = impl_.get();
  impl_->write<Appended>(room, std::move(done), [impl, req = std::move(req)](PgConn& db) -> Result<Appended> {
    auto original = [&]() -> std::optional<Appended> {
      auto d = db.run("dedup", {req.user, req.id});
      if (d.empty()) return std::nullopt;
      Appended a{ChatMessage{d.text(0, 0), d.int64(0, 1), d.int64(0, 2), req.user, req.id, d.text(0, 3)}, true};
      a.message.kind = static_cast<EntryKind>(d.int64(0, 4));
      a.message.target = d.int64(0, 5);
      return a;
    };
    if (auto dup = original()) return *dup;
    if (req.require_member && db.run("is_member", {req.room, req.user}).empty()) {
      if (db.run("last_seq", {req.room}).empty()) return Status::not_found("no room " + req.room);
      return Status::forbidden(req.user + " is not a member of " + req.room);
    }
    if (!req.peer.empty() && !db.run("is_blocked", {req.peer, req.user}).empty()) {
      return Status::forbidden(req.peer + " does not accept your messages");
    }
    if (req.kind != EntryKind::message) {
      auto t = db.run("target", {req.room, req.target});
      std::optional<rules::Target> target;
      if (!t.empty()) target = read_target(t);
      if (auto s = rules::check_target(req, target); !s.is_ok()) return s;
    }
    int64_t root = 0;
    if (req.reply_to > 0) {
      auto t = db.run("target", {req.room, req.reply_to});
      std::optional<rules::Target> parent;
      if (!t.empty()) parent = read_target(t);
      auto r = rules::thread_root(req, parent);
      if (!r.ok()) return r.status;
      root = r.value;
    }
    std::vector<Attachment> files;
    for (const auto& id : req.attachments) {
      auto file = rules::attachable(req, id, pg_upload(db, id, /*lock=*/true));
      if (!file.ok()) return file.status;
      files.push_back(std::move(file.value));
    }
    auto next = db.run("next_seq", {req.room});
    if (next.empty()) return Status::not_found("no room " + req.room);
    int64_t seq = next.int64(0, 0);
    auto inserted = db.run("insert_message", {req.room, seq, req.ts, req.user, req.id, req.text,
                                              static_cast<int64_t>(req.kind), req.target, root, req.data,
                                              rules::mentions_column(req.mentions, req.mention_room),
                                              rules::attachments_column(files)});
    if (inserted.empty()) {
      // Another node stored this (user, id) since our lookup: give our seq back (the room's
      // row is locked by this transaction), answer with theirs.
      db.run("undo_seq", {req.room});
      if (auto dup = original()) return *dup;
      return Status::io_error("message id conflict without a stored original");
    }
    apply_to_target(db, req);
    if (root > 0) db.run("count_reply", {req.room, root, req.ts});
    for (auto& key : rules::mention_keys(req.mentions, req.mention_room)) db.run("add_mention", {req.room, key, seq});
    for (const auto& f : files) db.run("attach_upload", {f.id, req.room, seq});
    ChatMessage m{req.room, seq, req.ts, req.user, req.id, req.text};
    m.kind = req.kind;
    m.target = req.target;
    m.reply_to = root;
    m.data = req.data;
    m.mentions = req.mentions;
    m.mention_room = req.mention_room;
    m.attachments = std::move(files);
    impl->record(db, rules::message_event(m));
    return Appended{std::move(m), false};
  });
}

void PgStore::create_room(std::string room, RoomKind kind, std::string owner, Callback<bool> done) {
  Impl* impl = impl_.get();
  impl_->write<bool>(room, std::move(done), [=](PgConn& db) -> Result<bool> {
    const int64_t now = store_now_ms();
    if (db.run("create_room", {room, now, static_cast<int64_t>(kind)}).empty()) return false;
    if (!owner.empty()) db.run("add_member", {room, owner, now, static_cast<int64_t>(Role::owner)});
    impl->record(db, rules::room_created_events(room, kind, owner, now));
    return true;
  });
}

void PgStore::room(std::string room, Callback<RoomState> done) {
  impl_->read<RoomState>(std::move(done), [=](PgConn& db) -> Result<RoomState> {
    auto r = db.run("last_seq", {room});
    if (r.empty()) return Status::not_found("no room " + room);
    RoomState s{room, r.int64(0, 0), 0};
    s.kind = static_cast<RoomKind>(r.int64(0, 1));
    s.slow_mode_s = r.int64(0, 2);
    s.settings_version = r.int64(0, 3);
    return s;
  });
}

void PgStore::ping(Callback<bool> done) {
  // While writes fail for the storage's sake, a probe write tells whether they would
  // succeed again (and its commit clears the failure).
  if (impl_->health.failing()) {
    Impl* impl = impl_.get();
    return impl_->write<bool>("", [impl, done = std::move(done)](Result<bool> r) {
      if (auto why = impl->health.failing()) return done(Result<bool>(Status::io_error(*why)));
      done(std::move(r));
    }, [](PgConn& db) -> Result<bool> {
      db.run("probe_write", {static_cast<int64_t>(std::time(nullptr)) * 1000});
      return true;
    });
  }
  impl_->read<bool>(std::move(done), [](PgConn& db) -> Result<bool> {
    db.run("ping");
    return true;
  });
}

void PgStore::after(std::string room, int64_t after, int limit, Callback<MessagePage> done) {
  impl_->read<MessagePage>(std::move(done), [=](PgConn& db) -> Result<MessagePage> {
    auto page = page_of(db.run("after", {room, after, static_cast<int64_t>(limit) + 1}), room, limit);
    read_reactions(db, room, page);
    return page;
  });
}

void PgStore::before(std::string room, std::optional<int64_t> before, int limit, Callback<MessagePage> done) {
  impl_->read<MessagePage>(std::move(done), [=](PgConn& db) -> Result<MessagePage> {
    auto page = page_of(db.run("before", {room, before.value_or(INT64_MAX), static_cast<int64_t>(limit) + 1}), room, limit);
    std::reverse(page.messages.begin(), page.messages.end());
    read_reactions(db, room, page);
    return page;
  });
}

void PgStore::thread(std::string room, int64_t root, std::optional<int64_t> after, std::optional<int64_t> before,
                     int limit, Callback<MessagePage> done) {
  impl_->read<MessagePage>(std::move(done), [=](PgConn& db) -> Result<MessagePage> {
    auto t = db.run("thread_root", {room, root});
    if (t.empty() || t.int64(0, 0) != static_cast<int64_t>(EntryKind::message) || t.int64(0, 1) > 0) {
      return Status::not_found("no thread " + std::to_string(root) + " in " + room);
    }
    const int64_t n = static_cast<int64_t>(limit) + 1;
    auto page = after ? page_of(db.run("thread_after", {room, root, *after, n}), room, limit)
                      : page_of(db.run("thread_before", {room, root, before.value_or(INT64_MAX), n}), room, limit);
    if (!after) std::reverse(page.messages.begin(), page.messages.end());
    read_reactions(db, room, page);
    return page;
  });
}

void PgStore::create_user(std::string name, std::string password_hash, Callback<bool> done) {
  impl_->write<bool>("user:" + name, std::move(done), [=](PgConn& db) -> Result<bool> {
    if (db.run("create_user", {name, password_hash, store_now_ms()}).empty()) return Status::conflict("user name taken");
    return true;
  });
}

void PgStore::password_hash(std::string name, Callback<std::string> done) {
  impl_->read<std::string>(std::move(done), [=](PgConn& db) -> Result<std::string> {
    auto r = db.run("pw_hash", {name});
    if (r.empty()) return Status::not_found("no such user");
    return r.text(0, 0);
  });
}

}  // namespace parley
