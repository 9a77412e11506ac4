#include "metrics/metrics.hpp"

#include <algorithm>
#include <cassert>
#include <chrono>

namespace parley {
namespace {

constexpr std::string_view kOther = "other";
// Close codes the server sends (docs/protocol.md → Close codes).
struct CloseLabel {
  uint16_t code;
  std::string_view label;
};
constexpr std::array<CloseLabel, 8> kCloseCodes{{{1002, "1002"}, {1007, "1007"}, {1008, "1008"}, {1009, "1009"},
                                                 {1011, "1011"}, {1012, "1012"}, {1013, "1013"}, {4001, "4001"}}};

// Latency buckets from 100 µs (a loopback delivery) to 10 s (a store that stalls).
constexpr std::array<uint64_t, 15> kLatencyBoundsUs{100,     250,     500,     1'000,     2'500,     5'000,     10'000,    25'000,
                                                    50'000,  100'000, 250'000, 500'000, 1'000'000, 2'500'000, 10'000'000};
// Writes per group commit: powers of two up to four times the default commit_batch.
constexpr std::array<uint64_t, 13> kBatchBounds{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096};

std::vector<std::string_view> close_labels() {
  std::vector<std::string_view> out;
  for (auto& c : kCloseCodes) out.push_back(c.label);
  return out;
}

}  // namespace

uint64_t Counter::value() const {
  int64_t sum = 0;
  for (auto& s : slots_) sum += s.v.load(std::memory_order_relaxed);
  return static_cast<uint64_t>(sum);
}

int64_t Gauge::value() const {
  int64_t sum = 0;
  for (auto& s : slots_) sum += s.v.load(std::memory_order_relaxed);
  return sum;
}

LabeledCounter::LabeledCounter(std::vector<std::string_view> values)
    : labels_(std::move(values)), counters_(std::make_unique<Counter[]>(labels_.size() + 1)) {
  labels_.push_back(kOther);
}

void LabeledCounter::add(std::string_view value, uint64_t n) {
  std::size_t i = 0;
  while (i + 1 < labels_.size() && labels_[i] != value) ++i;
  counters_[i].add(n);
}

std::vector<std::pair<std::string_view, uint64_t>> LabeledCounter::values() const {
  std::vector<std::pair<std::string_view, uint64_t>> out;
  out.reserve(labels_.size());
  for (std::size_t i = 0; i < labels_.size(); ++i) out.emplace_back(labels_[i], counters_[i].value());
  return out;
}

Histogram::Histogram(std::span<const uint64_t> bounds, uint64_t per_unit) : per_unit_(static_cast<double>(per_unit)) {
  assert(bounds.size() <= kMaxBounds && std::is_sorted(bounds.begin(), bounds.end()));
  for (uint64_t b : bounds) {
    if (n_ == kMaxBounds) break;
    bounds_[n_++] = b;
  }
}

void Histogram::observe(uint64_t v) {
  std::size_t i = 0;
  while (i < n_ && v > bounds_[i]) ++i;
  auto& shard = shards_[metrics_detail::shard()];
  shard.buckets[i].fetch_add(1, std::memory_order_relaxed);
  shard.sum.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.bounds.reserve(n_);
  for (std::size_t i = 0; i < n_; ++i) s.bounds.push_back(static_cast<double>(bounds_[i]) / per_unit_);
  s.cumulative.assign(n_ + 1, 0);
  uint64_t sum = 0;
  for (auto& shard : shards_) {
    for (std::size_t i = 0; i <= n_; ++i) s.cumulative[i] += shard.buckets[i].load(std::memory_order_relaxed);
    sum += shard.sum.load(std::memory_order_relaxed);
  }
  for (std::size_t i = 1; i <= n_; ++i) s.cumulative[i] += s.cumulative[i - 1];
  s.sum = static_cast<double>(sum) / per_unit_;  // a division, so that 100 µs is 0.0001 s exactly
  return s;
}


Metrics::Metrics()
    : delivery_latency(kLatencyBoundsUs, 1'000'000),
      closes(close_labels()),
      errors({"bad_request", "forbidden", "not_found", "conflict", "muted", "filtered", "rejected", "too_large", "rate_limited",
              "limit_exceeded", "unavailable", "unauthorized"}),
      store_batch_size(kBatchBounds, 1),
      store_commit_latency(kLatencyBoundsUs, 1'000'000),
      bus_publish_latency(kLatencyBoundsUs, 1'000'000),
      webhook_attempts({"delivered", "failed", "dead"}),
      webhook_latency(kLatencyBoundsUs, 1'000'000),
      hook_calls({"connect_ok", "connect_refused", "connect_failed", "publish_allow", "publish_reject",
                  "publish_replace", "publish_failed"}),
      hook_latency(kLatencyBoundsUs, 1'000'000),
      push_sends({"sent", "gone", "failed"}) {}

int64_t wall_clock_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

std::string_view close_code_label(uint16_t code) {
  for (auto& c : kCloseCodes) {
    if (c.code == code) return c.label;
  }
  return kOther;
}

}  // namespace parley
