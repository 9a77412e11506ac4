#include "hub/hub.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>

#include "metrics/metrics.hpp"
#include "protocol/encode.hpp"

namespace parley {

HubClock HubClock::system() {
  using namespace std::chrono;
  return HubClock{
      [] { return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count(); },
      [] { return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count(); }};
}

namespace {

// The membership a `joined` frame describes (bus events carry frames, not structures).
Hub::Membership membership_from_frame(const std::string& frame) {
  Hub::Membership m;
  boost::system::error_code ec;
  auto doc = boost::json::parse(frame, ec);
  if (ec || !doc.is_object()) return m;
  auto& o = doc.as_object();
  auto text = [&](const char* key) -> std::string_view {
    auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string_view(v->as_string()) : std::string_view();
  };
  m.kind = encode::kind_from_name(text("kind")).value_or(RoomKind::public_room);
  m.role = encode::role_from_name(text("role")).value_or(Role::member);
  m.peer = std::string(text("with"));
  if (auto* v = o.if_contains("muted_until"); v && v->is_int64()) m.muted_until = v->as_int64();
  return m;
}

std::set<std::string> blocked_from_frame(const std::string& frame) {
  std::set<std::string> out;
  boost::system::error_code ec;
  auto doc = boost::json::parse(frame, ec);
  if (ec || !doc.is_object()) return out;
  if (auto* list = doc.as_object().if_contains("blocked"); list && list->is_array()) {
    for (auto& v : list->as_array()) {
      if (v.is_string()) out.emplace(v.as_string());
    }
  }
  return out;
}

}  // namespace

Hub::Hub(HubOptions options, Store& store, Bus& bus, Presence& presence, Metrics& metrics, HubClock clock)
    : options_(std::move(options)),
      store_(store),
      bus_(bus),
      presence_(presence),
      metrics_(metrics),
      clock_(std::move(clock)) {}

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
  store_.rooms_of(client->user(), [this, client, ready = std::move(ready)](Result<std::vector<parley::RoomState>> r) mutable {
    if (!r.ok()) {
      spdlog::error("conn {} user {}: cannot load rooms: {}", client->id(), client->user(), r.status.message());
      client->close(1011, "store unavailable");  // the session's disconnect() frees the slot
      return;
    }
    store_.blocks_of(client->user(), [this, client, ready = std::move(ready), rooms = std::move(r.value)](
                                         Result<std::vector<std::string>> b) {
      if (!b.ok()) {
        spdlog::error("conn {} user {}: cannot load block list: {}", client->id(), client->user(), b.status.message());
        client->close(1011, "store unavailable");
        return;
      }
      finish_connect(client, rooms, b.value);
      ready();
    });
  });
}

void Hub::finish_connect(const ClientPtr& client, const std::vector<RoomState>& states,
                         const std::vector<std::string>& blocked) {
  const std::string& user = client->user();
  // Whether the presence store's answer (first connection anywhere) came back before
  // node_online returned: then it is announced once mu_ is released.
  struct Announce {
    std::mutex mu;
    bool returned = false;
    bool pending = false;
  };
  auto announce = std::make_shared<Announce>();
  std::vector<std::string> rooms;
  {
    std::lock_guard lock(mu_);
    if (pending_.erase(client->id()) == 0) return;  // disconnected while loading
    auto& u = users_[user];
    u.conns.push_back(client);
    const bool first_here = !u.online;
    u.online = true;
    for (auto& room : states) {
      u.rooms[room.room] = Membership{room.kind, room.role, room.peer, room.muted_until};
      add_online_member(room.room, user, room.last_seq);
    }
    set_blocked(u, user, {blocked.begin(), blocked.end()});
    if (first_here) {
      for (auto& [name, m] : u.rooms) rooms.push_back(name);
      bus_.subscribe_user(user);
      // Registered before the welcome goes out: once the client holds its welcome, another
      // node that sees the user's other device close already counts this connection (a
      // device handoff never announces the user offline).
      presence_.node_online(user, rooms, [this, user, rooms, announce](bool first_anywhere) {
        if (!first_anywhere) return;
        {
          std::lock_guard l(announce->mu);
          if (!announce->returned) {
            announce->pending = true;
            return;
          }
        }
        announce_presence(user, rooms, true);
      });
    }
    // Posted under the lock: no fan-out can reach this connection before its welcome.
    client->send(encode::welcome(user, states, blocked, options_.heartbeat_ms));
  }
  bool announce_now = false;
  {
    std::lock_guard l(announce->mu);
    announce->returned = true;
    announce_now = announce->pending;
  }
  if (announce_now) announce_presence(user, rooms, true);
}

