// The lanes (app/lanes.hpp) and the delivery batch they open (hub/delivery_batch.hpp).
#include "app/lanes.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <condition_variable>
#include <functional>
#include <string>
#include <mutex>
#include <thread>
#include <vector>

#include "hub/delivery_batch.hpp"

namespace parley {
namespace {

// An io_context run by two threads, as parleyd's I/O threads run it.
struct TwoThreads {
  boost::asio::io_context ioc;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{ioc.get_executor()};
  std::vector<std::thread> threads;
  TwoThreads() {
    for (int i = 0; i < 2; ++i) threads.emplace_back([this] { ioc.run(); });
  }
  // Lets the threads finish what is queued and joins them: call before the lanes go away (a
  // lane's run may still be ending after the work it ran has signalled).
  void join() {
    work.reset();
    for (auto& t : threads) t.join();
    threads.clear();
  }
  ~TwoThreads() { join(); }
};

// Blocks until `n` calls of done() happened.
struct Countdown {
  std::mutex mu;
  std::condition_variable cv;
  int left;
  explicit Countdown(int n) : left(n) {}
  void done() {
    std::lock_guard lock(mu);
    if (--left == 0) cv.notify_all();
  }
  void wait() {
    std::unique_lock lock(mu);
    cv.wait(lock, [this] { return left == 0; });
  }
};

TEST(LaneSet, RunsOneLanesWorkInOrderAndNeverTwoAtOnce) {
  TwoThreads io;
  LaneSet lanes(io.ioc, 4);
  constexpr int kItems = 5000;
  std::vector<int> seen;  // touched only from lane 1's work
  std::atomic<int> inside{0};
  std::atomic<bool> overlapped{false};
  Countdown all(kItems);
  for (int i = 0; i < kItems; ++i) {
    lanes.post(1, [&, i] {
      if (inside.fetch_add(1) != 0) overlapped = true;
      seen.push_back(i);
      inside.fetch_sub(1);
      all.done();
    });
  }
  all.wait();
  io.join();
  EXPECT_FALSE(overlapped);
  ASSERT_EQ(seen.size(), static_cast<std::size_t>(kItems));
  for (int i = 0; i < kItems; ++i) ASSERT_EQ(seen[i], i);
}

TEST(LaneSet, AfterAllRunsOnceEveryLaneRanWhatWasPostedBefore) {
  TwoThreads io;
  LaneSet lanes(io.ioc, 8);
  std::atomic<int> ran{0};
  for (uint64_t k = 0; k < 64; ++k) lanes.post(k, [&] { ran.fetch_add(1); });
  Countdown barrier(1);
  int ran_at_barrier = -1;
  lanes.after_all([&] {
    ran_at_barrier = ran.load();
    barrier.done();
  });
  barrier.wait();
  io.join();
  EXPECT_EQ(ran_at_barrier, 64);
}

TEST(DeliveryBatch, DefersFlushesToTheEndOfTheOutermostBatch) {
  std::vector<int> order;
  auto owner = std::make_shared<std::vector<int>*>(&order);
  auto flush = [](void* p) { (*static_cast<std::vector<int>**>(p))->push_back(2); };
  EXPECT_FALSE(DeliveryBatch::defer(owner, flush)) << "no batch open: the caller flushes itself";
  {
    DeliveryBatch outer;
    {
      DeliveryBatch inner;
      EXPECT_TRUE(DeliveryBatch::defer(owner, flush));
    }
    order.push_back(1);  // the inner batch's end flushed nothing
  }
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

TEST(LaneSet, ARunIsOneDeliveryBatch) {
  TwoThreads io;
  LaneSet lanes(io.ioc, 1);
  std::mutex mu;
  std::vector<std::string> log;
  auto note = [&](const char* s) {
    std::lock_guard lock(mu);
    log.emplace_back(s);
  };
  Countdown done(1);
  struct Owner {
    std::function<void()> flushed;
  };
  auto owner = std::make_shared<Owner>(Owner{[&] {
    note("flushed");
    done.done();
  }});
  // The first item holds the lane until the next two are queued: they run in one lane run, and
  // the flush deferred by the first waits for the second.
  std::mutex gate;
  gate.lock();
  lanes.post(0, [&] { std::lock_guard hold(gate); });
  lanes.post(0, [&, owner] {
    EXPECT_TRUE(DeliveryBatch::defer(owner, [](void* p) { static_cast<Owner*>(p)->flushed(); }));
    note("first");
  });
  lanes.post(0, [&] { note("second"); });
  gate.unlock();
  done.wait();
  io.join();
  std::lock_guard lock(mu);
  EXPECT_EQ(log, (std::vector<std::string>{"first", "second", "flushed"}));
}

}  // namespace
}  // namespace parley
