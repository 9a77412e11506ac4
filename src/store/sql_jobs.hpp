#pragma once
// The jobs both SQL stores queue to their threads, and the helpers that queue them.
//
// `Db` is the store's connection type. A `Guard` judges an exception escaping an operation:
// `Status Guard::operator()(std::exception_ptr)` returns the operation's own failure, or
// rethrows when the whole batch (or read) should be tried again (a PostgreSQL deadlock or a
// lost connection, say).
#include <algorithm>
#include <chrono>
#include <exception>
#include <functional>
#include <memory>

#include "metrics/metrics.hpp"
#include "store/store.hpp"
#include "store/worker.hpp"

namespace parley {

// One write: `apply` runs inside the batch transaction; `complete` runs after COMMIT with the
// commit's status and delivers either the operation's own result or the commit failure.
// Contract of every operation: when it returns an error Status it has written nothing; only
// an exception (`broke()`) can leave a half-done write behind, to be rolled back.
template <class Db>
struct WriteJob {
  virtual ~WriteJob() = default;
  virtual Status apply(Db& db) = 0;
  virtual void complete(const Status& commit) = 0;
  // The last apply() ended in an exception, possibly after some of its writes.
  virtual bool broke() const = 0;
  // An append (the only job that takes a room seq from the writer's cache); every other job
  // may read rooms.last_seq, so the cache is written to the table before it runs.
  bool takes_seq = false;
  // What the job writes: a room's name, or "user:<name>" for a user's own rows (empty:
  // neither). PgStore locks the keys of a batch up front, in one order, and sends the jobs of
  // one key to one writer.
  std::string key;
};

template <class Db, class T, class Guard>
struct TypedWriteJob final : WriteJob<Db> {
  std::function<Result<T>(Db&)> run;
  Store::Callback<T> done;
  Result<T> result;
  bool threw = false;

  Status apply(Db& db) override {
    threw = false;
    try {
      result = run(db);  // computed afresh on every attempt of the batch
    } catch (...) {
      threw = true;
      result = Guard{}(std::current_exception());
    }
    return result.status;
  }
  bool broke() const override { return threw; }
  void complete(const Status& commit) override { done(commit.is_ok() ? std::move(result) : Result<T>(commit)); }
};

// Records one group commit in `metrics` (if set): its number of writes and the time from
// construction to stop() — BEGIN to COMMIT, retries included, callbacks not.
class CommitTimer {
 public:
  CommitTimer(Metrics* metrics, std::size_t writes)
      : metrics_(metrics), writes_(writes), start_(std::chrono::steady_clock::now()) {}
  ~CommitTimer() { stop(); }
  void stop() {
    if (!metrics_) return;
    metrics_->store_batch_size.observe(writes_);
    metrics_->store_commit_latency.observe(static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start_).count()));
    metrics_ = nullptr;
  }
  CommitTimer(const CommitTimer&) = delete;
  CommitTimer& operator=(const CommitTimer&) = delete;

 private:
  Metrics* metrics_;
  std::size_t writes_;
  std::chrono::steady_clock::time_point start_;
};

// Graceful overload: an append that would wait in `queue` behind more than `limit` of queued
// work is refused at once (Status::busy, with the backlog as the hint when to send it again),
// so the store keeps committing at its full rate instead of letting every ack grow late.
template <class Queue>
Status refuse_when_behind(Queue& queue, std::chrono::milliseconds limit) {
  if (limit.count() <= 0) return Status::ok();
  const auto backlog = queue.backlog();
  if (backlog <= limit) return Status::ok();
  return Status::busy("the message store is behind; send the message again after retry_after_ms",
                      std::clamp<int64_t>(backlog.count(), 100, 10000));
}

// Wall-clock ms since the epoch, for the stores' created_ms and joined_ms columns.
inline int64_t store_now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

template <class Db>
using WriteQueue = Worker<std::unique_ptr<WriteJob<Db>>>;
template <class Db>
using ReadQueue = Worker<std::function<void(Db&)>>;

// Queues a write; a closed store answers Status::unavailable at once.
template <class Guard, class Db, class T>
void queue_write(WriteQueue<Db>& writer, Store::Callback<T> done, std::function<Result<T>(Db&)> run,
                 bool takes_seq = false, std::string key = {}) {
  auto job = std::make_unique<TypedWriteJob<Db, T, Guard>>();
  job->takes_seq = takes_seq;
  job->key = std::move(key);
  job->run = std::move(run);
  job->done = done;
  if (!writer.push(std::move(job))) done(Status::unavailable("store is closed"));
}

// Queues a read, tried up to `attempts` times while the guard rethrows; a closed store
// answers Status::unavailable at once.
template <class Guard, class Db, class T>
void queue_read(ReadQueue<Db>& reader, Store::Callback<T> done, std::function<Result<T>(Db&)> run, int attempts = 1) {
  bool queued = reader.push([done, run = std::move(run), attempts](Db& db) {
    Result<T> r;
    for (int attempt = 1;; ++attempt) {
      try {
        r = run(db);
        break;
      } catch (...) {
        try {
          r = Guard{}(std::current_exception());
          break;
        } catch (const std::exception& e) {
          if (attempt >= attempts) {
            r = Status::unavailable(e.what());
            break;
          }
        }
      }
    }
    done(std::move(r));
  });
  if (!queued) done(Status::unavailable("store is closed"));
}

}  // namespace parley
