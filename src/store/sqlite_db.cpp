#include "store/sqlite_db.hpp"

#include <sqlite3.h>

namespace parley {
namespace {

// Schema migrations, applied in order; PRAGMA user_version records how many have run.
// Never edit a migration that has shipped: append a new one.
constexpr const char* kMigrations[] = {
    R"sql(
    CREATE TABLE users(
      name TEXT PRIMARY KEY,
      pw_hash TEXT NOT NULL,
      created_ms INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE rooms(
      name TEXT PRIMARY KEY,
      last_seq INTEGER NOT NULL DEFAULT 0,
      created_ms INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE members(
      room TEXT NOT NULL,
      user TEXT NOT NULL,
      read_seq INTEGER NOT NULL DEFAULT 0,
      joined_ms INTEGER NOT NULL,
      PRIMARY KEY(room, user)) WITHOUT ROWID;
    CREATE INDEX members_by_user ON members(user, room);
    CREATE TABLE messages(
      room TEXT NOT NULL,
      seq INTEGER NOT NULL,
      ts INTEGER NOT NULL,
      user TEXT NOT NULL,
      client_id TEXT NOT NULL,
      text TEXT NOT NULL,
      PRIMARY KEY(room, seq)) WITHOUT ROWID;
    CREATE UNIQUE INDEX messages_dedup ON messages(user, client_id);
    )sql",
    // Room kinds, roles, moderation, edits, deletions, reactions and full-text search.
    // message_text holds the searchable text of live messages; messages.fts_id is its rowid.
    R"sql(
    ALTER TABLE rooms ADD COLUMN kind INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE members ADD COLUMN role INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE members ADD COLUMN muted_until INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE messages ADD COLUMN kind INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE messages ADD COLUMN target INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE messages ADD COLUMN edited_ts INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE messages ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE messages ADD COLUMN fts_id INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX messages_by_target ON messages(room, target) WHERE target > 0;
    CREATE TABLE bans(
      room TEXT NOT NULL,
      user TEXT NOT NULL,
      PRIMARY KEY(room, user)) WITHOUT ROWID;
    CREATE TABLE blocks(
      user TEXT NOT NULL,
      blocked TEXT NOT NULL,
      PRIMARY KEY(user, blocked)) WITHOUT ROWID;
    CREATE TABLE reactions(
      room TEXT NOT NULL,
      seq INTEGER NOT NULL,
      emoji TEXT NOT NULL,
      user TEXT NOT NULL,
      PRIMARY KEY(room, seq, emoji, user)) WITHOUT ROWID;
    CREATE VIRTUAL TABLE message_text USING fts5(text, room UNINDEXED, seq UNINDEXED, detail=none, columnsize=0);
    CREATE TEMP TABLE fts_backfill(room TEXT, seq INTEGER, n INTEGER, PRIMARY KEY(room, seq)) WITHOUT ROWID;
    INSERT INTO fts_backfill SELECT room, seq, row_number() OVER (ORDER BY ts, room, seq) FROM messages;
    INSERT INTO message_text(rowid, text, room, seq)
      SELECT b.n, m.text, m.room, m.seq FROM messages m JOIN fts_backfill b ON b.room = m.room AND b.seq = m.seq;
    UPDATE messages SET fts_id = (SELECT n FROM fts_backfill b WHERE b.room = messages.room AND b.seq = messages.seq);
    DROP TABLE fts_backfill;
    )sql",
    // Search indexing leaves the append: a message is stored with fts_id 0 ("not indexed
    // yet") and indexed in bulk soon after (SqliteStore::Impl::index_pending); -1 marks rows
    // that are never indexed (edits, deletions, reactions; deleted before they were indexed).
    R"sql(
    UPDATE messages SET fts_id = -1 WHERE fts_id = 0;
    CREATE INDEX messages_unindexed ON messages(ts) WHERE fts_id = 0;
    )sql",
    // Threads, message data, mentions and notification levels, pinned messages, statuses.
    // messages.mentions: the named users and "*" for the room (rules::mentions_column);
    // mentions: the same as an index, for the unread mention counts.
    R"sql(
    ALTER TABLE messages ADD COLUMN reply_to INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE messages ADD COLUMN data TEXT NOT NULL DEFAULT '';
    ALTER TABLE messages ADD COLUMN mentions TEXT NOT NULL DEFAULT '';
    ALTER TABLE messages ADD COLUMN reply_count INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE messages ADD COLUMN last_reply_ts INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX messages_by_thread ON messages(room, reply_to, seq) WHERE reply_to > 0;
    ALTER TABLE members ADD COLUMN notify INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE mentions(
      room TEXT NOT NULL,
      user TEXT NOT NULL,
      seq INTEGER NOT NULL,
      PRIMARY KEY(room, user, seq)) WITHOUT ROWID;
    CREATE TABLE pins(
      room TEXT NOT NULL,
      seq INTEGER NOT NULL,
      by TEXT NOT NULL,
      ts INTEGER NOT NULL,
      PRIMARY KEY(room, seq)) WITHOUT ROWID;
    CREATE TABLE statuses(
      user TEXT PRIMARY KEY,
      away INTEGER NOT NULL,
      text TEXT NOT NULL,
      ts INTEGER NOT NULL) WITHOUT ROWID;
    )sql",
    // Uploads and the files messages carry (rules::attachments_column). An upload not sent yet
    // has room ''; one whose message was deleted is marked deleted until the sweep forgets it.
    R"sql(
    CREATE TABLE uploads(
      id TEXT PRIMARY KEY,
      owner TEXT NOT NULL,
      name TEXT NOT NULL,
      type TEXT NOT NULL,
      size INTEGER NOT NULL,
      width INTEGER NOT NULL,
      height INTEGER NOT NULL,
      thumb_type TEXT NOT NULL,
      sha256 TEXT NOT NULL,
      created_ms INTEGER NOT NULL,
      room TEXT NOT NULL DEFAULT '',
      seq INTEGER NOT NULL DEFAULT 0,
      deleted INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
    CREATE INDEX uploads_by_owner ON uploads(owner) WHERE deleted = 0;
    CREATE INDEX uploads_by_message ON uploads(room, seq) WHERE room <> '';
    CREATE INDEX uploads_unsent ON uploads(created_ms) WHERE room = '';
    ALTER TABLE messages ADD COLUMN attachments TEXT NOT NULL DEFAULT '';
    )sql",
    // The webhook outbox (store/outbox.hpp): events in the order of their changes, and one
    // delivery per endpoint (state 0 pending, 1 delivered, 2 dead).
    R"sql(
    CREATE TABLE webhook_events(
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      id TEXT NOT NULL UNIQUE,
      type TEXT NOT NULL,
      room TEXT NOT NULL,
      created_ms INTEGER NOT NULL,
      body TEXT NOT NULL);
    CREATE TABLE webhook_deliveries(
      endpoint TEXT NOT NULL,
      seq INTEGER NOT NULL,
      state INTEGER NOT NULL DEFAULT 0,
      attempts INTEGER NOT NULL DEFAULT 0,
      next_ms INTEGER NOT NULL DEFAULT 0,
      done_ms INTEGER NOT NULL DEFAULT 0,
      last_error TEXT NOT NULL DEFAULT '',
      PRIMARY KEY(endpoint, seq)) WITHOUT ROWID;
    CREATE INDEX webhook_deliveries_pending ON webhook_deliveries(endpoint, seq) WHERE state = 0;
    CREATE INDEX webhook_deliveries_done ON webhook_deliveries(done_ms) WHERE state = 1;
    )sql",
    // The standing of users whose tokens were revoked, who were disabled or deleted
    // (store.hpp → access_of); a deleted user's name stays here, so nobody takes it again.
    R"sql(
    CREATE TABLE user_access(
      name TEXT PRIMARY KEY,
      token_version INTEGER NOT NULL DEFAULT 0,
      disabled INTEGER NOT NULL DEFAULT 0,
      deleted_ms INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
    )sql",
    // Web Push subscriptions: one per browser (endpoint), of one user.
    R"sql(
    CREATE TABLE push_subscriptions(
      endpoint TEXT PRIMARY KEY,
      user TEXT NOT NULL,
      p256dh TEXT NOT NULL,
      auth TEXT NOT NULL,
      created_ms INTEGER NOT NULL) WITHOUT ROWID;
    CREATE INDEX push_subscriptions_by_user ON push_subscriptions(user, created_ms);
    )sql",
    // Tokens logged out before they expire (store.hpp → revoke_token), kept until then; the
    // probe row readiness writes while writes fail (store/write_health.hpp); a room's slow mode.
    R"sql(
    CREATE TABLE revoked_tokens(
      name TEXT NOT NULL,
      id TEXT NOT NULL,
      expires_s INTEGER NOT NULL,
      PRIMARY KEY(name, id)) WITHOUT ROWID;
    CREATE INDEX revoked_tokens_by_expiry ON revoked_tokens(expires_s);
    CREATE TABLE store_probe(id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL);
    ALTER TABLE rooms ADD COLUMN slow_mode_s INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE rooms ADD COLUMN settings_version INTEGER NOT NULL DEFAULT 0;
    )sql",
};

}  // namespace

