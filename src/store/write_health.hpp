#pragma once
// Whether the store's writes are failing for a reason of the storage itself (a full disk, a
// read-only file system, an I/O error), as /readyz tells (docs/operations.md → Readiness).
// Set by the writer when a commit fails so, cleared by the next commit that succeeds.
// Thread-safe.
#include <atomic>
#include <mutex>
#include <optional>
#include <string>

namespace parley {

class WriteHealth {
 public:
  void failed(std::string why) {
    std::lock_guard lock(mu_);
    why_ = std::move(why);
    failing_.store(true, std::memory_order_release);
  }
  void committed() { failing_.store(false, std::memory_order_release); }
  // Why writes fail, or nullopt while they succeed.
  std::optional<std::string> failing() const {
    if (!failing_.load(std::memory_order_acquire)) return std::nullopt;
    std::lock_guard lock(mu_);
    return "writes failing: " + why_;
  }

 private:
  std::atomic<bool> failing_{false};
  mutable std::mutex mu_;
  std::string why_;
};

}  // namespace parley
