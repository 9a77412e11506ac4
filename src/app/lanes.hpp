#pragma once
// The lanes: where store completions and other hub work keyed by room run, on the I/O threads.
// A lane runs its work in the order posted, one item at a time, and never two at once. Work
// posted while a lane is waiting or running joins the lane's next run, so a store commit's
// completions for one room (each posted by the store thread on its own) run as one batch, inside
// one DeliveryBatch: every connection gets the batch's frames in one write.
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "common/mutex.hpp"

namespace parley {

class LaneSet {
 public:
  LaneSet(boost::asio::io_context& ioc, std::size_t count);
  LaneSet(const LaneSet&) = delete;
  LaneSet& operator=(const LaneSet&) = delete;

  // Runs `fn` on lane `key % count` after everything posted to that lane before it.
  void post(uint64_t key, std::function<void()> fn);
  // Runs `fn` once every lane has run what was posted to it before this call.
  void after_all(std::function<void()> fn);

 private:
  struct Lane {
    Mutex mu;
    std::vector<std::function<void()>> pending GUARDED_BY(mu);
    bool scheduled GUARDED_BY(mu) = false;  // a run is posted or running
    std::vector<std::function<void()>> running;  // only the run in progress touches it
  };
  void run(Lane& lane);

  boost::asio::io_context& ioc_;
  std::vector<std::unique_ptr<Lane>> lanes_;
};

}  // namespace parley
