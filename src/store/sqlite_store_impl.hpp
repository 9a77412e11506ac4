#pragma once
// SqliteStore's internals, shared by its two source files (sqlite_store.cpp: messages and
// users; sqlite_rooms.cpp: rooms, membership, moderation, blocks and search).
#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>

#include "metrics/metrics.hpp"
#include "store/sql_jobs.hpp"
#include "store/sqlite_db.hpp"
#include "store/sqlite_store.hpp"

namespace parley {

// A failed SQLite statement fails its own operation only.
struct SqliteGuard {
  Status operator()(std::exception_ptr e) const {
    try {
      std::rethrow_exception(e);
    } catch (const SqliteError& x) {
      return Status::io_error(x.what());
    }
  }
};

// The calling user's view of `room` (nullopt: not a member), read with `db`.
std::optional<RoomState> sqlite_member_state(SqliteDb& db, const std::string& room, const std::string& user);

struct SqliteStore::Impl {
  std::unique_ptr<SqliteDb> write_db;
  std::unique_ptr<SqliteDb> read_db;
  std::unique_ptr<WriteQueue<SqliteDb>> writer;
  std::unique_ptr<ReadQueue<SqliteDb>> reader;
  Metrics* metrics = nullptr;

  // One transaction for the whole batch, without a savepoint per operation: an operation
  // that fails cleanly has written nothing (see WriteJob), and a savepoint would copy every
  // page the next operation touches into the statement journal. Only when an operation
  // breaks midway is the batch rolled back and run again one transaction per operation, so
  // that the broken one fails alone.
  void commit_batch(std::vector<std::unique_ptr<WriteJob<SqliteDb>>>& batch) {
    CommitTimer timer(metrics, batch.size());
    Status commit;
    bool broken = false;
    try {
      write_db->run("BEGIN IMMEDIATE");
      for (auto& op : batch) {
        op->apply(*write_db);
        if (op->broke()) {
          broken = true;
          break;
        }
      }
      if (broken) {
        write_db->run("ROLLBACK");
      } else {
        write_db->run("COMMIT");
      }
    } catch (const SqliteError& e) {
      spdlog::error("store: commit of {} writes failed: {}", batch.size(), e.what());
      commit = Status::io_error(e.what());
      try { write_db->exec("ROLLBACK"); } catch (const SqliteError&) {}
    }
    if (!broken) {
      timer.stop();
      for (auto& op : batch) op->complete(commit);
      return;
    }
    for (auto& op : batch) op->complete(commit_alone(*op));
  }

  // The slow path: `op` in a transaction of its own; rolled back if it breaks.
  Status commit_alone(WriteJob<SqliteDb>& op) {
    try {
      write_db->run("BEGIN IMMEDIATE");
      op.apply(*write_db);
      write_db->run(op.broke() ? "ROLLBACK" : "COMMIT");
      return Status::ok();  // a broken op reports its own error through its result
    } catch (const SqliteError& e) {
      try { write_db->exec("ROLLBACK"); } catch (const SqliteError&) {}
      return Status::io_error(e.what());
    }
  }

  template <class T>
  void write(Store::Callback<T> done, std::function<Result<T>(SqliteDb&)> run) {
    queue_write<SqliteGuard>(*writer, std::move(done), std::move(run));
  }

  template <class T>
  void read(Store::Callback<T> done, std::function<Result<T>(SqliteDb&)> run) {
    queue_read<SqliteGuard>(*reader, std::move(done), std::move(run));
  }
};

}  // namespace parley
