#include "hub/hub.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "protocol/encode.hpp"

namespace parley {

HubClock HubClock::system() {
  using namespace std::chrono;
  return HubClock{
      [] { return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count(); },
      [] { return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count(); }};
}

Hub::Hub(HubOptions options, Store& store, Bus& bus, HubClock clock)
    : options_(options), store_(store), bus_(bus), clock_(std::move(clock)) {}

bool Hub::reserve(const std::string& user) {
  std::lock_guard lock(mu_);
  auto& u = users_[user];
  if (u.slots >= options_.max_conns_per_user) return false;
  ++u.slots;
  return true;
}

void Hub::release(const std::string& user) {
  std::lock_guard lock(mu_);
  auto it = users_.find(user);
  if (it == users_.end()) return;
  if (--it->second.slots <= 0 && it->second.conns.empty()) users_.erase(it);
}

void Hub::connect(const ClientPtr& client, std::function<void()> ready) {
  {
    std::lock_guard lock(mu_);
    pending_[client->id()] = client;
  }
  store_.rooms_of(client->user(), [this, client, ready = std::move(ready)](Result<std::vector<parley::RoomState>> r) {
    if (!r.ok()) {
      spdlog::error("conn {} user {}: cannot load rooms: {}", client->id(), client->user(), r.status.message());
      client->close(1011, "store unavailable");  // the session's disconnect() frees the slot
      return;
    }
    std::vector<RoomEvent> events;
    {
      std::lock_guard lock(mu_);
      if (pending_.erase(client->id()) == 0) return;  // disconnected while loading
      auto& u = users_[client->user()];
      u.conns.push_back(client);
      bool first = !u.online;
      u.online = true;
      for (auto& room : r.value) {
        u.rooms.insert(room.room);
        if (first) {
          add_online_member(room.room, client->user(), events);
        } else {
          rebuild_recipients(room.room);
        }
      }
      // Posted under the lock: no fan-out can reach this connection before its welcome.
      client->send(encode::welcome(client->user(), r.value, options_.heartbeat_ms));
    }
    publish_all(events);
    ready();
  });
}

void Hub::disconnect(const ClientPtr& client) {
  std::vector<RoomEvent> events;
  std::vector<std::string> gone_rooms;
  {
    std::lock_guard lock(mu_);
    auto uit = users_.find(client->user());
    if (uit == users_.end()) return;
    auto& u = uit->second;
    bool was_pending = pending_.erase(client->id()) > 0;
    auto cit = std::find(u.conns.begin(), u.conns.end(), client);
    if (!was_pending && cit == u.conns.end()) return;  // already disconnected
    if (cit != u.conns.end()) u.conns.erase(cit);
    --u.slots;
    if (u.conns.empty() && u.online) {
      u.online = false;
      for (auto& room : u.rooms) remove_online_member(room, client->user(), events);
    } else {
      for (auto& room : u.rooms) rebuild_recipients(room);
    }
    if (u.slots <= 0 && u.conns.empty()) users_.erase(uit);
  }
  publish_all(events);
}

void Hub::handle(const ClientPtr& c, Command command) {
  const auto& ref = command.ref;
  std::visit(
      [&](auto&& cmd) {
        using T = std::decay_t<decltype(cmd)>;
        if constexpr (std::is_same_v<T, JoinCmd>) on_join(c, ref, std::move(cmd));
        else if constexpr (std::is_same_v<T, LeaveCmd>) on_leave(c, ref, std::move(cmd));
        else if constexpr (std::is_same_v<T, MessageCmd>) on_message(c, ref, std::move(cmd));
        else if constexpr (std::is_same_v<T, TypingCmd>) on_typing(c, ref, std::move(cmd));
        else if constexpr (std::is_same_v<T, ReadCmd>) on_read(c, ref, std::move(cmd));
        else if constexpr (std::is_same_v<T, SyncCmd>) on_sync(c, ref, std::move(cmd));
        else if constexpr (std::is_same_v<T, HistoryCmd>) on_history(c, ref, std::move(cmd));
      },
      std::move(command.body));
}

void Hub::on_room_event(const RoomEvent& event) {
  std::shared_ptr<const std::vector<ClientPtr>> recipients;
  {
    std::lock_guard lock(mu_);
    auto it = rooms_.find(event.room);
    if (it == rooms_.end()) return;
    recipients = it->second.recipients;
  }
  const Urgency urgency =
      event.kind == EventKind::typing || event.kind == EventKind::presence ? Urgency::droppable : Urgency::normal;
  for (const auto& c : *recipients) {
    if (!event.skip_user.empty() && c->user() == event.skip_user) continue;
    c->send(event.frame, urgency);
  }
}

void Hub::tick() {
  std::vector<RoomEvent> events;
  const int64_t now = clock_.mono_ms();
  {
    std::lock_guard lock(mu_);
    for (auto& [name, room] : rooms_) {
      for (auto it = room.typing.begin(); it != room.typing.end();) {
        if (it->second <= now) {
          events.push_back(RoomEvent{name, EventKind::typing, it->first, encode::typing(name, it->first, false)});
          it = room.typing.erase(it);
        } else {
          ++it;
        }
      }
    }
    std::erase_if(buckets_, [now](auto& kv) { return kv.second.full(now); });
  }
  publish_all(events);
}

std::vector<ClientPtr> Hub::clients() const {
  std::lock_guard lock(mu_);
  std::vector<ClientPtr> out;
  for (auto& [id, c] : pending_) out.push_back(c);
  for (auto& [name, u] : users_) out.insert(out.end(), u.conns.begin(), u.conns.end());
  return out;
}

std::size_t Hub::connection_count() const {
  std::lock_guard lock(mu_);
  std::size_t n = pending_.size();
  for (auto& [name, u] : users_) n += u.conns.size();
  return n;
}

void Hub::add_online_member(const std::string& room, const std::string& user, std::vector<RoomEvent>& out) {
  auto [it, created] = rooms_.try_emplace(room);
  if (created) bus_.subscribe(room);
  if (it->second.online.insert(user).second) {
    out.push_back(RoomEvent{room, EventKind::presence, user, encode::presence(room, user, true)});
  }
  rebuild_recipients(room);
}

void Hub::remove_online_member(const std::string& room, const std::string& user, std::vector<RoomEvent>& out) {
  auto it = rooms_.find(room);
  if (it == rooms_.end()) return;
  clear_typing(room, user, out);
  if (it->second.online.erase(user)) {
    out.push_back(RoomEvent{room, EventKind::presence, user, encode::presence(room, user, false)});
  }
  rebuild_recipients(room);
  // No local member left online: nobody on this node needs the room's events any more.
  if (it->second.online.empty() && it->second.typing.empty()) {
    rooms_.erase(it);
    bus_.unsubscribe(room);
  }
}

void Hub::rebuild_recipients(const std::string& room) {
  auto it = rooms_.find(room);
  if (it == rooms_.end()) return;
  auto list = std::make_shared<std::vector<ClientPtr>>();
  for (auto& user : it->second.online) {
    auto u = users_.find(user);
    if (u != users_.end()) list->insert(list->end(), u->second.conns.begin(), u->second.conns.end());
  }
  it->second.recipients = std::move(list);
}

bool Hub::clear_typing(const std::string& room, const std::string& user, std::vector<RoomEvent>& out) {
  auto it = rooms_.find(room);
  if (it == rooms_.end() || it->second.typing.erase(user) == 0) return false;
  out.push_back(RoomEvent{room, EventKind::typing, user, encode::typing(room, user, false)});
  return true;
}

void Hub::publish_all(std::vector<RoomEvent>& events) {
  for (auto& e : events) bus_.publish(std::move(e));
  events.clear();
}

}  // namespace parley