bool is_storage_failure(int sqlite_code) {
  switch (sqlite_code & 0xff) {
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return true;
    default:
      return false;
  }
}

Statement::~Statement() { sqlite3_finalize(s_); }

void Statement::reset() {
  sqlite3_reset(s_);
  sqlite3_clear_bindings(s_);
}

void Statement::bind_one(int i, int64_t v) { sqlite3_bind_int64(s_, i, v); }

void Statement::bind_one(int i, std::string_view v) {
  sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}

bool Statement::step() {
  int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw SqliteError(sqlite3_errmsg(sqlite3_db_handle(s_)), rc);
}

int64_t Statement::int64(int col) const { return sqlite3_column_int64(s_, col); }

std::string Statement::text(int col) const {
  auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
  return p ? std::string(p, sqlite3_column_bytes(s_, col)) : std::string();
}

Result<std::unique_ptr<SqliteDb>> SqliteDb::open(const std::string& path, const std::string& sync,
                                                 bool migrate) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<SqliteDb> db(new SqliteDb(raw));
  if (rc != SQLITE_OK) return Status::io_error("cannot open " + path + ": " + sqlite3_errstr(rc));
  try {
    sqlite3_busy_timeout(raw, 5000);
    db->exec("PRAGMA journal_mode=WAL");
    db->exec(sync == "normal" ? "PRAGMA synchronous=NORMAL" : "PRAGMA synchronous=FULL");
    db->exec("PRAGMA foreign_keys=ON");
    if (migrate) db->migrate();
  } catch (const SqliteError& e) {
    return Status::io_error(path + ": " + e.what());
  }
  return db;
}

