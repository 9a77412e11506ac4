#pragma once
// The hub: rooms, membership, presence, typing, read state, rate limits and fan-out to the
// connections of this node. It performs no I/O of its own: durable work goes to the Store,
// room events go out through the Bus and come back through on_room_event(), frames go to
// Client::send().
//
// Thread-safety: every public method may be called from any thread. One mutex (mu_) guards
// all hub state; it is never held across a Store or Bus call, and a fan-out copies the room's
// recipient snapshot under the lock and sends outside it.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "bus/bus.hpp"
#include "bus/presence.hpp"
#include "hub/client.hpp"
#include "hub/rate_limiter.hpp"
#include "protocol/command.hpp"
#include "store/store.hpp"

namespace parley {

struct Metrics;

struct HubOptions {
  int64_t heartbeat_ms = 30000;       // announced in welcome
  std::size_t max_text_chars = 4000;
  double rate_per_sec = 10;
  double rate_burst = 20;
  int max_conns_per_user = 16;
  int max_rooms_per_user = 500;
  int64_t typing_timeout_ms = 5000;
  // How long a message that arrives ahead of a missing seq is held for the gap to fill (bus
  // events from several nodes can arrive out of order) before it is delivered anyway.
  int64_t reorder_window_ms = 1000;
  std::string node_id = "local";   // unique per node in a cluster
};

// Time sources, replaceable in tests.
struct HubClock {
  std::function<int64_t()> wall_ms;  // message timestamps (ms since the epoch)
  std::function<int64_t()> mono_ms;  // timeouts and rate limits
  static HubClock system();
};

// A message published through the server API (hub_api.cpp).
struct PublishRequest {
  std::string room;
  std::string user;  // empty: a system message
  std::string id;    // 1–128 bytes, unique per author (the caller generates one when none was given)
  std::string text;
};

// A page of history through the server API: `after` (like sync) or `before` (like history,
// newest page when neither is set).
struct HistoryQuery {
  std::optional<int64_t> after;
  std::optional<int64_t> before;
  int limit = kDefaultPageLimit;
};

class Hub final : public BusHandler {
 public:
  template <class T>
  using Done = std::function<void(Result<T>)>;

  // `metrics` outlives the hub.
  Hub(HubOptions options, Store& store, Bus& bus, Presence& presence, Metrics& metrics,
      HubClock clock = HubClock::system());
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  // Admission before the upgrade: takes one of the user's connection slots. False when the
  // user already holds max_conns_per_user. Every true must be matched by connect() or release().
  bool reserve(const std::string& user);
  void release(const std::string& user);

  // A connection that holds a reservation and completed its upgrade. Loads the user's rooms,
  // sends welcome (always the connection's first frame), announces presence if this is the
  // user's first connection, then calls `ready` — the session starts reading after that.
  void connect(const ClientPtr& client, std::function<void()> ready);

  // The connection is gone (any reason). Frees its slot; the user's last connection going
  // announces presence offline and clears the user's typing.
  void disconnect(const ClientPtr& client);

  // One decoded command from `client`. Replies and errors go to client->send().
  void handle(const ClientPtr& client, Command command);

  // Room events from the bus: fan-out to local member connections, messages in seq order.
  void on_room_event(const RoomEvent& event) override;
  // Membership changes of a user, possibly made on another node.
  void on_user_event(const UserEvent& event) override;

  // ---- The server API (hub_api.cpp): the application backend's operations, under the same
  // rules, ordering and cluster fan-out as the commands. `done` runs once, on any thread,
  // with the result or a Status: invalid (a bad name or field), not_found (no such room, not
  // a member), forbidden, too_large, limit_exceeded, unavailable / io_error (the store).

  // Creates an empty room; true if created, false if it existed already.
  void create_room(const std::string& room, Done<bool> done);
  // The existing room's last_seq.
  void room(const std::string& room, Done<RoomState> done);
  // Makes `user` a member of the existing `room`. Every connection of the user, on every
  // node, gets `joined` (again, if a member already), and the room's members see the user
  // come online if it is.
  void add_member(const std::string& room, const std::string& user, Done<RoomState> done);
  // Ends the membership (not_found if there was none): the user's connections get `left` and
  // the room's members see the user go offline.
  void remove_member(const std::string& room, const std::string& user, Done<bool> done);
  // Stores and fans out a message exactly like a `message` command of `user`, who must be a
  // member; a system message when `user` is empty. A repeated id answers the original
  // (duplicate=true) and sends nothing. The per-user rate limit does not apply: the backend
  // is trusted.
  void publish(PublishRequest req, Done<Appended> done);
  // The members of the existing `room` online anywhere, sorted.
  void online(const std::string& room, Done<std::vector<std::string>> done);
  // A page of the existing `room`'s history.
  void history(const std::string& room, HistoryQuery query, Done<MessagePage> done);

