#pragma once
// The hub: the domain of one node. It holds this node's rooms and users (rooms.hpp,
// users.hpp), applies every rule of every operation once for both faces — a user over
// WebSocket, the application backend over the server API (hub/actor.hpp) — and delivers the
// domain events that result to this node's connections and, through the Bus, to the others.
//
// It performs no I/O of its own: durable work goes to the Store, whose completions come back
// on the I/O threads through `Lanes` (never is a fan-out run on a store thread); events leave
// through the Bus; frames, encoded once per event by the EventEncoder, go to Client::send().
//
// Threads: every public method may be called from any thread. State is sharded, each shard
// and each room behind its own mutex (lock order: a user's shard, then a room's shard, then
// the room; the blockers' and rate buckets' shards are taken alone). No lock is held across a
// Store, Bus or Presence call that can call back.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bus/bus.hpp"
#include "common/clock.hpp"
#include "bus/presence.hpp"
#include "hub/actor.hpp"
#include "hub/client.hpp"
#include "hub/encoder.hpp"
#include "hub/operations.hpp"
#include "hub/rooms.hpp"
#include "hub/users.hpp"
#include "hub/word_filter.hpp"
#include "store/store.hpp"

namespace parley {

struct Metrics;

class WebhookOutbox;
class Hooks;
class PushNotifier;

struct HubOptions {
  std::size_t max_text_chars = 4000;
  double rate_per_sec = 10;
  double rate_burst = 20;
  int max_conns_per_user = 16;
  int max_rooms_per_user = 500;
  int64_t typing_timeout_ms = 5000;
  double typing_rate_per_sec = 4;  // typing changes per user and room (a refresh of an ongoing one is free)
  double typing_burst = 20;
  // How long a message that arrives ahead of a missing seq is held for the gap to fill (bus
  // events from several nodes can arrive out of order) before it is delivered anyway.
  int64_t reorder_window_ms = 1000;
  std::string node_id = "local";   // unique per node in a cluster
  int64_t edit_window_ms = 900000; // how long after sending its author may edit a message
  // Rooms with more members online than this tell presence as occupancy counts (at most one
  // per tick) instead of per-user changes, and `joined` lists this many online members at most.
  std::size_t presence_limit = 100;
  std::size_t max_data_bytes = 8192;  // a message's `data`, serialized
  int max_attachments = 10;            // uploads one message may carry
  int64_t upload_quota_bytes = 0;      // bytes of uploads (not deleted) per user; 0: none
  WordFilter word_filter;
  // Where users going online and offline (on the first and after the last connection on any
  // node) are recorded for webhooks; null: nowhere. Outlives the hub.
  WebhookOutbox* presence_webhooks = nullptr;
  // The application's hooks (common/hooks.hpp): before_publish checks users' messages and
  // edits after the hub's own rules; null: none. Outlives the hub.
  Hooks* hooks = nullptr;
  // Who is told of a message while offline (common/push.hpp); null: nobody. Outlives the hub.
  PushNotifier* push = nullptr;
};

// Runs work on the I/O threads: calls with the same key run one at a time, in call order
// (net/ gives each key a strand). The hub keys store completions by room, so a room's
// deliveries keep the store's seq order.
using Lanes = std::function<void(uint64_t key, std::function<void()> fn)>;

class Hub final : public BusHandler {
 public:
  // Every reference outlives the hub.
  Hub(HubOptions options, Store& store, Bus& bus, Presence& presence, Metrics& metrics, const EventEncoder& encoder,
      Lanes lanes, Clock clock = Clock::system());
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  // ---- Connections (hub_connections.cpp).

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
  // Every connection (also those still loading), e.g. to close them on shutdown.
  std::vector<ClientPtr> clients() const;
  // Connections counted by their slots: open, loading, and upgrades under way.
  std::size_t connection_count() const;
  // Input for connection `in.conn` of `user` held by node `in.node` (the fallback transport's
  // POST, which may reach any node): handed to the connection here, or through the bus to the
  // node holding it. `done`: not_found when the connection is not here (or the key is wrong),
  // unavailable when the bus did not take it; ok once it is handed over (or published, in the
  // order of this user's publishes).
  void relay(const std::string& user, SessionInput in, std::function<void(Status)> done);

  // ---- Operations. `done` runs once, on any thread, with the result or a Status whose code
  // the adapters map through common/error_codes.hpp. A user's operation on a room whose join
  // is still in the store waits for that join to finish.

