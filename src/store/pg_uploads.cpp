// PgStore: the records of uploaded files (their content is in the blob store).
#include "store/pg_store_impl.hpp"

namespace parley {

namespace {
#define PARLEY_UPLOAD_COLUMNS \
  "SELECT owner, name, type, size, width, height, thumb_type, sha256, created_ms, room, seq FROM uploads "
}  // namespace

void prepare_upload_statements(PgConn& db) {
  db.prepare("upload", PARLEY_UPLOAD_COLUMNS "WHERE id=$1 AND NOT deleted");
  db.prepare("upload_locked", PARLEY_UPLOAD_COLUMNS "WHERE id=$1 AND NOT deleted FOR UPDATE");
  db.prepare("attach_upload", "UPDATE uploads SET room=$2, seq=$3 WHERE id=$1");
  db.prepare("upload_bytes", "SELECT coalesce(sum(size), 0)::bigint FROM uploads WHERE owner=$1 AND NOT deleted");
  db.prepare("create_upload",
             "INSERT INTO uploads(id, owner, name, type, size, width, height, thumb_type, sha256, created_ms) "
             "VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) ON CONFLICT DO NOTHING RETURNING 1");
  db.prepare("expire_uploads", "DELETE FROM uploads WHERE deleted OR (room='' AND created_ms < $1) RETURNING id");
}

std::optional<Upload> pg_upload(PgConn& db, const std::string& id, bool lock) {
  auto r = db.run(lock ? "upload_locked" : "upload", {id});
  if (r.empty()) return std::nullopt;
  Upload u;
  u.owner = r.text(0, 0);
  u.thumb_type = r.text(0, 6);
  u.file = Attachment{id, r.text(0, 1), r.text(0, 2), r.int64(0, 3), r.int64(0, 4), r.int64(0, 5), !u.thumb_type.empty()};
  u.sha256 = r.text(0, 7);
  u.created_ms = r.int64(0, 8);
  u.room = r.text(0, 9);
  u.seq = r.int64(0, 10);
  return u;
}

void PgStore::create_upload(Upload u, int64_t quota_bytes, Callback<bool> done) {
  // Keyed by the owner: one owner's uploads are written one at a time, so that two nodes
  // cannot both fit under the quota.
  const std::string key = "user:" + u.owner;
  impl_->write<bool>(key, std::move(done), [u = std::move(u), quota_bytes](PgConn& db) -> Result<bool> {
    if (quota_bytes > 0) {
      const int64_t bytes = db.run("upload_bytes", {u.owner}).int64(0, 0);
      if (bytes + u.file.size > quota_bytes) {
        return Status::limit_exceeded("upload quota of " + std::to_string(quota_bytes) + " bytes used up (" +
                                      std::to_string(bytes) + " in use)");
      }
    }
    auto r = db.run("create_upload", {u.file.id, u.owner, u.file.name, u.file.type, u.file.size, u.file.width,
                                      u.file.height, u.thumb_type, u.sha256, u.created_ms});
    if (r.empty()) return Status::conflict("upload id " + u.file.id + " taken");
    return true;
  });
}

void PgStore::upload(std::string id, Callback<Upload> done) {
  impl_->read<Upload>(std::move(done), [id = std::move(id)](PgConn& db) -> Result<Upload> {
    auto u = pg_upload(db, id, /*lock=*/false);
    if (!u) return Status::not_found("no upload " + id);
    return *u;
  });
}

void PgStore::expire_uploads(int64_t unsent_before_ms, Callback<std::vector<std::string>> done) {
  impl_->write<std::vector<std::string>>("", std::move(done), [unsent_before_ms](PgConn& db) -> Result<std::vector<std::string>> {
    auto r = db.run("expire_uploads", {unsent_before_ms});
    std::vector<std::string> ids;
    for (int i = 0; i < r.rows(); ++i) ids.push_back(r.text(i, 0));
    return ids;
  });
}

}  // namespace parley
