// SqliteStore: the standing of users (token versions, disabled, deleted) and account deletion.
#include <ctime>

#include "store/rules.hpp"
#include "store/sqlite_store_impl.hpp"

namespace parley {
namespace {

UserAccess read_access(SqliteDb& db, const std::string& user, const std::string& token_id = {}) {
  UserAccess a;
  if (!token_id.empty()) {
    auto& t = db.prepare("SELECT 1 FROM revoked_tokens WHERE name=?1 AND id=?2");
    t.bind(user, token_id);
    a.token_revoked = t.step();
    t.bind();
  }
  auto& st = db.prepare("SELECT token_version, disabled, deleted_ms FROM user_access WHERE name=?1");
  st.bind(user);
  if (st.step()) {
    a.token_version = st.int64(0);
    a.disabled = st.int64(1) != 0;
    a.deleted = st.int64(2) != 0;
    st.bind();
  }
  auto& u = db.prepare("SELECT created_ms FROM users WHERE name=?1");
  u.bind(user);
  if (u.step()) {
    a.account = true;
    a.created_ms = u.int64(0);
    u.bind();
  }
  return a;
}

void erase_messages(SqliteDb& db, const std::string& user) {
  db.prepare("DELETE FROM message_text WHERE rowid IN (SELECT fts_id FROM messages WHERE user=?1 AND fts_id > 0)")
      .bind(user)
      .step();
  // Messages become tombstones; the user's edits lose their text with them.
  db.prepare(
        "UPDATE messages SET text='', data='', attachments='', fts_id=-1, deleted=(kind=0) "
        "WHERE user=?1 AND kind IN (0, 1)")
      .bind(user)
      .step();
  db.prepare("UPDATE uploads SET deleted=1 WHERE owner=?1").bind(user).step();
}

}  // namespace

void SqliteStore::access_of(std::string user, std::string token_id, Callback<UserAccess> done) {
  impl_->read<UserAccess>(std::move(done),
                          [=](SqliteDb& db) -> Result<UserAccess> { return read_access(db, user, token_id); });
}

void SqliteStore::revoke_token(std::string user, std::string token_id, int64_t expires_s, Callback<bool> done) {
  impl_->write<bool>(std::move(done), [=](SqliteDb& db) -> Result<bool> {
    db.prepare("DELETE FROM revoked_tokens WHERE expires_s < ?1").bind(static_cast<int64_t>(std::time(nullptr))).step();
    db.prepare("INSERT OR IGNORE INTO revoked_tokens(name, id, expires_s) VALUES(?1, ?2, ?3)")
        .bind(user, token_id, expires_s)
        .step();
    return true;
  });
}

void SqliteStore::change_password(std::string user, std::string password_hash, Callback<UserAccess> done) {
  impl_->write<UserAccess>(std::move(done), [=](SqliteDb& db) -> Result<UserAccess> {
    if (read_access(db, user).deleted) return Status::not_found("no such user");
    db.prepare("UPDATE users SET pw_hash=?2 WHERE name=?1").bind(user, password_hash).step();
    if (db.changes() == 0) return Status::not_found("no such user");
    db.prepare("INSERT INTO user_access(name, token_version) VALUES(?1, 1) "
               "ON CONFLICT(name) DO UPDATE SET token_version = token_version + 1")
        .bind(user)
        .step();
    return read_access(db, user);
  });
}

void SqliteStore::change_access(std::string user, AccessChange change, Callback<UserAccess> done) {
  impl_->write<UserAccess>(std::move(done), [=](SqliteDb& db) -> Result<UserAccess> {
    if (read_access(db, user).deleted) return Status::not_found("no such user");
    const char* sql = change == AccessChange::revoke_tokens
                          ? "INSERT INTO user_access(name, token_version) VALUES(?1, 1) "
                            "ON CONFLICT(name) DO UPDATE SET token_version = token_version + 1"
                          : "INSERT INTO user_access(name, disabled) VALUES(?1, ?2) "
                            "ON CONFLICT(name) DO UPDATE SET disabled = excluded.disabled";
    auto& st = db.prepare(sql);
    if (change == AccessChange::revoke_tokens) st.bind(user);
    else st.bind(user, static_cast<int64_t>(change == AccessChange::disable));
    st.step();
    return read_access(db, user);
  });
}

void SqliteStore::delete_user(std::string user, DeletedUserMessages messages, Callback<UserAccess> done) {
  impl_->write<UserAccess>(std::move(done), [=, impl = impl_.get()](SqliteDb& db) -> Result<UserAccess> {
    if (read_access(db, user).deleted) return Status::not_found("no such user");
    db.prepare("DELETE FROM members WHERE user=?1 AND room NOT IN (SELECT name FROM rooms WHERE kind=2)").bind(user).step();
    db.prepare("DELETE FROM blocks WHERE user=?1").bind(user).step();
    db.prepare("DELETE FROM statuses WHERE user=?1").bind(user).step();
    db.prepare("DELETE FROM mentions WHERE user=?1").bind(user).step();
    db.prepare("DELETE FROM users WHERE name=?1").bind(user).step();
    db.prepare("DELETE FROM push_subscriptions WHERE user=?1").bind(user).step();
    if (messages == DeletedUserMessages::erase) {
      erase_messages(db, user);
      impl->window.forget_at_commit();
    }
    db.prepare(
          "INSERT INTO user_access(name, token_version, deleted_ms) VALUES(?1, 1, ?2) "
          "ON CONFLICT(name) DO UPDATE SET token_version = token_version + 1, deleted_ms = excluded.deleted_ms")
        .bind(user, store_now_ms())
        .step();
    return read_access(db, user);
  });
}

void SqliteStore::save_push_subscription(std::string user, PushSubscription sub, Callback<bool> done) {
  impl_->write<bool>(std::move(done), [=](SqliteDb& db) -> Result<bool> {
    db.prepare("INSERT OR REPLACE INTO push_subscriptions(endpoint, user, p256dh, auth, created_ms) VALUES(?1,?2,?3,?4,?5)")
        .bind(sub.endpoint, user, sub.p256dh, sub.auth, store_now_ms())
        .step();
    db.prepare(
          "DELETE FROM push_subscriptions WHERE user=?1 AND endpoint NOT IN "
          "(SELECT endpoint FROM push_subscriptions WHERE user=?1 ORDER BY created_ms DESC, endpoint LIMIT ?2)")
        .bind(user, static_cast<int64_t>(kMaxPushSubscriptions))
        .step();
    return true;
  });
}

void SqliteStore::drop_push_subscription(std::string user, std::string endpoint, Callback<bool> done) {
  impl_->write<bool>(std::move(done), [=](SqliteDb& db) -> Result<bool> {
    db.prepare("DELETE FROM push_subscriptions WHERE endpoint=?1 AND (?2 = '' OR user=?2)").bind(endpoint, user).step();
    return db.changes() > 0;
  });
}

void SqliteStore::push_targets(std::string user, std::string room, std::string author, bool mentioned,
                               Callback<PushTargets> done) {
  impl_->read<PushTargets>(std::move(done), [=](SqliteDb& db) -> Result<PushTargets> {
    PushTargets out;
    auto& allowed = db.prepare(
        "SELECT 1 FROM members m WHERE m.room=?1 AND m.user=?2 AND (m.notify=0 OR (m.notify=1 AND ?4)) "
        "AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.user=?2 AND b.blocked=?3)");
    allowed.bind(room, user, author, static_cast<int64_t>(mentioned));
    out.allowed = allowed.step();
    if (out.allowed) allowed.bind();
    auto& st = db.prepare("SELECT endpoint, p256dh, auth, created_ms FROM push_subscriptions WHERE user=?1 ORDER BY created_ms");
    st.bind(user);
    while (st.step()) out.subscriptions.push_back(PushSubscription{st.text(0), st.text(1), st.text(2), st.int64(3)});
    return out;
  });
}

void SqliteStore::user_messages(std::string user, std::string after_id, int limit,
                                Callback<std::vector<ChatMessage>> done) {
  impl_->read<std::vector<ChatMessage>>(std::move(done), [=](SqliteDb& db) -> Result<std::vector<ChatMessage>> {
    auto& st = db.prepare(
        "SELECT room, seq, ts, client_id, text, edited_ts, reply_to, data, attachments FROM messages "
        "WHERE user=?1 AND client_id > ?2 AND kind=0 AND deleted=0 ORDER BY client_id LIMIT ?3");
    st.bind(user, after_id, static_cast<int64_t>(limit));
    std::vector<ChatMessage> out;
    while (st.step()) {
      ChatMessage m{st.text(0), st.int64(1), st.int64(2), user, st.text(3), st.text(4)};
      m.edited_ts = st.int64(5);
      m.reply_to = st.int64(6);
      m.data = st.text(7);
      m.attachments = rules::read_attachments_column(st.text(8));
      out.push_back(std::move(m));
    }
    return out;
  });
}

}  // namespace parley
