#pragma once
// SqliteStore's internals, shared by its two source files (sqlite_store.cpp: messages and
// users; sqlite_rooms.cpp: rooms, membership, moderation, blocks and search).
#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>
#include <optional>
#include <unordered_map>
#include <string>
#include <vector>

#include "metrics/metrics.hpp"
#include "store/recent_window.hpp"
#include "store/sql_jobs.hpp"
#include "store/write_health.hpp"
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

// Records `event` in the webhook outbox, in the open transaction, when an endpoint wants it
// (sqlite_outbox.cpp).
void sqlite_record(SqliteDb& db, const OutboxConfig& outbox, const WebhookEvent& event);

// The upload `id` as stored (nullopt: unknown or deleted), read with `db`.
std::optional<Upload> sqlite_upload(SqliteDb& db, const std::string& id);

struct SqliteStore::Impl {
  std::unique_ptr<SqliteDb> write_db;
  std::unique_ptr<SqliteDb> read_db;
  std::unique_ptr<WriteQueue<SqliteDb>> writer;
  std::unique_ptr<ReadQueue<SqliteDb>> reader;
  Metrics* metrics = nullptr;
  std::chrono::milliseconds max_backlog{0};
  OutboxConfig outbox;  // set before the threads start, read-only after
  WriteHealth health;   // whether commits fail for the storage's sake (readiness)

  void note_failure(const SqliteError& e) {
    if (is_storage_failure(e.code)) health.failed(e.what());
  }

  // Records the events an endpoint wants, in the writer's open transaction.
  void record(SqliteDb& db, const WebhookEvent& e) const {
    if (outbox.wants(e.type)) sqlite_record(db, outbox, e);
  }
  void record(SqliteDb& db, const std::vector<WebhookEvent>& events) const {
    for (const auto& e : events) record(db, e);
  }
  // The newest entries of busy rooms, for sync/history pages (store/recent_window.hpp):
  // appends stage into it, a COMMIT applies them, a rollback drops them.
  RecentWindow window;

  // Room seqs, kept by the writer: an append takes the next seq here instead of updating the
  // room's row, and each room's new last_seq is written once per transaction, just before its
  // COMMIT (readers see it together with the messages). A rollback forgets the cache; it is
  // read again from the rooms table. Only the writer thread touches it.
  struct RoomSeq {
    int64_t last = 0;
    bool dirty = false;
  };
  std::unordered_map<std::string, RoomSeq> seqs;
  std::vector<std::string> dirty_seqs;
  static constexpr std::size_t kSeqCacheRooms = 100000;

  // The next seq of `room` in the open transaction; nullopt when there is no such room.
  std::optional<int64_t> next_seq(const std::string& room) {
    auto it = seqs.find(room);
    if (it == seqs.end()) {
      auto& st = write_db->prepare("SELECT last_seq FROM rooms WHERE name=?1");
      st.bind(room);
      if (!st.step()) {
        st.bind();
        return std::nullopt;
      }
      const int64_t last = st.int64(0);
      st.bind();
      it = seqs.emplace(room, RoomSeq{last, false}).first;
    }
    if (!it->second.dirty) {
      it->second.dirty = true;
      dirty_seqs.push_back(room);
    }
    return ++it->second.last;
  }

  // Before COMMIT: the rooms whose seq moved get their last_seq row.
  void write_seqs() {
    for (const auto& room : dirty_seqs) {
      auto& rs = seqs.at(room);
      write_db->prepare("UPDATE rooms SET last_seq=?2 WHERE name=?1").bind(room, rs.last).step();
      rs.dirty = false;
    }
    dirty_seqs.clear();
    if (seqs.size() > kSeqCacheRooms) seqs.clear();
  }

  void forget_seqs() {
    seqs.clear();
    dirty_seqs.clear();
    window.rollback();
  }

  // Ends the open transaction: COMMIT (with the seqs written first) or ROLLBACK.
  void finish_transaction(bool commit) {
    if (commit) {
      write_seqs();
      write_db->run("COMMIT");
      window.commit();
    } else {
      forget_seqs();
      write_db->run("ROLLBACK");
    }
  }
  // Search indexing, off the append: messages stored since the last run are indexed in one
  // transaction of their own once kIndexEvery has passed (after a commit), before a search,
  // at start and at close. Touched only by the writer thread (and by open/close around it).
  static constexpr auto kIndexEvery = std::chrono::milliseconds(250);
  std::chrono::steady_clock::time_point last_index{};

