// The metrics registry and its Prometheus text: sharded counters add up across threads,
// histogram buckets are cumulative with exact `le` bounds, unknown labels count as "other".
#include "metrics/metrics.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "metrics/exposition.hpp"

using namespace parley;

namespace {

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.rfind(line + "\n", 0) == 0;
}

TEST(Metrics, CountersAndGaugesAddUpAcrossThreads) {
  Metrics m;
  std::vector<std::thread> threads;
  for (int t = 0; t < 12; ++t) {
    threads.emplace_back([&m] {
      for (int i = 0; i < 1000; ++i) {
        m.messages_in.add();
        m.queue_bytes.add(3);
      }
      m.queue_bytes.add(-1000);  // taken back, possibly on another shard than it was added
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(m.messages_in.value(), 12'000u);
  EXPECT_EQ(m.queue_bytes.value(), 12 * 2000);
}

TEST(Metrics, HistogramBucketsAreCumulativeWithExactBounds) {
  Metrics m;
  for (uint64_t us : {50, 100, 101, 3'000, 20'000'000}) m.delivery_latency.observe(us);
  const std::string text = render_prometheus(m);
  EXPECT_TRUE(has_line(text, "# TYPE parley_delivery_latency_seconds histogram")) << text;
  EXPECT_TRUE(has_line(text, "parley_delivery_latency_seconds_bucket{le=\"0.0001\"} 2")) << text;  // inclusive
  EXPECT_TRUE(has_line(text, "parley_delivery_latency_seconds_bucket{le=\"0.00025\"} 3")) << text;
  EXPECT_TRUE(has_line(text, "parley_delivery_latency_seconds_bucket{le=\"0.005\"} 4")) << text;
  EXPECT_TRUE(has_line(text, "parley_delivery_latency_seconds_bucket{le=\"10\"} 4")) << text;
  EXPECT_TRUE(has_line(text, "parley_delivery_latency_seconds_bucket{le=\"+Inf\"} 5")) << text;
  EXPECT_TRUE(has_line(text, "parley_delivery_latency_seconds_count 5")) << text;
  EXPECT_TRUE(has_line(text, "parley_delivery_latency_seconds_sum 20.003251")) << text;
}

TEST(Metrics, LabelsOutsideTheListCountAsOther) {
  Metrics m;
  m.errors.add("forbidden");
  m.errors.add("forbidden");
  m.errors.add("something_new");
  m.closes.add(close_code_label(1013));
  m.closes.add(close_code_label(1234));
  const std::string text = render_prometheus(m);
  EXPECT_TRUE(has_line(text, "parley_errors_total{code=\"forbidden\"} 2")) << text;
  EXPECT_TRUE(has_line(text, "parley_errors_total{code=\"bad_request\"} 0")) << text;
  EXPECT_TRUE(has_line(text, "parley_errors_total{code=\"other\"} 1")) << text;
  EXPECT_TRUE(has_line(text, "parley_closes_total{code=\"1013\"} 1")) << text;
  EXPECT_TRUE(has_line(text, "parley_closes_total{code=\"other\"} 1")) << text;
}

TEST(Metrics, EveryFamilyHasHelpAndType) {
  Metrics m;
  const std::string text = render_prometheus(m);
  std::size_t helps = 0, types = 0;
  for (std::size_t at = 0; (at = text.find("# HELP ", at)) != std::string::npos; ++at) ++helps;
  for (std::size_t at = 0; (at = text.find("# TYPE ", at)) != std::string::npos; ++at) ++types;
  EXPECT_EQ(helps, types);
  EXPECT_GE(types, 17u);
  EXPECT_TRUE(has_line(text, "parley_connections 0")) << text;
}

}  // namespace