void Hub::disconnect(const ClientPtr& client) {
  std::vector<RoomEvent> events;
  std::vector<std::string> rooms;
  bool last_here = false;
  const std::string& user = client->user();
  {
    std::lock_guard lock(mu_);
    auto uit = users_.find(user);
    if (uit == users_.end()) return;
    auto& u = uit->second;
    bool was_pending = pending_.erase(client->id()) > 0;
    auto cit = std::find(u.conns.begin(), u.conns.end(), client);
    if (!was_pending && cit == u.conns.end()) return;  // already disconnected
    if (cit != u.conns.end()) u.conns.erase(cit);
    --u.slots;
    if (u.conns.empty() && u.online) {
      last_here = true;
      u.online = false;
      for (auto& [room, m] : u.rooms) {
        rooms.push_back(room);
        remove_online_member(room, user, events);
      }
      set_blocked(u, user, {});
      bus_.unsubscribe_user(user);
    } else {
      for (auto& [room, m] : u.rooms) rebuild_recipients(room);
    }
    if (u.slots <= 0 && u.conns.empty()) users_.erase(uit);
  }
  publish_all(events);
  if (last_here) {
    presence_.node_offline(user, [this, user, rooms](bool last_anywhere) {
      if (last_anywhere) announce_presence(user, rooms, false);
    });
  }
}

void Hub::handle(const ClientPtr& c, Command command) {
  if (defer_if_pending(c, command)) return;
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
        else if constexpr (std::is_same_v<T, CreateCmd>) on_create(c, ref, std::move(cmd));
        else if constexpr (std::is_same_v<T, DmCmd>) on_dm(c, ref, std::move(cmd));
        else if constexpr (std::is_same_v<T, InviteCmd>) on_invite(c, ref, std::move(cmd));
        else if constexpr (std::is_same_v<T, ModerateCmd>) on_moderate(c, ref, std::move(cmd));
        else if constexpr (std::is_same_v<T, BlockCmd>) on_block(c, ref, std::move(cmd));
        else if constexpr (std::is_same_v<T, SearchCmd>) on_search(c, ref, std::move(cmd));
        else if constexpr (std::is_same_v<T, EntryCmd>) {
          AppendRequest req{cmd.room, c->user(), cmd.id, std::move(cmd.text), 0};
          req.kind = cmd.kind;
          req.target = cmd.seq;
          on_entry(c, ref, std::move(req));
        }
        // AuthCmd belongs to the connection (net/ws_session) and never reaches the hub.
      },
      std::move(command.body));
}

void Hub::on_room_event(const RoomEvent& event) {
  if (event.kind != EventKind::message || event.seq <= 0) {
    if (event.kind == EventKind::notice) apply_member_notice(*event.frame);
    std::shared_ptr<const std::vector<ClientPtr>> recipients;
    {
      std::lock_guard lock(mu_);
      auto it = rooms_.find(event.room);
      if (it == rooms_.end()) return;
      recipients = it->second.recipients;
      if ((event.kind == EventKind::typing || event.kind == EventKind::presence) && blocked_by_.count(event.skip_user)) {
        recipients = unblocked(*recipients, event.skip_user);
      }
    }
    fan_out(*recipients, event);
    return;
  }
  std::lock_guard deliver(deliver_mu_);
  std::vector<RoomEvent> ready;
  std::shared_ptr<const std::vector<ClientPtr>> recipients;
  {
    std::lock_guard lock(mu_);
    auto it = rooms_.find(event.room);
    if (it == rooms_.end()) return;
    take_in_order(it->second, event, ready);
    recipients = it->second.recipients;
  }
  for (auto& e : ready) fan_out(*recipients, e);
}

void Hub::take_in_order(LocalRoom& room, const RoomEvent& event, std::vector<RoomEvent>& out) {
  if (event.seq <= room.delivered_seq) return;  // seen already (or older than this node's start)
  if (room.positioned && event.seq != room.delivered_seq + 1) {
    room.held.try_emplace(event.seq, HeldMessage{event, clock_.mono_ms()});
    return;
  }
  out.push_back(event);
  room.delivered_seq = event.seq;
  room.positioned = true;
  for (auto it = room.held.begin(); it != room.held.end() && it->first <= room.delivered_seq + 1;) {
    if (it->first == room.delivered_seq + 1) {
      out.push_back(std::move(it->second.event));
      room.delivered_seq = it->first;
    }
    it = room.held.erase(it);
  }
}

void Hub::fan_out(const std::vector<ClientPtr>& recipients, const RoomEvent& event) {
  if (event.kind == EventKind::message) {
    for (const auto& c : recipients) c->send_message(event.frame, event.received_us);
    return;
  }
  const Urgency urgency =
      event.kind == EventKind::typing || event.kind == EventKind::presence ? Urgency::droppable : Urgency::normal;
  for (const auto& c : recipients) {
    if (!event.skip_user.empty() && c->user() == event.skip_user) continue;
    c->send(event.frame, urgency);
  }
}