  // Rooms and membership (hub_membership.cpp).
  void join(const Actor& a, std::string room, Done<Joined> done);
  void leave(const Actor& a, std::string room, Done<Ok> done);
  // A user creates a room and joins it as owner (conflict if it exists); the backend creates
  // an empty one (created=false if it existed).
  void create_room(const Actor& a, std::string room, RoomKind kind, Done<Created> done);
  // The direct room of `a` (the user; the backend names both) and `b`, created with both as
  // members if missing; both users' connections get `joined`. forbidden if b blocks a.
  void open_direct(const Actor& actor, std::string a, std::string b, Done<Joined> done);
  // A user invites `user` (JoinMode::invite); the backend adds them (JoinMode::admin). Every
  // connection of the user, on every node, gets `joined`; the room gets `member` invited.
  void add_member(const Actor& a, std::string room, std::string user, Done<RoomState> done);
  // The backend ends a membership (not_found if none); the user's connections get `left`.
  void remove_member(const Actor& a, std::string room, std::string user, Done<Ok> done);
  // The backend: the existing room's last_seq and kind; who of its members is online.
  void room_info(const Actor& a, std::string room, Done<RoomState> done);
  // A page of the room's online members (hub_presence.cpp): a user must be a member (and
  // does not see those they block); the backend names an existing room.
  void online(const Actor& a, OnlineQuery query, Done<OnlineMembers> done);

  // Messages (hub_messages.cpp). post: the entry is stored, this node's members have it
  // queued (the author's own connections included), then `done` has the ack. A repeated id
  // answers the original (duplicate=true) and delivers nothing.
  void post(const Actor& a, PostRequest req, Done<Appended> done);
  void typing(const Actor& a, std::string room, bool active, Done<Ok> done);
  void read(const Actor& a, std::string room, int64_t seq, Done<Ok> done);
  // The replies of a thread (members only).
  void thread(const Actor& a, ThreadQuery query, Done<MessagePage> done);
  // What the user wants to be notified of in a room; answers the room's state after.
  void set_notify(const Actor& a, std::string room, NotifyLevel level, Done<RoomState> done);
  // Pins or unpins a message: owners and moderators (either member of a direct room), or the
  // backend. The members get a pinned event when it changed.
  void pin(const Actor& a, std::string room, int64_t seq, bool on, Done<Ok> done);
  // A page of the room's members' read positions (members only).
  void reads(const Actor& a, ReadsQuery query, Done<ReadsPage> done);
  // Every room, a page at a time (the backend only).
  void list_rooms(const Actor& a, RoomListQuery query, Done<RoomListPage> done);
  // This node's live connections by user (the backend only); answers at once.
  Result<ConnectionsPage> connections(const Actor& a, int limit) const;
  // The user's status (away, a text of at most kMaxStatusChars); every room of the user is told.
  void set_status(const Actor& a, UserStatus status, Done<Ok> done);
  void history(const Actor& a, std::string room, HistoryQuery query, Done<MessagePage> done);
  // A user searches their rooms; the backend searches for the user `query.user` names.
  void search(const Actor& a, SearchQuery query, Done<std::vector<ChatMessage>> done);
  // The backend: the rooms `user` is a member of, with the user's role and read position.
  void user_rooms(const Actor& a, std::string user, Done<std::vector<RoomState>> done);

  // Accounts (hub_accounts.cpp). Whether a token of `user` signed with version `ver` and
  // with id `token_id` (empty: any) may be used: unauthorized when revoked (ver below the
  // user's token_version, or logged out), forbidden when the user is disabled or deleted.
  // Answers the user's standing.
  void check_token(const std::string& user, int64_t ver, const std::string& token_id, Done<UserAccess> done);
  // A user logs one token out (its id and expiry, seconds): it is refused from now on and
  // the connections using it close with 4001 on every node.
  void logout(const Actor& a, std::string token_id, int64_t expires_s, Done<Ok> done);
  // A user's browser subscribes to Web Push (on) or stops (off); bad_request for keys that
  // are not a subscription's.
  void push_subscription(const Actor& a, PushSubscription sub, bool on, Done<Ok> done);
  // The backend: a user's standing.
  void user_access(const Actor& a, std::string user, Done<UserAccess> done);
  // The backend creates an account: with an encoded password hash (log in with it), or none
  // (tokens only). conflict when it exists or the name belonged to a deleted user.
  void create_user(const Actor& a, std::string user, std::string password_hash, Done<UserAccess> done);
  // The backend revokes a user's tokens, disables or enables the user. The user's
  // connections on every node whose tokens no longer pass are closed: 4001 for a revoked
  // token, 4003 for a disabled user.
  void change_access(const Actor& a, std::string user, AccessChange change, Done<UserAccess> done);
  // The user (themselves; the backend may not) sets a new password hash: every token so far
  // is revoked, and connections using one close with 4001 on every node.
  void change_password(const Actor& a, std::string password_hash, Done<UserAccess> done);
  // The backend deletes a user, or a user themselves (Store::delete_user): the user leaves
  // every room but direct ones (the members see them go offline), then every connection
  // closes with 4003.
  void delete_user(const Actor& a, std::string user, DeletedUserMessages messages, Done<UserAccess> done);
  // A user's (or, for the backend, any user's) data: a page of up to `limit` (1 to
  // kExportPage) of their messages after the id `after`, with their rooms on the first page.
  void export_data(const Actor& a, std::string user, std::string after, int limit, Done<UserExport> done);