  // Indexes every message waiting for it; returns how many. Throws SqliteError.
  std::size_t index_pending() {
    last_index = std::chrono::steady_clock::now();
    auto& pending = write_db->prepare("SELECT 1 FROM messages WHERE fts_id = 0 LIMIT 1");
    pending.bind();
    const bool any = pending.step();
    pending.bind();
    if (!any) return 0;
    write_db->run("BEGIN IMMEDIATE");
    std::size_t n = 0;
    try {
      n = index_rows();
      write_db->run("COMMIT");
    } catch (const SqliteError&) {
      try { write_db->exec("ROLLBACK"); } catch (const SqliteError&) {}
      throw;
    }
    return n;
  }

  // The indexing itself, in the transaction that is open. Throws SqliteError.
  std::size_t index_rows() {
    last_index = std::chrono::steady_clock::now();
    struct Row {
      std::string room;
      int64_t seq;
      std::string text;
    };
    std::vector<Row> rows;
    auto& scan = write_db->prepare("SELECT room, seq, text FROM messages WHERE fts_id = 0 ORDER BY ts, room, seq");
    scan.bind();
    while (scan.step()) rows.push_back(Row{scan.text(0), scan.int64(1), scan.text(2)});
    scan.bind();
    for (auto& r : rows) {
      write_db->prepare("INSERT INTO message_text(text, room, seq) VALUES(?1, ?2, ?3)").bind(r.text, r.room, r.seq).step();
      const int64_t id = write_db->last_insert_rowid();
      write_db->prepare("UPDATE messages SET fts_id=?3 WHERE room=?1 AND seq=?2").bind(r.room, r.seq, id).step();
    }
    return rows.size();
  }

  // After a commit: index when kIndexEvery has passed. A failure is logged; the rows stay
  // pending and the next run takes them.
  void maybe_index() {
    if (std::chrono::steady_clock::now() - last_index < kIndexEvery) return;
    try {
      index_pending();
    } catch (const SqliteError& e) {
      spdlog::error("store: indexing for search failed: {}", e.what());
    }
  }

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
        if (!op->takes_seq && !dirty_seqs.empty()) write_seqs();
        op->apply(*write_db);
        if (op->broke()) {
          broken = true;
          break;
        }
      }
      finish_transaction(!broken);
      if (!broken) health.committed();
    } catch (const SqliteError& e) {
      spdlog::error("store: commit of {} writes failed: {}", batch.size(), e.what());
      note_failure(e);
      commit = Status::io_error(e.what());
      forget_seqs();
      try { write_db->exec("ROLLBACK"); } catch (const SqliteError&) {}
    }
    if (!broken) {
      timer.stop();
      for (auto& op : batch) op->complete(commit);
      maybe_index();
      return;
    }
    for (auto& op : batch) op->complete(commit_alone(*op));
    maybe_index();
  }

  // The slow path: `op` in a transaction of its own; rolled back if it breaks.
  Status commit_alone(WriteJob<SqliteDb>& op) {
    try {
      write_db->run("BEGIN IMMEDIATE");
      op.apply(*write_db);
      finish_transaction(!op.broke());
      if (!op.broke()) health.committed();
      return Status::ok();  // a broken op reports its own error through its result
    } catch (const SqliteError& e) {
      note_failure(e);
      forget_seqs();
      try { write_db->exec("ROLLBACK"); } catch (const SqliteError&) {}
      return Status::io_error(e.what());
    }
  }

  // `takes_seq`: the job is an append (see WriteJob::takes_seq).
  template <class T>
  void write(Store::Callback<T> done, std::function<Result<T>(SqliteDb&)> run, bool takes_seq = false) {
    queue_write<SqliteGuard>(*writer, std::move(done), std::move(run), takes_seq);
  }

  template <class T>
  void read(Store::Callback<T> done, std::function<Result<T>(SqliteDb&)> run) {
    queue_read<SqliteGuard>(*reader, std::move(done), std::move(run));
  }
};

}  // namespace parley
