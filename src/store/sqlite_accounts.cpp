// SqliteStore: the standing of users (token versions, disabled, deleted) and account deletion.
#include "store/sqlite_store_impl.hpp"

namespace parley {
namespace {

UserAccess read_access(SqliteDb& db, const std::string& user) {
  UserAccess a;
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

void SqliteStore::access_of(std::string user, Callback<UserAccess> done) {
  impl_->read<UserAccess>(std::move(done), [=](SqliteDb& db) -> Result<UserAccess> { return read_access(db, user); });
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

}  // namespace parley
