#include "app/lanes.hpp"

#include <atomic>
#include <boost/asio/post.hpp>

#include "hub/delivery_batch.hpp"

namespace parley {
namespace {
// Items one run takes at most; the rest follows in the next run, posted behind other work, so
// a busy lane does not keep an I/O thread from its sockets.
constexpr std::size_t kRunLimit = 256;
}  // namespace

LaneSet::LaneSet(boost::asio::io_context& ioc, std::size_t count) : ioc_(ioc) {
  for (std::size_t i = 0; i < count; ++i) lanes_.push_back(std::make_unique<Lane>());
}

void LaneSet::post(uint64_t key, std::function<void()> fn) {
  Lane& lane = *lanes_[key % lanes_.size()];
  {
    MutexLock lock(lane.mu);
    lane.pending.push_back(std::move(fn));
    if (lane.scheduled) return;
    lane.scheduled = true;
  }
  boost::asio::post(ioc_, [this, &lane] { run(lane); });
}

void LaneSet::run(Lane& lane) {
  {
    MutexLock lock(lane.mu);
    if (lane.pending.size() <= kRunLimit) {
      lane.running.swap(lane.pending);
    } else {
      auto split = lane.pending.begin() + static_cast<std::ptrdiff_t>(kRunLimit);
      lane.running.assign(std::make_move_iterator(lane.pending.begin()), std::make_move_iterator(split));
      lane.pending.erase(lane.pending.begin(), split);
    }
  }
  {
    DeliveryBatch batch;
    for (auto& fn : lane.running) fn();
  }
  lane.running.clear();
  {
    MutexLock lock(lane.mu);
    if (lane.pending.empty()) {
      lane.scheduled = false;
      return;
    }
  }
  boost::asio::post(ioc_, [this, &lane] { run(lane); });
}

void LaneSet::after_all(std::function<void()> fn) {
  auto left = std::make_shared<std::atomic<std::size_t>>(lanes_.size());
  auto done = std::make_shared<std::function<void()>>(std::move(fn));
  for (std::size_t k = 0; k < lanes_.size(); ++k) {
    post(k, [left, done] {
      if (--*left == 0) (*done)();
    });
  }
}

}  // namespace parley
