// Micro-benchmarks of the in-process hot path: decode → hub → store → bus → encode → queue.
// The store is the in-memory one, so the figures are the hub's own cost, not SQLite's.
#include <benchmark/benchmark.h>

#include <atomic>
#include <deque>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include "app/allocator.hpp"
#include "bus/local_bus.hpp"
#include "bus/local_presence.hpp"
#include "hub/hub.hpp"
#include "metrics/metrics.hpp"
#include "net/frames.hpp"
#include "protocol/decode.hpp"
#include "protocol/encode.hpp"
#include "memory_store.hpp"
#include "store/sqlite_store.hpp"

#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>
#include <unistd.h>

using namespace parley;

namespace {

// Counts frames the way a session's queue would hold them: by keeping the shared buffer.
class CountingClient final : public Client {
 public:
  CountingClient(uint64_t id, std::string user) : id_(id), user_(std::move(user)) {}
  void send(Frame frame, Urgency) override {
    last_ = std::move(frame);
    ++frames;
  }
  void close(uint16_t, std::string) override {}
  uint64_t id() const override { return id_; }
  const std::string& user() const override { return user_; }
  std::atomic<uint64_t> frames{0};

 private:
  uint64_t id_;
  std::string user_;
  Frame last_;
};

// Like WsSession: send() posts to the connection's strand, which appends to a queue that a
// writer would drain; here the queue is emptied as soon as it holds a frame.
class StrandClient final : public Client, public std::enable_shared_from_this<StrandClient> {
 public:
  StrandClient(boost::asio::io_context& ioc, uint64_t id, std::string user)
      : strand_(boost::asio::make_strand(ioc)), id_(id), user_(std::move(user)) {}
  void send(Frame frame, Urgency) override {
    boost::asio::post(strand_, [self = shared_from_this(), frame = std::move(frame)]() mutable {
      self->bytes_ += frame->size();
      self->queue_.push_back(std::move(frame));
      self->queue_.pop_front();
    });
  }
  void close(uint16_t, std::string) override {}
  uint64_t id() const override { return id_; }
  const std::string& user() const override { return user_; }

 private:
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  uint64_t id_;
  std::string user_;
  std::deque<Frame> queue_;
  std::size_t bytes_ = 0;
};

// Store completions run where they land (the store's thread): no lane hop in the figures.
Lanes inline_lanes() {
  return [](uint64_t, std::function<void()> fn) { fn(); };
}

// Connects `c` and joins it to `room`, waiting for both.
void connect_and_join(Hub& hub, const ClientPtr& c, const std::string& room) {
  hub.reserve(c->user());
  std::promise<void> ready;
  hub.connect(c, [&] { ready.set_value(); });
  ready.get_future().wait();
  std::promise<void> joined;
  hub.join(Actor::of_user(c->user(), c->id()), room, [&](Result<Joined>) { joined.set_value(); });
  joined.get_future().wait();
}

struct Room {
  Metrics metrics;
  MemoryStore store;
  LocalBus bus;
  LocalPresence presence;
  ProtocolEncoder encoder{30000};
  Hub hub;
  std::vector<std::shared_ptr<CountingClient>> clients;

  explicit Room(int members) : hub(options(members), store, bus, presence, metrics, encoder, inline_lanes()) {
    for (int i = 0; i < members; ++i) {
      auto c = std::make_shared<CountingClient>(i + 1, "user" + std::to_string(i));
      connect_and_join(hub, c, "general");
      clients.push_back(c);
    }
  }
  static HubOptions options(int members) {
    HubOptions o;
    o.rate_per_sec = 1e12;
    o.rate_burst = 1e12;
    return o;
  }
};

void BM_DecodeMessage(benchmark::State& state) {
  std::string frame = R"({"type":"message","room":"general","id":"3f2b8c1e-5a7d-4e0b-9c61-0d4f7a2b9e13","text":"hello, world"})";
  for (auto _ : state) benchmark::DoNotOptimize(decode_command(frame));
}
BENCHMARK(BM_DecodeMessage);

void BM_EncodeMessage(benchmark::State& state) {
  ChatMessage m{"general", 43, 1710600000123, "alice", "3f2b8c1e-5a7d-4e0b-9c61-0d4f7a2b9e13", "hello, world"};
  for (auto _ : state) benchmark::DoNotOptimize(encode::message(m));
}
BENCHMARK(BM_EncodeMessage);

// One message through the whole in-process path to a room of `range(0)` members (the store
// answers from its own thread; the loop waits for the last ack).
void BM_MessageToRoom(benchmark::State& state) {
  Room room(static_cast<int>(state.range(0)));
  auto sender = room.clients.front();
  const Actor actor = Actor::of_user(sender->user(), sender->id());
  uint64_t n = 0;
  std::atomic<uint64_t> acked{0};
  std::string prefix = R"({"type":"message","room":"general","text":"hello, world","id":")";
  for (auto _ : state) {
    std::string frame = prefix + std::to_string(++n) + "\"}";
    auto cmd = std::get<MessageCmd>(std::get<Command>(decode_command(frame)).body);
    room.hub.post(actor, PostRequest{cmd.room, cmd.id, std::move(cmd.text)}, [&](Result<Appended>) { ++acked; });
  }
  while (acked.load() < n) std::this_thread::yield();
  state.counters["deliveries/s"] = benchmark::Counter(static_cast<double>(state.iterations() * state.range(0)),
                                                      benchmark::Counter::kIsRate);
}
BENCHMARK(BM_MessageToRoom)->Arg(2)->Arg(200)->Arg(1000);