  // Uploads (hub_uploads.cpp). Records a file whose content is stored (its id, type and
  // size are set): a user's own, or the backend's (owner empty) or, for the backend, any
  // user's (upload.owner); limit_exceeded past the owner's quota.
  void add_upload(const Actor& a, Upload upload, Done<Upload> done);
  // The upload, if `a` may see it: the backend always; a user, their own upload not sent yet,
  // or one sent to a room they are a member of. Anything else is not_found, as if it did not
  // exist.
  void open_upload(const Actor& a, std::string id, Done<Upload> done);

  // Moderation and block lists (hub_moderation.cpp).
  void moderate(const Actor& a, ModerateRequest req, Done<ModerationResult> done);
  // Sets the room's slow mode: each member (not moderators or the owner) may post a message
  // at most every `seconds` (0: off; at most kMaxSlowModeSeconds), counted on each node. By
  // a moderator or owner, or the backend; every member hears `slow_mode`. Answers the room's
  // state (kind, slow_mode_s, settings_version).
  void set_slow_mode(const Actor& a, std::string room, int64_t seconds, Done<RoomState> done);
  void block(const Actor& a, std::string other, bool on, Done<std::vector<std::string>> done);

  // ---- Events from the other nodes (hub_delivery.cpp).
  void on_room_event(const RoomEvent& event) override;
  void on_user_event(const UserEvent& event) override;
  // Fetches from the store the room's messages after what this node delivered, and delivers
  // them: those published before the subscription took effect never come over the bus.
  void on_room_subscribed(const std::string& room) override;

  // Periodic work: sends the presence changes gathered since the last tick and the
  // occupancy of large rooms, expires typing indicators, releases messages held past the
  // reorder window, forgets idle rate-limit buckets. Call every 100 ms or so: presence waits
  // for it.
  void tick();

 private:
  // ---- Checks shared by the operations (hub_rules.cpp).
  // A copy of the user's membership of `room` (its name valid), or forbidden / invalid.
  Result<Membership> member_of(const Actor& a, const std::string& room);
  // The rules of an entry's text, mute and rate, in one place for both faces.
  Status check_post(const Actor& a, const Membership* m, PostRequest& req, int64_t now_ms);
  Status check_attachments(const std::vector<std::string>& ids) const;
  // Starts, refreshes or ends `user`'s typing indicator in `room` here; tells the room of a change.
  void set_typing(const std::string& room, const std::string& user, bool active);
  // post, once the author's membership is known (none: a system message).
  void post_checked(const Actor& a, PostRequest req, std::optional<Membership> m, int64_t received_us,
                    Done<Appended> done);
  // Then (past the publish hook) into the store, stamped `ts`; emitted once stored.
  void store_post(const Actor& a, PostRequest req, const std::optional<Membership>& m, int64_t received_us, int64_t ts,
                  Done<Appended> done);
  // Holds `retry` if the user's join of `room` is still in the store; true if held.
  bool defer_while_joining(const Actor& a, const std::string& room, std::function<void()> retry);
  // Marks the user's join of `room` pending (no-op if a member already); limit_exceeded over
  // max_rooms_per_user.
  Status start_pending(const Actor& a, const std::string& room);
  // The store made the user a member: applied here, `done` answered, the user's other
  // connections told, then the operations that waited run.
  void admit(const Actor& a, const RoomState& state, Done<Joined> done);
  // How many read positions and statuses a join reads: one more than joined shows.
  int extras_limit() const { return static_cast<int>(options_.presence_limit) + 1; }
  void abandon_pending(const Actor& a, const std::string& room);
  // Someone else made `user` a member (invitation, the backend): every node holding the
  // user applies it, the room hears `member` invited.
  void member_added(const std::string& user, const RoomState& state, const std::string& by, std::function<void()> then);
  void moderation_done(const ModerationRequest& req, const ModerationResult& result);
  // A store completion, moved onto the lane of `key` (an I/O thread).
  template <class T, class F>
  Store::Callback<T> on_lane(const std::string& key, F fn);

