#pragma once
// The counters, gauges and histograms of one parleyd process, exposed at GET /metrics in the
// Prometheus text format (metrics/exposition.hpp renders them; nothing here formats text).
//
// Cost on the hot path: every instrument is sharded. A thread adds to its own cache line
// with a relaxed atomic — no lock, no write shared with another core — and only a read sums
// the shards. Each value read is exact at some instant, but two instruments read one after
// the other are not a snapshot of one moment.
//
// Thread-safety: every method may be called from any thread. The Node owns the one Metrics
// and hands a reference to each layer; it outlives them all.
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

namespace parley {

namespace metrics_detail {
inline constexpr std::size_t kShards = 8;

// This thread's shard, assigned round-robin on the thread's first use.
inline std::size_t shard() {
  static std::atomic<std::size_t> next{0};
  thread_local const std::size_t mine = next.fetch_add(1, std::memory_order_relaxed) % kShards;
  return mine;
}

struct alignas(64) Slot {
  std::atomic<int64_t> v{0};
};
}  // namespace metrics_detail

// Only goes up.
class Counter {
 public:
  void add(uint64_t n = 1) {
    slots_[metrics_detail::shard()].v.fetch_add(static_cast<int64_t>(n), std::memory_order_relaxed);
  }
  uint64_t value() const;

 private:
  std::array<metrics_detail::Slot, metrics_detail::kShards> slots_;
};

// Goes up and down; a shard may go negative when another thread takes back what this one
// added, the sum is what counts.
class Gauge {
 public:
  void add(int64_t n) { slots_[metrics_detail::shard()].v.fetch_add(n, std::memory_order_relaxed); }
  int64_t value() const;

 private:
  std::array<metrics_detail::Slot, metrics_detail::kShards> slots_;
};

// A counter per value of one label, from a fixed list given at construction; any other
// value counts as "other". The list is short: add() compares against it linearly.
class LabeledCounter {
 public:
  explicit LabeledCounter(std::vector<std::string_view> values);
  void add(std::string_view value, uint64_t n = 1);
  // (value, count) for every listed value and "other", in list order.
  std::vector<std::pair<std::string_view, uint64_t>> values() const;

 private:
  std::vector<std::string_view> labels_;    // the list, then "other"
  std::unique_ptr<Counter[]> counters_;     // one per label
};

// Observations of a non-negative integer quantity (microseconds for latencies, a count for
// sizes) sorted into fixed buckets.
class Histogram {
 public:
  static constexpr std::size_t kMaxBounds = 15;

  // `bounds`: ascending upper bounds (inclusive, Prometheus `le`) in the observation's unit;
  // at most kMaxBounds. `per_unit`: observation units per exposed unit (1'000'000 for µs
  // exposed as seconds, 1 for counts).
  Histogram(std::span<const uint64_t> bounds, uint64_t per_unit);
  void observe(uint64_t v);

  struct Snapshot {
    std::vector<double> bounds;        // exposed unit
    std::vector<uint64_t> cumulative;  // per bound, then +Inf (= count)
    double sum = 0;                    // exposed unit
  };
  Snapshot snapshot() const;

 private:
  struct alignas(64) Shard {
    std::array<std::atomic<uint64_t>, kMaxBounds + 1> buckets{};  // non-cumulative; last = over every bound
    std::atomic<uint64_t> sum{0};
  };
  std::array<uint64_t, kMaxBounds> bounds_{};
  std::size_t n_ = 0;
  double per_unit_;
  std::array<Shard, metrics_detail::kShards> shards_;
};

struct Metrics {
  Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Connections (net/ws_session).
  Gauge connections;               // connections open now (WebSocket and event streams)
  Counter connections_opened;      // upgrades and event streams completed
  Gauge stream_connections;        // of them, event streams (the HTTP fallback transport)
  Counter stream_posts;            // fallback-transport POSTs taken (each a batch of commands)
  Gauge queue_bytes;               // bytes waiting in every connection's outbound queue
  Counter frames_out;              // frames of any kind written to sockets
  Counter messages_out;            // message events written to sockets (one per recipient connection)
  Histogram delivery_latency;      // server receipt of a message → written to a socket, µs
  Counter ephemeral_dropped;       // typing/presence not queued: the connection was over queue_soft_bytes
  Counter slow_consumer_closes;    // connections closed with 1013
  LabeledCounter closes;           // close codes the server sent
  // Domain (hub/).
  Counter joins;                   // join commands and API member additions that succeeded
  Counter messages_in;             // message commands and API publishes received
  Counter acks;                    // acks sent
  Counter resumes;                 // sync commands (a client catching up by seq)
  LabeledCounter errors;           // protocol error frames sent, by code
  // Store (store/).
  Histogram store_batch_size;      // writes per group commit
  Histogram store_commit_latency;  // one group commit (BEGIN … COMMIT), µs
  // Bus (bus/redis_bus): PUBLISH → Redis reply, µs. Single node: no samples.
  Histogram bus_publish_latency;
  // Stored messages a node fetched when a room's subscription took effect (published before
  // it, so missed on the bus) and delivered.
  Counter bus_catchup_messages;
  // Webhooks (webhooks/sender): attempts by outcome, their round trips, and the outbox.
  LabeledCounter webhook_attempts;   // delivered, failed (to be retried), dead (the last attempt failed)
  Histogram webhook_latency;         // POST → response (or failure), µs
  Gauge webhook_pending;             // deliveries waiting in the outbox, every endpoint
  Gauge webhook_dead;                // dead deliveries (until replayed or forgotten)
  Gauge webhook_lag_ms;              // age of the oldest pending delivery, ms (0: none)
  // Hooks (webhooks/hooks): calls by hook and outcome, and their round trips.
  LabeledCounter hook_calls;         // connect_ok, connect_refused, connect_failed, publish_allow, …
  Histogram hook_latency;            // request → answer (or failure), µs
  // Web Push (webhooks/push_sender): requests to push services by outcome.
  LabeledCounter push_sends;         // sent, gone (404/410: the subscription is dropped), failed
};

// Wall-clock microseconds since the epoch: message receipt stamps (RoomEvent::received_us)
// and their delivery, possibly on another node, are compared on this clock.
int64_t wall_clock_us();

// The label of a close code for Metrics::closes ("1013"; "other" outside the list).
std::string_view close_code_label(uint16_t code);

}  // namespace parley
