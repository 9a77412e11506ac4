// PgStore: the standing of users (token versions, disabled, deleted) and account deletion,
// as in the SQLite store (sqlite_accounts.cpp).
#include <ctime>

#include "store/pg_store_impl.hpp"
#include "store/rules.hpp"

namespace parley {

const char* const kAccountsMigration = R"sql(
    CREATE TABLE user_access(
      name TEXT PRIMARY KEY,
      token_version BIGINT NOT NULL DEFAULT 0,
      disabled BOOLEAN NOT NULL DEFAULT false,
      deleted_ms BIGINT NOT NULL DEFAULT 0);
)sql";

// As sqlite_db.cpp's migration of the same name: logged-out tokens, the readiness probe,
// slow mode.
const char* const kRevokedTokensMigration = R"sql(
    CREATE TABLE revoked_tokens(
      name TEXT NOT NULL,
      id TEXT NOT NULL,
      expires_s BIGINT NOT NULL,
      PRIMARY KEY(name, id));
    CREATE INDEX revoked_tokens_by_expiry ON revoked_tokens(expires_s);
    CREATE TABLE store_probe(id INT PRIMARY KEY, at_ms BIGINT NOT NULL);
    ALTER TABLE rooms ADD COLUMN slow_mode_s BIGINT NOT NULL DEFAULT 0;
    ALTER TABLE rooms ADD COLUMN settings_version BIGINT NOT NULL DEFAULT 0;
)sql";

const char* const kPushMigration = R"sql(
    CREATE TABLE push_subscriptions(
      endpoint TEXT PRIMARY KEY,
      "user" TEXT NOT NULL,
      p256dh TEXT NOT NULL,
      auth TEXT NOT NULL,
      created_ms BIGINT NOT NULL);
    CREATE INDEX push_subscriptions_by_user ON push_subscriptions("user", created_ms);
)sql";

void prepare_account_statements(PgConn& db) {
  db.prepare("access_of", "SELECT token_version, disabled::int, deleted_ms FROM user_access WHERE name=$1");
  db.prepare("token_revoked", "SELECT 1 FROM revoked_tokens WHERE name=$1 AND id=$2");
  db.prepare("revoke_token", R"(INSERT INTO revoked_tokens(name, id, expires_s) VALUES($1, $2, $3)
                                ON CONFLICT(name, id) DO NOTHING)");
  db.prepare("forget_revoked", "DELETE FROM revoked_tokens WHERE expires_s < $1");
  db.prepare("user_messages", R"(SELECT room, seq, ts, client_id, text, edited_ts, reply_to, data, attachments
                                 FROM messages WHERE "user"=$1 AND client_id COLLATE "C" > $2 AND kind=0 AND NOT deleted
                                 ORDER BY client_id COLLATE "C" LIMIT $3)");
  db.prepare("account_of", "SELECT created_ms FROM users WHERE name=$1");
  db.prepare("revoke_tokens", R"(INSERT INTO user_access(name, token_version) VALUES($1, 1)
                                 ON CONFLICT(name) DO UPDATE SET token_version = user_access.token_version + 1)");
  db.prepare("set_pw_hash", "UPDATE users SET pw_hash=$2 WHERE name=$1 RETURNING 1");
  db.prepare("set_disabled", R"(INSERT INTO user_access(name, disabled) VALUES($1, $2::int::boolean)
                                ON CONFLICT(name) DO UPDATE SET disabled = excluded.disabled)");
  db.prepare("mark_deleted", R"(INSERT INTO user_access(name, token_version, deleted_ms) VALUES($1, 1, $2)
                                ON CONFLICT(name) DO UPDATE SET token_version = user_access.token_version + 1,
                                                                deleted_ms = excluded.deleted_ms)");
  db.prepare("drop_memberships",
             R"(DELETE FROM members WHERE "user"=$1 AND room NOT IN (SELECT name FROM rooms WHERE kind=2))");
  db.prepare("drop_blocks", R"(DELETE FROM blocks WHERE "user"=$1)");
  db.prepare("drop_status", R"(DELETE FROM statuses WHERE "user"=$1)");
  db.prepare("drop_mentions", R"(DELETE FROM mentions WHERE "user"=$1)");
  db.prepare("drop_login", "DELETE FROM users WHERE name=$1");
  db.prepare("erase_messages", R"(UPDATE messages SET text='', data='', attachments='', deleted=(kind=0)
                                  WHERE "user"=$1 AND kind IN (0, 1))");
  db.prepare("erase_uploads", "UPDATE uploads SET deleted=true WHERE owner=$1");
  db.prepare("drop_pushes", R"(DELETE FROM push_subscriptions WHERE "user"=$1)");
  db.prepare("save_push", R"(INSERT INTO push_subscriptions(endpoint, "user", p256dh, auth, created_ms) VALUES($1,$2,$3,$4,$5)
                             ON CONFLICT(endpoint) DO UPDATE SET "user"=excluded."user", p256dh=excluded.p256dh,
                                                                 auth=excluded.auth, created_ms=excluded.created_ms)");
  db.prepare("trim_pushes", R"(DELETE FROM push_subscriptions WHERE "user"=$1 AND endpoint NOT IN
                               (SELECT endpoint FROM push_subscriptions WHERE "user"=$1
                                ORDER BY created_ms DESC, endpoint LIMIT $2))");
  db.prepare("drop_push", R"(DELETE FROM push_subscriptions WHERE endpoint=$1 AND ($2 = '' OR "user"=$2) RETURNING 1)");
  db.prepare("push_allowed", R"(SELECT 1 FROM members m WHERE m.room=$1 AND m."user"=$2
                                AND (m.notify=0 OR (m.notify=1 AND $4::int = 1))
                                AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b."user"=$2 AND b.blocked=$3))");
  db.prepare("pushes_of", R"(SELECT endpoint, p256dh, auth, created_ms FROM push_subscriptions WHERE "user"=$1
                             ORDER BY created_ms)");
}