SqliteDb::~SqliteDb() {
  cache_.clear();
  sqlite3_close_v2(db_);
}

Statement& SqliteDb::prepare(const char* sql) {
  auto& slot = cache_[sql];
  if (!slot) {
    sqlite3_stmt* s = nullptr;
    if (int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr); rc != SQLITE_OK) {
      throw SqliteError(sqlite3_errmsg(db_), rc);
    }
    slot = std::make_unique<Statement>(s);
  }
  return *slot;
}

void SqliteDb::run(const char* sql) {
  auto& st = prepare(sql);
  st.bind();
  while (st.step()) {
  }
}

void SqliteDb::exec(const char* sql) {
  char* err = nullptr;
  if (int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err); rc != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw SqliteError(msg, rc);
  }
}

int SqliteDb::changes() const { return sqlite3_changes(db_); }

int64_t SqliteDb::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

void SqliteDb::migrate() {
  auto& version = prepare("PRAGMA user_version");
  version.bind();
  version.step();
  int64_t done = version.int64(0);
  version.bind();  // reset: no statement may stay active across the transaction
  constexpr int64_t total = sizeof kMigrations / sizeof kMigrations[0];
  for (int64_t i = done; i < total; ++i) {
    exec("BEGIN IMMEDIATE");
    try {
      exec(kMigrations[i]);
      exec(("PRAGMA user_version=" + std::to_string(i + 1)).c_str());
      exec("COMMIT");
    } catch (...) {
      exec("ROLLBACK");
      throw;
    }
  }
}

}  // namespace parley