  // Periodic work: expires typing indicators, releases messages held past the reorder
  // window, forgets idle rate-limit buckets. Call every few hundred ms.
  void tick();

  // Every connection (also those still loading), e.g. to close them on shutdown.
  std::vector<ClientPtr> clients() const;
  std::size_t connection_count() const;

 private:
  struct UserState {
    int slots = 0;                     // reserved + connected connections
    std::vector<ClientPtr> conns;      // connected and welcomed
    std::set<std::string> rooms;       // rooms the user is a member of (persistent fact)
    bool online = false;               // presence online has been announced
  };
  struct HeldMessage {
    RoomEvent event;
    int64_t since_ms = 0;              // mono_ms when it arrived
  };
  struct LocalRoom {
    std::set<std::string> online;      // local users that are members and online
    std::map<std::string, int64_t> typing;  // user → mono_ms when the indicator expires
    int64_t delivered_seq = 0;         // newest message seq fanned out here; 0 = not known yet
    std::map<int64_t, HeldMessage> held;  // messages that arrived ahead of a gap
    std::shared_ptr<const std::vector<ClientPtr>> recipients =
        std::make_shared<const std::vector<ClientPtr>>();  // snapshot of online members' conns
  };

  // Commands (hub_commands.cpp).
  void on_join(const ClientPtr& c, const boost::json::value& ref, JoinCmd cmd);
  void on_leave(const ClientPtr& c, const boost::json::value& ref, LeaveCmd cmd);
  void on_message(const ClientPtr& c, const boost::json::value& ref, MessageCmd cmd);
  void on_typing(const ClientPtr& c, const boost::json::value& ref, TypingCmd cmd);
  void on_read(const ClientPtr& c, const boost::json::value& ref, ReadCmd cmd);
  void on_sync(const ClientPtr& c, const boost::json::value& ref, SyncCmd cmd);
  void on_history(const ClientPtr& c, const boost::json::value& ref, HistoryCmd cmd);

  // Every protocol error goes out through these: counted, one log line, then the frame.
  void reply_error(const ClientPtr& c, std::string_view code, const std::string& message, const boost::json::value& ref,
                   const std::string& id = {});
  void reply_store_error(const ClientPtr& c, const Status& s, const boost::json::value& ref, const std::string& id = {});

  // Replies forbidden and returns false unless the name is valid and the user a member.
  bool check_member(const ClientPtr& c, const std::string& room, const boost::json::value& ref,
                    const std::string& id = {});

  // Under mu_: local membership bookkeeping. add returns true when the user was not yet an
  // online member here; remove queues the typing-clear it implies into `out`.
  bool add_online_member(const std::string& room, const std::string& user, int64_t last_seq = 0);
  bool remove_online_member(const std::string& room, const std::string& user, std::vector<RoomEvent>& out);
  void rebuild_recipients(const std::string& room);
  bool clear_typing(const std::string& room, const std::string& user, std::vector<RoomEvent>& out);
  void publish_all(std::vector<RoomEvent>& events);
  void announce_presence(const std::string& user, const std::vector<std::string>& rooms, bool online);
  // Under deliver_mu_ and mu_: the message events of `room` that can go out now, in seq order.
  void take_in_order(LocalRoom& room, const RoomEvent& event, std::vector<RoomEvent>& out);
  void fan_out(const std::vector<ClientPtr>& recipients, const RoomEvent& event);
  // Sends `joined` (with the caller's ref) to `c` and to the user's other connections anywhere.
  void finish_join(const ClientPtr& c, const boost::json::value& ref, const parley::RoomState& state,
                   std::vector<std::string> online);

  const HubOptions options_;
  Store& store_;
  Bus& bus_;
  Presence& presence_;
  Metrics& metrics_;
  const HubClock clock_;

  // Serializes the fan-out of message events, so that seq order holds per connection even
  // when the bus thread and tick() release messages at the same time. Taken before mu_.
  std::mutex deliver_mu_;
  mutable std::mutex mu_;  // guards users_, rooms_, pending_, buckets_
  std::unordered_map<std::string, UserState> users_;
  std::unordered_map<std::string, LocalRoom> rooms_;
  std::unordered_map<uint64_t, ClientPtr> pending_;  // connected, rooms still loading
  std::unordered_map<std::string, TokenBucket> buckets_;
};

}  // namespace parley
