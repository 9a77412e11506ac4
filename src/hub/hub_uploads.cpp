// Uploads: who may record one, and who may see one.
#include <algorithm>

#include "common/names.hpp"
#include "hub/hub.hpp"

namespace parley {

void Hub::add_upload(const Actor& a, Upload upload, Done<Upload> done) {
  if (!a.is_backend()) upload.owner = a.user;
  if (!upload.owner.empty() && !valid_user_name(upload.owner)) return done(Status::invalid("no such user name"));
  if (!valid_upload_id(upload.file.id)) return done(Status::invalid("bad upload id"));
  upload.created_ms = clock_.wall_ms();
  upload.room.clear();
  upload.seq = 0;
  const std::string key = upload.owner;
  store_.create_upload(upload, options_.upload_quota_bytes,
                       on_lane<bool>(key, [upload, done](Result<bool> r) mutable {
                         if (!r.ok()) return done(r.status);
                         done(std::move(upload));
                       }));
}

void Hub::open_upload(const Actor& a, std::string id, Done<Upload> done) {
  if (!valid_upload_id(id)) return done(Status::not_found("no upload " + id));
  store_.upload(id, on_lane<Upload>(id, [this, a, id, done](Result<Upload> r) {
    if (!r.ok()) return done(r.status);
    const Upload& u = r.value;
    if (a.is_backend()) return done(r);
    if (u.room.empty()) {
      if (u.owner == a.user) return done(r);
      return done(Status::not_found("no upload " + id));
    }
    // Sent to a room: its members see it. A member connected here is known without the store
    // (membership changes reach this node's users as they happen, as for every command).
    if (member_of(a, u.room).ok()) return done(r);
    store_.rooms_of(a.user, on_lane<std::vector<RoomState>>(u.room, [id, done, r](Result<std::vector<RoomState>> rooms) {
      if (!rooms.ok()) return done(rooms.status);
      const std::string& room = r.value.room;
      bool member = std::any_of(rooms.value.begin(), rooms.value.end(), [&](const RoomState& s) { return s.room == room; });
      if (!member) return done(Status::not_found("no upload " + id));
      done(r);
    }));
  }));
}

}  // namespace parley
