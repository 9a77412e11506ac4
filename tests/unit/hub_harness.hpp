#pragma once
// What the hub unit tests drive the hub with: the in-memory store (completing on its own
// thread), one I/O lane thread, a bus that records what the hub publishes, an encoder whose
// frames name the typed event they stand for, and clients that keep those events — so tests
// assert on domain events and typed results, never on JSON.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>
#include <variant>
#include <vector>

#include "bus/bus.hpp"
#include "bus/local_presence.hpp"
#include "hub/hub.hpp"
#include "memory_store.hpp"
#include "metrics/metrics.hpp"

namespace parley::testing {

// What EventEncoder::occupancy was asked to encode.
struct Occupancy {
  std::string room;
  int64_t count = 0;
  bool counting = false;
};

using Event = std::variant<RoomEvent, UserEvent, Welcome, Occupancy>;

template <class P, class V>
struct is_alternative : std::false_type {};
template <class P, class... Ts>
struct is_alternative<P, std::variant<Ts...>> : std::bool_constant<(std::is_same_v<P, Ts> || ...)> {};

// Frames are "#<n>": the n-th event encoded. Counts how often it was asked to encode.
class TestEncoder final : public EventEncoder {
 public:
  Frame room_event(const RoomEvent& e) const override { return keep(e); }
  Frame user_event(const UserEvent& e) const override { return keep(e); }
  Frame welcome(const Welcome& w) const override { return keep(w); }
  Frame occupancy(const std::string& room, int64_t count, bool counting) const override {
    return keep(Occupancy{room, count, counting});
  }
  Event event_of(const Frame& f) const {
    std::lock_guard lock(mu_);
    return events_.at(std::stoul(f->substr(1)));
  }
  std::size_t encoded() const {
    std::lock_guard lock(mu_);
    return events_.size();
  }

 private:
  Frame keep(Event e) const {
    std::lock_guard lock(mu_);
    events_.push_back(std::move(e));
    return std::make_shared<const std::string>("#" + std::to_string(events_.size() - 1));
  }
  mutable std::mutex mu_;
  mutable std::vector<Event> events_;
};

// One worker thread standing for the I/O threads (one lane: call order is kept for all keys).
class LaneThread {
 public:
  LaneThread() : thread_([this] { work(); }) {}
  ~LaneThread() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  Lanes lanes() {
    return [this](uint64_t, std::function<void()> fn) {
      std::lock_guard lock(mu_);
      jobs_.push_back(std::move(fn));
      cv_.notify_one();
    };
  }
  std::thread::id id() const { return thread_.get_id(); }
  // Returns once everything posted so far has run.
  void drain() {
    std::promise<void> done;
    lanes()(0, [&] { done.set_value(); });
    done.get_future().wait();
  }

 private:
  void work() {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
      if (jobs_.empty()) return;
      auto fn = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      fn();
      lock.lock();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stop_ = false;
  std::thread thread_;
};

// Records what the hub publishes for the other nodes; hands nothing back (the contract).
class RecordingBus final : public Bus {
 public:
  void set_handler(BusHandler*) override {}
  void publish(const RoomEvent& e) override {
    std::lock_guard lock(mu_);
    room_events.push_back(e);
    cv_.notify_all();
  }
  void publish(const UserEvent& e) override {
    std::lock_guard lock(mu_);
    user_events.push_back(e);
  }
  void subscribe_room(const std::string&) override {}
  void unsubscribe_room(const std::string&) override {}
  void subscribe_user(const std::string&) override {}
  void unsubscribe_user(const std::string&) override {}
  std::vector<RoomEvent> rooms() {
    std::lock_guard lock(mu_);
    return room_events;
  }
  // Waits (bounded) until a message event was published; false if none came.
  bool wait_for_message(std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, limit, [this] {
      return std::any_of(room_events.begin(), room_events.end(), [](auto& e) { return e.message() != nullptr; });
    });
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<RoomEvent> room_events;
  std::vector<UserEvent> user_events;
};

struct Received {
  Event event;
  std::thread::id thread;  // where send() was called
};

class RecordingClient final : public Client {
 public:
  RecordingClient(uint64_t id, std::string user, const TestEncoder& enc) : id_(id), user_(std::move(user)), enc_(enc) {}
  void send(Frame frame, Urgency) override {
    std::lock_guard lock(mu_);
    got_.push_back(Received{enc_.event_of(frame), std::this_thread::get_id()});
    cv_.notify_all();
  }
  void close(uint16_t code, std::string) override {
    std::lock_guard lock(mu_);
    close_code_ = code;
    cv_.notify_all();
  }
  uint64_t id() const override { return id_; }
  const std::string& user() const override { return user_; }

  std::vector<Received> all() const {
    std::lock_guard lock(mu_);
    return got_;
  }
  // Events of one kind (a RoomEvent or UserEvent payload type), oldest first.
  template <class P>
  std::vector<P> of() const {
    std::vector<P> out;
    for (auto& r : all()) {
      if constexpr (std::is_same_v<P, Occupancy>) {
        if (auto* o = std::get_if<Occupancy>(&r.event)) out.push_back(*o);
      } else if constexpr (is_alternative<P, RoomPayload>::value) {
        if (auto* re = std::get_if<RoomEvent>(&r.event)) {
          if (auto* p = std::get_if<P>(&re->payload)) out.push_back(*p);
        }
      } else {
        if (auto* ue = std::get_if<UserEvent>(&r.event)) {
          if (auto* p = std::get_if<P>(&ue->payload)) out.push_back(*p);
        }
      }
    }
    return out;
  }
  // Waits (bounded) until `count` events of kind P have arrived.
  template <class P>
  std::vector<P> wait_for(std::size_t count, std::chrono::milliseconds limit = std::chrono::seconds(5)) const {
    auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      auto got = of<P>();
      if (got.size() >= count || std::chrono::steady_clock::now() > deadline) return got;
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(20));
    }
  }
  void clear() {
    std::lock_guard lock(mu_);
    got_.clear();
  }

 private:
  const uint64_t id_;
  const std::string user_;
  const TestEncoder& enc_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<Received> got_;
  uint16_t close_code_ = 0;
};

// Runs one hub operation and waits (bounded) for its result.
template <class T, class Op>
Result<T> await(Op op) {
  auto p = std::make_shared<std::promise<Result<T>>>();
  auto f = p->get_future();
  op([p](Result<T> r) { p->set_value(std::move(r)); });
  if (f.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
    ADD_FAILURE() << "the operation did not complete";
    return Status::unavailable("timed out");
  }
  return f.get();
}

}  // namespace parley::testing
