#pragma once
// PgStore's internals, shared by its two source files (pg_store.cpp: messages and users;
// pg_rooms.cpp: rooms, membership, moderation, blocks and search).
#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>
#include <thread>

#include "metrics/metrics.hpp"
#include "store/pg_conn.hpp"
#include "store/pg_store.hpp"
#include "store/sql_jobs.hpp"

namespace parley {

inline constexpr int kPgBatchAttempts = 6;

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

// Prepares pg_rooms.cpp's statements (called for every connection).
void prepare_room_statements(PgConn& db);

struct PgStore::Impl {
  std::unique_ptr<PgConn> write_db;
  std::unique_ptr<PgConn> read_db;
  std::unique_ptr<WriteQueue<PgConn>> writer;
  std::unique_ptr<ReadQueue<PgConn>> reader;
  Metrics* metrics = nullptr;

  void commit_batch(std::vector<std::unique_ptr<WriteJob<PgConn>>>& batch) {
    CommitTimer timer(metrics, batch.size());
    Status commit;
    for (int attempt = 1;; ++attempt) {
      try {
        if (!write_db->ok() && !write_db->reconnect()) throw PgError("postgres connection lost", "08006");
        write_db->exec("BEGIN");
        for (auto& op : batch) {
          write_db->exec("SAVEPOINT op");
          if (op->apply(*write_db).is_ok()) {
            write_db->exec("RELEASE op");
          } else {
            write_db->exec("ROLLBACK TO op; RELEASE op");
          }
        }
        write_db->exec("COMMIT");
        commit = Status::ok();
        break;
      } catch (const PgError& e) {
        try { write_db->exec("ROLLBACK"); } catch (const PgError&) {}
        if (!e.retryable() || attempt == kPgBatchAttempts) {
          spdlog::error("store: commit of {} writes failed: {}", batch.size(), e.what());
          commit = Status::unavailable(e.what());
          break;
        }
        spdlog::warn("store: retrying a batch of {} writes ({}): {}", batch.size(), e.sqlstate, e.what());
        // On the store's own thread: waiting here holds back only later writes.
        std::this_thread::sleep_for(std::chrono::milliseconds(20 * attempt));
      }
    }
    timer.stop();
    for (auto& op : batch) op->complete(commit);
  }

  template <class T>
  void write(Store::Callback<T> done, std::function<Result<T>(PgConn&)> run) {
    queue_write<PgGuard>(*writer, std::move(done), std::move(run));
  }

  template <class T>
  void read(Store::Callback<T> done, std::function<Result<T>(PgConn&)> run) {
    queue_read<PgGuard>(*reader, std::move(done),
                        std::function<Result<T>(PgConn&)>([run = std::move(run)](PgConn& db) -> Result<T> {
                          if (!db.ok() && !db.reconnect()) throw PgError("postgres connection lost", "08006");
                          return run(db);
                        }),
                        /*attempts=*/3);
  }
};

}  // namespace parley
