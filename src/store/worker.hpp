#pragma once
// A thread that drains a queue of jobs in batches. push() is thread-safe and never blocks on
// the work itself. stop() runs everything already queued, then joins; pushes after stop()
// are refused (push returns false).
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace parley {

template <class Job>
class Worker {
 public:
  using BatchHandler = std::function<void(std::vector<Job>&)>;

  Worker(std::size_t max_batch, BatchHandler handle) : max_batch_(max_batch), handle_(std::move(handle)) {
    thread_ = std::thread([this] { loop(); });
  }
  ~Worker() { stop(); }

  bool push(Job job) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return false;
      queue_.push_back(Queued{std::move(job), std::chrono::steady_clock::now()});
    }
    cv_.notify_one();
    return true;
  }

  // How long the oldest job still queued has waited (0: none waits). The store's backlog: how
  // far behind the work it was asked for the thread is.
  std::chrono::milliseconds backlog() {
    std::lock_guard lock(mu_);
    if (queue_.empty()) return std::chrono::milliseconds(0);
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - queue_.front().at);
  }

  void stop() {
    {
      std::lock_guard lock(mu_);
      if (stopping_ && !thread_.joinable()) return;
      stopping_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
  }

 private:
  void loop() {
    std::vector<Job> batch;
    for (;;) {
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping and drained
        std::size_t n = std::min(max_batch_, queue_.size());
        for (std::size_t i = 0; i < n; ++i) {
          batch.push_back(std::move(queue_.front().job));
          queue_.pop_front();
        }
      }
      handle_(batch);
      batch.clear();
    }
  }

  const std::size_t max_batch_;
  BatchHandler handle_;
  std::mutex mu_;  // guards queue_ and stopping_
  std::condition_variable cv_;
  struct Queued {
    Job job;
    std::chrono::steady_clock::time_point at;
  };
  std::deque<Queued> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace parley
