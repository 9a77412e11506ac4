// SqliteStore: the records of uploaded files (their content is in the blob store).
#include "store/sqlite_store_impl.hpp"

namespace parley {

std::optional<Upload> sqlite_upload(SqliteDb& db, const std::string& id) {
  auto& st = db.prepare(
      "SELECT owner, name, type, size, width, height, thumb_type, sha256, created_ms, room, seq FROM uploads "
      "WHERE id=?1 AND deleted=0");
  st.bind(id);
  if (!st.step()) return std::nullopt;
  Upload u;
  u.owner = st.text(0);
  u.file = Attachment{id, st.text(1), st.text(2), st.int64(3), st.int64(4), st.int64(5), !st.text(6).empty()};
  u.thumb_type = st.text(6);
  u.sha256 = st.text(7);
  u.created_ms = st.int64(8);
  u.room = st.text(9);
  u.seq = st.int64(10);
  st.bind();
  return u;
}

void SqliteStore::create_upload(Upload u, int64_t quota_bytes, Callback<bool> done) {
  impl_->write<bool>(std::move(done), [u = std::move(u), quota_bytes](SqliteDb& db) -> Result<bool> {
    if (quota_bytes > 0) {
      auto& used = db.prepare("SELECT coalesce(sum(size), 0) FROM uploads WHERE owner=?1 AND deleted=0");
      used.bind(u.owner);
      used.step();
      const int64_t bytes = used.int64(0);
      used.bind();
      if (bytes + u.file.size > quota_bytes) {
        return Status::limit_exceeded("upload quota of " + std::to_string(quota_bytes) + " bytes used up (" +
                                      std::to_string(bytes) + " in use)");
      }
    }
    db.prepare(
          "INSERT OR IGNORE INTO uploads(id, owner, name, type, size, width, height, thumb_type, sha256, created_ms) "
          "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)")
        .bind(u.file.id, u.owner, u.file.name, u.file.type, u.file.size, u.file.width, u.file.height, u.thumb_type,
              u.sha256, u.created_ms)
        .step();
    if (db.changes() == 0) return Status::conflict("upload id " + u.file.id + " taken");
    return true;
  });
}

void SqliteStore::upload(std::string id, Callback<Upload> done) {
  impl_->read<Upload>(std::move(done), [id = std::move(id)](SqliteDb& db) -> Result<Upload> {
    auto u = sqlite_upload(db, id);
    if (!u) return Status::not_found("no upload " + id);
    return *u;
  });
}

void SqliteStore::expire_uploads(int64_t unsent_before_ms, Callback<std::vector<std::string>> done) {
  impl_->write<std::vector<std::string>>(std::move(done), [unsent_before_ms](SqliteDb& db) -> Result<std::vector<std::string>> {
    std::vector<std::string> ids;
    auto& st = db.prepare("DELETE FROM uploads WHERE deleted=1 OR (room='' AND created_ms < ?1) RETURNING id");
    st.bind(unsent_before_ms);
    while (st.step()) ids.push_back(st.text(0));
    return ids;
  });
}

}  // namespace parley