void Hub::on_user_event(const UserEvent& event) {
  std::vector<RoomEvent> events;
  bool online_changed = false;  // the user came online in the room here, or went offline
  {
    std::lock_guard lock(mu_);
    auto uit = users_.find(event.user);
    if (uit == users_.end()) return;
    auto& u = uit->second;
    // The node that ran the command applied it when the command arrived (and may have
    // applied a later one since): only the other nodes follow it here.
    if (event.origin == options_.node_id) {
      // nothing to apply
    } else if (event.kind == UserEventKind::blocks) {
      set_blocked(u, event.user, blocked_from_frame(*event.frame));
    } else if (event.kind == UserEventKind::joined) {
      u.rooms[event.room] = membership_from_frame(*event.frame);
      online_changed = u.online && add_online_member(event.room, event.user);
    } else {
      u.rooms.erase(event.room);
      online_changed = remove_online_member(event.room, event.user, events);
    }
    for (auto& conn : u.conns) {
      if (event.origin == options_.node_id && conn->id() == event.skip_conn) continue;
      conn->send(event.frame);
    }
  }
  publish_all(events);
  // A change made through the server API has no node that announced it: every node holding
  // the user applies it, and the one whose presence update changed the room's online set
  // announces it to the room.
  if (event.origin.empty() && online_changed) {
    const bool joined = event.kind == UserEventKind::joined;
    auto announce = [this, user = event.user, room = event.room, joined](bool changed) {
      if (changed) announce_presence(user, {room}, joined);
    };
    if (joined) {
      presence_.room_joined(event.user, event.room, announce);
    } else {
      presence_.room_left(event.user, event.room, announce);
    }
  }
}

void Hub::tick() {
  std::vector<RoomEvent> events;
  std::vector<std::pair<std::shared_ptr<const std::vector<ClientPtr>>, std::vector<RoomEvent>>> released;
  const int64_t now = clock_.mono_ms();
  {
    std::lock_guard deliver(deliver_mu_);
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
        // A gap that did not fill within the window: deliver what we have; clients resync
        // the missing seqs with `sync`.
        if (!room.held.empty() && room.held.begin()->second.since_ms + options_.reorder_window_ms <= now) {
          std::vector<RoomEvent> out;
          for (auto& [seq, held] : room.held) out.push_back(std::move(held.event));
          room.delivered_seq = room.held.rbegin()->first;
          room.positioned = true;
          room.held.clear();
          released.emplace_back(room.recipients, std::move(out));
        }
      }
      std::erase_if(buckets_, [now](auto& kv) { return kv.second.full(now); });
    }
    for (auto& [recipients, out] : released) {
      for (auto& e : out) fan_out(*recipients, e);
    }
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

bool Hub::add_online_member(const std::string& room, const std::string& user, std::optional<int64_t> last_seq) {
  auto [it, created] = rooms_.try_emplace(room);
  if (created) bus_.subscribe_room(room);
  if (last_seq) position(room, *last_seq);
  bool added = it->second.online.insert(user).second;
  rebuild_recipients(room);
  spdlog::debug("room {}: {} online here{}", room, user, added ? "" : " (already)");
  return added;
}

bool Hub::remove_online_member(const std::string& room, const std::string& user, std::vector<RoomEvent>& out) {
  auto it = rooms_.find(room);
  if (it == rooms_.end()) return false;
  clear_typing(room, user, out);
  bool removed = it->second.online.erase(user) > 0;
  rebuild_recipients(room);
  spdlog::debug("room {}: {} no longer online here", room, user);
  // No local member left online: nobody on this node needs the room's events any more.
  if (it->second.online.empty() && it->second.typing.empty()) {
    rooms_.erase(it);
    bus_.unsubscribe_room(room);
  }
  return removed;
}

void Hub::position(const std::string& room, int64_t last_seq) {
  // A room new here starts its live stream after last_seq: messages up to it are in the store
  // already, and the client gets them with `sync`. A room already positioned keeps its place:
  // jumping to a last_seq read ahead of the bus would skip, for the members already here, the
  // messages still on their way.
  auto it = rooms_.find(room);
  if (it == rooms_.end() || it->second.positioned) return;
  it->second.delivered_seq = last_seq;
  it->second.positioned = true;
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

void Hub::announce_presence(const std::string& user, const std::vector<std::string>& rooms, bool online) {
  for (auto& room : rooms) {
    bus_.publish(RoomEvent{room, EventKind::presence, user, encode::presence(room, user, online)});
  }
}

}  // namespace parley