  // ---- Delivery (hub_delivery.cpp): to this node's connections first, then to the bus.
  void emit(RoomEvent event, std::function<void()> then = {});
  // A user's own change (presence_pending false) is applied here already: only told.
  void emit(UserEvent event);
  // ---- Presence (hub_presence.cpp). Changes wait in the outbox for the next tick, where a
  // user's last change in each room goes out, unless the room counts (then only its
  // occupancy is refreshed).
  void announce_presence(const std::string& user, const std::vector<std::string>& rooms, bool online);
  // The user's first connection on any node opened (online) or the last one closed: the
  // user.online / user.offline webhook event.
  void record_user_presence(const std::string& user, bool online);
  void flush_presence();
  // Counts the online members of `rooms` and tells those over presence_limit (or back under).
  void refresh_occupancy(const std::vector<std::string>& rooms);
  // Tells the room's connections its occupancy; `counting` false: per-user presence resumes.
  void fan_out_occupancy(LocalRoom& room, const std::string& name, bool counting) REQUIRES(room.mu);
  // Removes from `names` the users `user` blocks (they do not see them online).
  void drop_blocked(const std::string& user, std::vector<std::string>& names);
  // The `joined` view of the room for `user`: a first page of the others online and the count.
  void online_summary(const RoomState& state, const std::string& user, std::function<void(Joined)> done);
  // To this node's connections. `then` runs once a message is out (held ones: when released).
  void deliver(const RoomEvent& event, std::function<void()> then);
  void apply_notice(const std::string& room, const MemberNotice& notice);
  // Slow mode: 0 when `user` may post message `id` in `room` now (noted as their last),
  // else how long until they may (ms).
  int64_t slow_mode_wait(const std::string& user, const std::string& room, const std::string& id);
  // Every local member's view of the room's slow mode, when `change` is newer.
  void apply_slow_mode(const std::string& room, const SlowModeChanged& change);
  // Applies a membership or block-list change made elsewhere, then tells the connections.
  void apply(const UserEvent& event);
  void tell_user(const UserEvent& event);
  // Hands the message's offline recipients (the direct peer, the users it mentions) to the
  // push notifier.
  void push_offline(const ChatMessage& message, const std::string& peer);
  // Whether `active` changes the user's typing state in the room (a refresh does not).
  bool typing_changes(const std::string& room, const std::string& user, bool active);
  // Gives back the message token a post took (it was a duplicate).
  void refund_rate(const std::string& user);
  // Hands relayed input to the local connection it names; false when there is none.
  bool take_input(const std::string& user, const SessionInput& in);
  // Closes the connections an AccessChanged no longer lets in.
  static void close_revoked(const std::vector<ClientPtr>& conns, const AccessChanged& change);
  // `blockers`: users who block the event's subject (they do not get it), or null.
  void fan_out(const std::vector<ClientPtr>& recipients, const RoomEvent& event,
               const std::set<std::string>* blockers = nullptr) const;

  // ---- Local membership bookkeeping (hub_connections.cpp). Called with the user's shard held.
  // add: true when the user was not yet an online member here (else its connections are
  // updated); remove: queues the typing-clear it implies into `out`.
  bool add_online(const std::string& room, const std::string& user, const std::vector<ClientPtr>& conns,
                  std::optional<int64_t> last_seq = std::nullopt);
  bool remove_online(const std::string& room, const std::string& user, std::vector<RoomEvent>& out);
  void set_blocked(UserState& u, const std::string& user, std::set<std::string> blocked);
  void finish_connect(const ClientPtr& client, const std::vector<RoomState>& rooms, const UserSettings& settings);

  const HubOptions options_;
  Store& store_;
  Bus& bus_;
  Presence& presence_;
  Metrics& metrics_;
  const EventEncoder& encoder_;
  const Lanes lanes_;
  const Clock clock_;

  UsersRegistry users_;
  RoomsRegistry rooms_;
  Sharded<std::map<std::string, bool>> presence_outbox_;  // room → user → online, until the tick
};

template <class T, class F>
Store::Callback<T> Hub::on_lane(const std::string& key, F fn) {
  return [this, k = std::hash<std::string>{}(key), fn = std::move(fn)](Result<T> r) mutable {
    lanes_(k, [fn = std::move(fn), r = std::move(r)]() mutable { fn(std::move(r)); });
  };
}

}  // namespace parley
