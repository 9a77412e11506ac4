#pragma once
// PgStore's internals, shared by its source files (pg_store.cpp: messages and users;
// pg_append.cpp: the batched append; pg_rooms.cpp: rooms, membership, moderation, blocks and
// search).
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "metrics/metrics.hpp"
#include "store/write_health.hpp"
#include "store/pg_conn.hpp"
#include "store/pg_store.hpp"
#include "store/sql_jobs.hpp"

namespace parley {

inline constexpr int kPgBatchAttempts = 6;
// How long a writer keeps trying to reach PostgreSQL again before it fails its batch.
inline constexpr std::chrono::seconds kPgReconnectPatience{15};

// Deadlocks, serialization failures and lost connections retry (rethrown); any other
// failed statement fails its own operation.
struct PgGuard {
  Status operator()(std::exception_ptr e) const {
    try {
      std::rethrow_exception(e);
    } catch (const PgError& x) {
      if (x.retryable()) throw;
      return Status::io_error(x.what());
    }
  }
};

// Prepares pg_rooms.cpp's and pg_append.cpp's statements (called for every connection).
void prepare_room_statements(PgConn& db);
void prepare_append_statements(PgConn& db);
void prepare_upload_statements(PgConn& db);
void prepare_outbox_statements(PgConn& db);
void prepare_account_statements(PgConn& db);
// The standing of users (pg_accounts.cpp).
extern const char* const kAccountsMigration;
extern const char* const kPushMigration;
extern const char* const kRevokedTokensMigration;
// The webhook outbox's tables (pg_outbox.cpp).
extern const char* const kOutboxMigration;
// Records `event` in the webhook outbox, in the open transaction, when an endpoint wants it.
void pg_record(PgConn& db, const OutboxConfig& outbox, const WebhookEvent& event);
// The upload `id` as stored (nullopt: unknown or deleted); `lock`: its row, until the
// transaction ends.
std::optional<Upload> pg_upload(PgConn& db, const std::string& id, bool lock);
// The migration that creates parley_append() (pg_append.cpp).
extern const char* const kAppendFunctionMigration;

// A plain message append (kind message): appends of a batch go to PostgreSQL together, in
// one call of parley_append() (pg_append.cpp), instead of one round trip per statement.
struct PgAppendJob final : WriteJob<PgConn> {
  AppendRequest req;
  Store::Callback<Appended> done;
  Result<Appended> result;
  bool threw = false;

  Status apply(PgConn& db) override;  // alone: a batch of one
  bool broke() const override { return threw; }
  void complete(const Status& commit) override { done(commit.is_ok() ? std::move(result) : Result<Appended>(commit)); }
};

// Runs the appends in one statement and sets each job's result. Throws PgError.
void append_many(PgConn& db, const std::vector<PgAppendJob*>& jobs);
// Locks `keys` (rooms' names, "user:<name>") until the transaction ends, in the one global
// order every transaction uses (parley_lock_keys, pg_commit.cpp).
void lock_keys(PgConn& db, const std::vector<std::string>& keys);

struct PgStore::Impl {
  // One writer per connection; the writes of one key (a room, a user) always go to the same
  // one (by a hash of the key), so that they commit in the order they were queued.
  struct Writer {
    std::unique_ptr<PgConn> db;
    std::unique_ptr<WriteQueue<PgConn>> queue;
  };
  struct Reader {
    std::unique_ptr<PgConn> db;
    std::unique_ptr<ReadQueue<PgConn>> queue;
  };
  std::vector<std::unique_ptr<Writer>> writers;
  std::vector<std::unique_ptr<Reader>> readers;
  std::atomic<std::size_t> next_reader{0};
  Metrics* metrics = nullptr;
  std::chrono::milliseconds max_backlog{0};
  OutboxConfig outbox;  // set before the threads start, read-only after
  WriteHealth health;   // whether commits fail for the storage's sake (readiness)

  // Insufficient resources (53: disk full, out of memory), a system error (58: I/O), or a
  // read-only server (25006): the writes after it fail too until it is fixed.
  void note_failure(const PgError& e) {
    if (e.sqlstate.rfind("53", 0) == 0 || e.sqlstate.rfind("58", 0) == 0 || e.sqlstate == "25006") {
      health.failed(e.what());
    }
  }

  // Records the events an endpoint wants, in the open transaction.
  void record(PgConn& db, const WebhookEvent& e) const {
    if (outbox.wants(e.type)) pg_record(db, outbox, e);
  }
  void record(PgConn& db, const std::vector<WebhookEvent>& events) const {
    for (const auto& e : events) record(db, e);
  }

  // One transaction per batch. Every transaction first locks the keys it writes (its rooms,
  // its users), in one global order: two batches that share keys wait for each other in that
  // order, so they never deadlock (docs/cluster.md). A batch of appends only is one statement.
  void commit_batch(PgConn& db, std::vector<std::unique_ptr<WriteJob<PgConn>>>& batch);
  // The batch, tried once; throws PgError when the whole batch must be tried again; false
  // when an operation broke (it failed midway), after rolling the transaction back.
  bool try_batch(PgConn& db, std::vector<std::unique_ptr<WriteJob<PgConn>>>& batch);
  bool run_batch(PgConn& db, std::vector<std::unique_ptr<WriteJob<PgConn>>>& batch);
  // An operation in a transaction of its own (after another one of its batch broke).
  Status commit_alone(PgConn& db, WriteJob<PgConn>& op);

  Writer& writer_for(const std::string& key) {
    return *writers[key.empty() ? 0 : std::hash<std::string>{}(key) % writers.size()];
  }

  // `key`: what the write touches (see WriteJob::key).
  template <class T>
  void write(const std::string& key, Store::Callback<T> done, std::function<Result<T>(PgConn&)> run) {
    queue_write<PgGuard>(*writer_for(key).queue, std::move(done), std::move(run), false, key);
  }

  template <class T>
  void read(Store::Callback<T> done, std::function<Result<T>(PgConn&)> run) {
    Reader& r = *readers[next_reader.fetch_add(1, std::memory_order_relaxed) % readers.size()];
    queue_read<PgGuard>(*r.queue, std::move(done),
                        std::function<Result<T>(PgConn&)>([run = std::move(run)](PgConn& db) -> Result<T> {
                          if (!db.ok() && !db.reconnect()) throw PgError("postgres connection lost", "08006");
                          return run(db);
                        }),
                        /*attempts=*/3);
  }
};

}  // namespace parley
