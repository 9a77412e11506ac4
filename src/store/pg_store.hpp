#pragma once
// The clustered store: PostgreSQL, shared by every node.
//
// PostgreSQL is the sequencer: a message's seq comes from `UPDATE rooms SET last_seq =
// last_seq + 1 ... RETURNING` inside the commit, so the room row's lock orders concurrent
// appends from every node and seq stays gap-free. (user, client id) is unique, so a resend
// through any node finds the original.
//
// Threads and batching: each writer connection commits its queued writes in one transaction
// and runs callbacks after COMMIT. Every transaction locks the rows of the rooms it writes
// first, in name order, so that batches of several nodes never deadlock; the appends of a
// batch go in one call of a PL/pgSQL function (pg_commit.cpp), so a batch of appends is one
// round trip. Serialization failures and lost connections retry the whole batch (every
// operation is idempotent under retry); an operation failing midway makes the batch run
// again one transaction per operation. Reads go round-robin to the reader connections.
#include <chrono>
#include <memory>
#include <string>

#include "store/outbox.hpp"
#include "store/store.hpp"

namespace parley {

struct Metrics;

struct PgStoreOptions {
  std::string conninfo;            // libpq URI, e.g. postgres://parley@127.0.0.1:5432/parley
  std::string password;            // when set, overrides the URI's password
  std::size_t commit_batch = 1024;
  Metrics* metrics = nullptr;  // batch sizes and commit latency, when set
  // Connections to PostgreSQL: half of them (at least one) write, each with its own group
  // commit, a room's writes always on the same one; the rest (at least one) read.
  std::size_t connections = 4;
  // Appends are refused (busy) while their writer is more than this far behind; 0: never.
  std::chrono::milliseconds max_backlog{2000};
  OutboxConfig outbox;  // webhook events recorded with the changes (none: no endpoints)
};

class PgStore final : public Store, public WebhookOutbox {
 public:
  using Store::Callback;
  // Connects, applies migrations (serialized across nodes by an advisory lock), starts threads.
  static Result<std::unique_ptr<PgStore>> open(const PgStoreOptions& options);
  ~PgStore() override;

  void append(AppendRequest req, Callback<Appended> done) override;
  void create_room(std::string room, RoomKind kind, std::string owner, Callback<bool> done) override;
  void room(std::string room, Callback<RoomState> done) override;
  void join(JoinRequest req, Callback<RoomState> done) override;
  void open_direct(std::string room, std::string a, std::string b, int max_rooms, int extras_limit,
                   Callback<RoomState> done) override;
  void moderate(ModerationRequest req, Callback<ModerationResult> done) override;
  void set_slow_mode(std::string room, std::string actor, int64_t seconds, Callback<RoomState> done) override;
  void set_block(std::string user, std::string other, bool on, Callback<std::vector<std::string>> done) override;
  void settings_of(std::string user, Callback<UserSettings> done) override;
  void set_status(std::string user, UserStatus status, Callback<bool> done) override;
  void search(SearchQuery q, Callback<std::vector<ChatMessage>> done) override;
  void leave(std::string room, std::string user, Callback<bool> done) override;
  void set_read(std::string room, std::string user, int64_t seq, Callback<ReadResult> done) override;
  void set_notify(std::string room, std::string user, NotifyLevel level, Callback<RoomState> done) override;
  void pin(PinRequest req, Callback<bool> done) override;
  void reads(std::string room, std::string after, int limit, Callback<std::vector<ReadPosition>> done) override;
  void list_rooms(std::string after, int limit, int64_t since_ms, Callback<std::vector<RoomSummary>> done) override;
  void thread(std::string room, int64_t root, std::optional<int64_t> after, std::optional<int64_t> before, int limit,
              Callback<MessagePage> done) override;
  void rooms_of(std::string user, Callback<std::vector<RoomState>> done) override;
  void after(std::string room, int64_t after, int limit, Callback<MessagePage> done) override;
  void before(std::string room, std::optional<int64_t> before, int limit,
              Callback<MessagePage> done) override;
  void create_upload(Upload upload, int64_t quota_bytes, Callback<bool> done) override;
  void upload(std::string id, Callback<Upload> done) override;
  void expire_uploads(int64_t unsent_before_ms, Callback<std::vector<std::string>> done) override;
  void create_user(std::string name, std::string password_hash, Callback<bool> done) override;
  void password_hash(std::string name, Callback<std::string> done) override;
  void access_of(std::string user, std::string token_id, Callback<UserAccess> done) override;
  void revoke_token(std::string user, std::string token_id, int64_t expires_s, Callback<bool> done) override;
  void change_access(std::string user, AccessChange change, Callback<UserAccess> done) override;
  void change_password(std::string user, std::string password_hash, Callback<UserAccess> done) override;
  void delete_user(std::string user, DeletedUserMessages messages, Callback<UserAccess> done) override;
  void user_messages(std::string user, std::string after_id, int limit, Callback<std::vector<ChatMessage>> done) override;
  void save_push_subscription(std::string user, PushSubscription sub, Callback<bool> done) override;
  void drop_push_subscription(std::string user, std::string endpoint, Callback<bool> done) override;
  void push_targets(std::string user, std::string room, std::string author, bool mentioned,
                            Callback<PushTargets> done) override;
  void ping(Callback<bool> done) override;
  void close() override;

  // The webhook outbox (store/outbox.hpp).
  void due(std::string endpoint, std::string node, int64_t now_ms, int64_t lease_ms, int limit,
           Callback<std::vector<WebhookDelivery>> done) override;
  void settle(DeliveryOutcome outcome, Callback<bool> done) override;
  void deliveries(DeliveryQuery query, Callback<std::vector<WebhookDelivery>> done) override;
  void replay(ReplayRequest request, Callback<int64_t> done) override;
  void record(WebhookEvent event, Callback<bool> done) override;
  void backlog(Callback<std::vector<EndpointBacklog>> done) override;
  void purge(int64_t before_ms, Callback<int64_t> done) override;

 private:
  struct Impl;
  explicit PgStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley
