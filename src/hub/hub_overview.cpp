// What the backend's overview reads: every room a page at a time, this node's connections.
#include <algorithm>

#include "hub/hub.hpp"

namespace parley {

namespace {

constexpr int64_t kHourMs = 3'600'000;

}  // namespace

void Hub::list_rooms(const Actor& a, RoomListQuery q, Done<RoomListPage> done) {
  if (!a.is_backend()) return done(Status::forbidden("only the backend lists every room"));
  const int limit = std::clamp(q.limit, 1, kMaxRoomListPage);
  const std::string key = "rooms " + q.after;
  store_.list_rooms(std::move(q.after), limit + 1, clock_.wall_ms() - kHourMs,
                    on_lane<std::vector<RoomSummary>>(key, [limit, done](Result<std::vector<RoomSummary>> r) {
                      if (!r.ok()) return done(r.status);
                      RoomListPage page{std::move(r.value), {}};
                      if (static_cast<int>(page.rooms.size()) > limit) {
                        page.rooms.resize(static_cast<std::size_t>(limit));
                        page.next = page.rooms.back().room;
                      }
                      done(std::move(page));
                    }));
}

Result<ConnectionsPage> Hub::connections(const Actor& a, int limit) const {
  if (!a.is_backend()) return Status::forbidden("only the backend lists connections");
  ConnectionsPage page;
  std::vector<UserConnections> all;
  for (auto& s : users_.users.all()) {
    MutexLock lock(s.mu);
    for (auto& [name, u] : s.map) {
      const auto n = u.conns.size() + u.loading.size();
      if (n == 0) continue;
      page.total += n;
      all.push_back(UserConnections{name, static_cast<int>(n)});
    }
  }
  page.users_total = all.size();
  const auto shown = std::min(all.size(), static_cast<std::size_t>(std::clamp(limit, 1, kMaxConnectionsPage)));
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(shown), all.end(),
                    [](const UserConnections& x, const UserConnections& y) { return x.user < y.user; });
  all.resize(shown);
  page.users = std::move(all);
  return page;
}

}  // namespace parley