namespace {

UserAccess read_access(PgConn& db, const std::string& user, const std::string& token_id = {}) {
  UserAccess a;
  if (!token_id.empty()) a.token_revoked = !db.run("token_revoked", {user, token_id}).empty();
  auto r = db.run("access_of", {user});
  if (!r.empty()) {
    a.token_version = r.int64(0, 0);
    a.disabled = r.int64(0, 1) != 0;
    a.deleted = r.int64(0, 2) != 0;
  }
  auto u = db.run("account_of", {user});
  if (!u.empty()) {
    a.account = true;
    a.created_ms = u.int64(0, 0);
  }
  return a;
}

}  // namespace

void PgStore::access_of(std::string user, std::string token_id, Callback<UserAccess> done) {
  impl_->read<UserAccess>(std::move(done),
                          [=](PgConn& db) -> Result<UserAccess> { return read_access(db, user, token_id); });
}

void PgStore::revoke_token(std::string user, std::string token_id, int64_t expires_s, Callback<bool> done) {
  impl_->write<bool>("user:" + user, std::move(done), [=](PgConn& db) -> Result<bool> {
    db.run("forget_revoked", {static_cast<int64_t>(std::time(nullptr))});
    db.run("revoke_token", {user, token_id, expires_s});
    return true;
  });
}

void PgStore::change_access(std::string user, AccessChange change, Callback<UserAccess> done) {
  impl_->write<UserAccess>("user:" + user, std::move(done), [=](PgConn& db) -> Result<UserAccess> {
    if (read_access(db, user).deleted) return Status::not_found("no such user");
    if (change == AccessChange::revoke_tokens) {
      db.run("revoke_tokens", {user});
    } else {
      db.run("set_disabled", {user, static_cast<int64_t>(change == AccessChange::disable)});
    }
    return read_access(db, user);
  });
}

void PgStore::change_password(std::string user, std::string password_hash, Callback<UserAccess> done) {
  impl_->write<UserAccess>("user:" + user, std::move(done), [=](PgConn& db) -> Result<UserAccess> {
    if (read_access(db, user).deleted || db.run("set_pw_hash", {user, password_hash}).empty()) {
      return Status::not_found("no such user");
    }
    db.run("revoke_tokens", {user});
    return read_access(db, user);
  });
}

void PgStore::delete_user(std::string user, DeletedUserMessages messages, Callback<UserAccess> done) {
  impl_->write<UserAccess>("user:" + user, std::move(done), [=](PgConn& db) -> Result<UserAccess> {
    if (read_access(db, user).deleted) return Status::not_found("no such user");
    for (const char* step : {"drop_memberships", "drop_blocks", "drop_status", "drop_mentions", "drop_login", "drop_pushes"}) {
      db.run(step, {user});
    }
    if (messages == DeletedUserMessages::erase) {
      db.run("erase_messages", {user});
      db.run("erase_uploads", {user});
    }
    db.run("mark_deleted", {user, store_now_ms()});
    return read_access(db, user);
  });
}

void PgStore::save_push_subscription(std::string user, PushSubscription sub, Callback<bool> done) {
  impl_->write<bool>("user:" + user, std::move(done), [=](PgConn& db) -> Result<bool> {
    db.run("save_push", {sub.endpoint, user, sub.p256dh, sub.auth, store_now_ms()});
    db.run("trim_pushes", {user, static_cast<int64_t>(kMaxPushSubscriptions)});
    return true;
  });
}

void PgStore::drop_push_subscription(std::string user, std::string endpoint, Callback<bool> done) {
  impl_->write<bool>("user:" + user, std::move(done), [=](PgConn& db) -> Result<bool> {
    return !db.run("drop_push", {endpoint, user}).empty();
  });
}

void PgStore::push_targets(std::string user, std::string room, std::string author, bool mentioned,
                           Callback<PushTargets> done) {
  impl_->read<PushTargets>(std::move(done), [=](PgConn& db) -> Result<PushTargets> {
    PushTargets out;
    out.allowed = !db.run("push_allowed", {room, user, author, static_cast<int64_t>(mentioned)}).empty();
    auto r = db.run("pushes_of", {user});
    for (int i = 0; i < r.rows(); ++i) {
      out.subscriptions.push_back(PushSubscription{r.text(i, 0), r.text(i, 1), r.text(i, 2), r.int64(i, 3)});
    }
    return out;
  });
}

void PgStore::user_messages(std::string user, std::string after_id, int limit, Callback<std::vector<ChatMessage>> done) {
  impl_->read<std::vector<ChatMessage>>(std::move(done), [=](PgConn& db) -> Result<std::vector<ChatMessage>> {
    auto r = db.run("user_messages", {user, after_id, static_cast<int64_t>(limit)});
    std::vector<ChatMessage> out;
    for (int i = 0; i < r.rows(); ++i) {
      ChatMessage m{r.text(i, 0), r.int64(i, 1), r.int64(i, 2), user, r.text(i, 3), r.text(i, 4)};
      m.edited_ts = r.int64(i, 5);
      m.reply_to = r.int64(i, 6);
      m.data = r.text(i, 7);
      m.attachments = rules::read_attachments_column(r.text(i, 8));
      out.push_back(std::move(m));
    }
    return out;
  });
}

}  // namespace parley