// Fan-out only: one pre-encoded event to 1,000 local subscribers (no store, no decode).
void BM_FanOut(benchmark::State& state) {
  Room room(static_cast<int>(state.range(0)));
  // A typing event: fanned out every time (a message's repeated seq would be dropped).
  RoomEvent event{"general", TypingChanged{"nobody", true}, "n2"};
  for (auto _ : state) room.hub.on_room_event(event);
  state.counters["deliveries/s"] = benchmark::Counter(static_cast<double>(state.iterations() * state.range(0)),
                                                      benchmark::Counter::kIsRate);
}
BENCHMARK(BM_FanOut)->Arg(1000);

// Fan-out through per-connection strands, drained by one thread: the in-process cost of one
// delivery the way parleyd pays it (short of the socket write).
void BM_FanOutPosted(benchmark::State& state) {
  boost::asio::io_context ioc;
  MemoryStore store;
  LocalBus bus;
  LocalPresence presence;
  Metrics metrics;
  ProtocolEncoder encoder{30000};
  Hub hub(Room::options(0), store, bus, presence, metrics, encoder, inline_lanes());
  for (int i = 0; i < state.range(0); ++i) {
    auto c = std::make_shared<StrandClient>(ioc, i + 1, "user" + std::to_string(i));
    connect_and_join(hub, c, "general");
  }
  ioc.poll();
  ioc.restart();
  RoomEvent event{"general", TypingChanged{"nobody", true}, "n2"};
  for (auto _ : state) {
    hub.on_room_event(event);
    ioc.poll();
    ioc.restart();
  }
  state.counters["deliveries/s"] = benchmark::Counter(static_cast<double>(state.iterations() * state.range(0)),
                                                      benchmark::Counter::kIsRate);
}
BENCHMARK(BM_FanOutPosted)->Arg(1000);

}  // namespace

// The SQLite store alone: 1,000 appends in flight over 50 rooms, the way the hub issues them
// (asynchronously, acked from the writer thread after COMMIT), per iteration. Arg 1:
// synchronous=FULL (the default), 0: NORMAL. Items/s = messages durably stored per second.
void BM_SqliteAppend(benchmark::State& state) {
  const auto dir = std::filesystem::temp_directory_path() / ("parley-bench-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  {
    auto opened = SqliteStore::open({(dir / "bench.db").string(), state.range(0) ? "full" : "normal", 1024});
    if (!opened.ok()) {
      state.SkipWithError(opened.status.message().c_str());
      return;
    }
    auto& store = *opened.value;
    std::mutex mu;
    std::condition_variable cv;
    int pending = 0;
    auto wait_all = [&] {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return pending == 0; });
    };
    constexpr int kRooms = 50;
    for (int r = 0; r < kRooms; ++r) {
      { std::lock_guard lock(mu); ++pending; }
      store.join(JoinRequest{"room" + std::to_string(r), "user" + std::to_string(r), 500}, [&](Result<RoomState>) {
        std::lock_guard lock(mu);
        if (--pending == 0) cv.notify_one();
      });
    }
    wait_all();
    const std::string text(64, 'x');
    int64_t n = 0;
    for (auto _ : state) {
      { std::lock_guard lock(mu); pending = 1000; }
      for (int i = 0; i < 1000; ++i, ++n) {
        const int r = static_cast<int>(n % kRooms);
        store.append({"room" + std::to_string(r), "user" + std::to_string(r), "id" + std::to_string(n), text, n},
                     [&](Result<Appended> a) {
                       if (!a.ok()) std::abort();
                       std::lock_guard lock(mu);
                       if (--pending == 0) cv.notify_one();
                     });
      }
      wait_all();
    }
    state.SetItemsProcessed(state.iterations() * 1000);
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_SqliteAppend)->Arg(1)->Arg(0)->UseRealTime();

// parleyd's main tunes the allocator first; so does this one, to measure the same process.
int main(int argc, char** argv) {
  parley::tune_allocator();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
