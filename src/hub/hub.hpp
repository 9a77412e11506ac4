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
#include "hub/word_filter.hpp"
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
  int64_t edit_window_ms = 900000; // how long after sending its author may edit a message
  WordFilter word_filter;
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

  // Creates an empty room of `kind` (public or private); true if created, false if it existed.
  void create_room(const std::string& room, RoomKind kind, Done<bool> done);
  // The direct room of users a and b, created with both as members if missing; a's view.
  // Both users' connections get `joined`. forbidden if b blocks a.
  void open_direct(const std::string& a, const std::string& b, Done<RoomState> done);
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
  // Kick, ban or unban as the backend (any member, the owner included). Effects as for the
  // commands (hub_moderation.cpp).
  void moderate_api(ModerationRequest req, Done<ModerationResult> done);

  // The user's membership of one room, as far as this node knows.
  struct Membership {
    RoomKind kind = RoomKind::public_room;
    Role role = Role::member;
    std::string peer;                  // direct rooms: the other user
    int64_t muted_until = 0;
    bool pending = false;              // a join or create is in the store: commands wait
  };
  // Periodic work: expires typing indicators, releases messages held past the reorder
  // window, forgets idle rate-limit buckets. Call every few hundred ms.
  void tick();

  // Every connection (also those still loading), e.g. to close them on shutdown.
  std::vector<ClientPtr> clients() const;
  std::size_t connection_count() const;

 private:
  struct Deferred {
    ClientPtr client;
    Command command;
  };
  struct UserState {
    int slots = 0;                     // reserved + connected connections
    std::vector<ClientPtr> conns;      // connected and welcomed
    std::map<std::string, Membership> rooms;  // rooms the user is a member of (persistent fact)
    std::map<std::string, std::vector<Deferred>> deferred;  // commands waiting for a pending join
    std::set<std::string> blocked;     // the user's block list
    bool online = false;               // presence online has been announced
  };
  struct HeldMessage {
    RoomEvent event;
    int64_t since_ms = 0;              // mono_ms when it arrived
  };
  struct LocalRoom {
    std::set<std::string> online;      // local users that are members and online
    std::map<std::string, int64_t> typing;  // user → mono_ms when the indicator expires
    int64_t delivered_seq = 0;         // newest message seq fanned out here
    bool positioned = false;           // delivered_seq is known (from the store or a delivery)
    std::map<int64_t, HeldMessage> held;  // messages that arrived ahead of a gap
    std::shared_ptr<const std::vector<ClientPtr>> recipients =
        std::make_shared<const std::vector<ClientPtr>>();  // snapshot of online members' conns
  };

  void finish_connect(const ClientPtr& client, const std::vector<RoomState>& rooms,
                      const std::vector<std::string>& blocked);

  // Commands (hub_commands.cpp).
  void on_join(const ClientPtr& c, const boost::json::value& ref, JoinCmd cmd);
  void on_leave(const ClientPtr& c, const boost::json::value& ref, LeaveCmd cmd);
  void on_message(const ClientPtr& c, const boost::json::value& ref, MessageCmd cmd);
  void on_typing(const ClientPtr& c, const boost::json::value& ref, TypingCmd cmd);
  void on_read(const ClientPtr& c, const boost::json::value& ref, ReadCmd cmd);
  void on_sync(const ClientPtr& c, const boost::json::value& ref, SyncCmd cmd);
  void on_history(const ClientPtr& c, const boost::json::value& ref, HistoryCmd cmd);
  void on_create(const ClientPtr& c, const boost::json::value& ref, CreateCmd cmd);
  void on_dm(const ClientPtr& c, const boost::json::value& ref, DmCmd cmd);
  // Conversation commands (hub_moderation.cpp).
  void on_invite(const ClientPtr& c, const boost::json::value& ref, InviteCmd cmd);
  void on_moderate(const ClientPtr& c, const boost::json::value& ref, ModerateCmd cmd);
  void on_block(const ClientPtr& c, const boost::json::value& ref, BlockCmd cmd);
  void on_search(const ClientPtr& c, const boost::json::value& ref, SearchCmd cmd);
  // message, edit, delete, react: checks, then the store, then fan-out and ack.
  void on_entry(const ClientPtr& c, const boost::json::value& ref, AppendRequest req);

  // Holds `command` if it names a room whose join is pending for the user; true if held.
  bool defer_if_pending(const ClientPtr& c, Command& command);
  // Marks a join of `room` pending for the user (no-op if a member); false over the room limit.
  bool start_pending(const ClientPtr& c, const std::string& room, const boost::json::value& ref);
  // The store made the user a member (state): applies it here, answers `joined`, tells the
  // user's other connections, then runs the commands that waited. `announce`: the user came
  // online in the room (not when the membership existed already).
  void admit(const ClientPtr& c, const boost::json::value& ref, const RoomState& state);
  // The pending join failed: forgets it, then runs (fails) the commands that waited.
  void abandon_pending(const ClientPtr& c, const std::string& room);
  // Store results of the conversation commands, with the stores' rules as protocol errors.
  void reply_status(const ClientPtr& c, const Status& s, const boost::json::value& ref, const std::string& id = {});
  // Someone else added `user` (an invitation, the server API): the user's connections on
  // every node get `joined`, the room `member` (by: the inviter; empty: the API); then `done`.
  void member_added(const std::string& user, const RoomState& state, const std::string& by, std::function<void()> done);
  // The effects of a stored moderation action: `left` to a removed member, `member` to the room.
  void moderation_done(const ModerationRequest& req, const ModerationResult& result);
  // Membership changes that reach this node as frames (bus events): applied to the hub's state.
  void apply_member_notice(const std::string& frame);
  void set_blocked(UserState& u, const std::string& user, std::set<std::string> blocked);
  // Under mu_: `event`'s recipients without the users who block its subject (typing, presence).
  std::shared_ptr<const std::vector<ClientPtr>> unblocked(const std::vector<ClientPtr>& recipients,
                                                           const std::string& subject) const;
  // Under mu_: the user's membership of `room`, or nullptr.
  const Membership* membership(const std::string& user, const std::string& room) const;
  // Every protocol error goes out through these: counted, one log line, then the frame.
  void reply_error(const ClientPtr& c, std::string_view code, const std::string& message, const boost::json::value& ref,
                   const std::string& id = {});
  void reply_store_error(const ClientPtr& c, const Status& s, const boost::json::value& ref, const std::string& id = {});

  // Replies forbidden and returns nullopt unless the name is valid and the user a member;
  // else a copy of the membership.
  std::optional<Membership> check_member(const ClientPtr& c, const std::string& room, const boost::json::value& ref,
                                         const std::string& id = {});

  // Under mu_: local membership bookkeeping. add returns true when the user was not yet an
  // online member here; remove queues the typing-clear it implies into `out`.
  bool add_online_member(const std::string& room, const std::string& user,
                         std::optional<int64_t> last_seq = std::nullopt);
  // Under mu_: a room not yet positioned here starts its live stream after `last_seq`.
  void position(const std::string& room, int64_t last_seq);
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
  // Blocked user → the users connected here who block them (for typing and presence).
  std::unordered_map<std::string, std::set<std::string>> blocked_by_;
};

}  // namespace parley
