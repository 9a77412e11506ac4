#pragma once
// The threads a blob store runs its calls on: a few workers, taken in turn.
#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include "store/worker.hpp"

namespace parley {

class BlobThreads {
 public:
  using Job = std::function<void()>;
  explicit BlobThreads(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      workers_.push_back(std::make_unique<Worker<Job>>(1, [](std::vector<Job>& jobs) {
        for (auto& j : jobs) j();
      }));
    }
  }
  // False once stopped (the job did not run).
  bool run(std::size_t worker, Job job) { return workers_[worker % workers_.size()]->push(std::move(job)); }
  bool run(Job job) { return run(next_++, std::move(job)); }
  std::size_t size() const { return workers_.size(); }
  void stop() {
    for (auto& w : workers_) w->stop();
  }

 private:
  std::vector<std::unique_ptr<Worker<Job>>> workers_;
  std::atomic<std::size_t> next_{0};
};

}  // namespace parley
