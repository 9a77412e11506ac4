#pragma once
// The outbound queue rules every connection shares (WebSocket and event stream): frames wait
// in a queue bounded in bytes (over queue_soft_bytes droppable frames are discarded, over
// queue_hard_bytes the connection is closed with 1013), and written frames are retired with
// the delivery metrics. Used on the connection's executor only.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/options.hpp"
#include "hub/client.hpp"
#include "metrics/metrics.hpp"

namespace parley {

// Outgoing::received_us of frames that are not chat message events.
inline constexpr int64_t kNotAMessage = -1;

enum class QueueVerdict : uint8_t { queue, drop, close };

// Whether a frame of `urgency` joins a queue holding `queued` bytes. Counts the drops and
// slow-consumer closes; the caller closes the connection (1013) on `close`.
inline QueueVerdict admit_to_queue(Urgency urgency, std::size_t queued, const Options& options, Metrics& metrics,
                                   uint64_t id, const std::string& user) {
  if (urgency == Urgency::droppable && queued > options.queue_soft_bytes) {
    metrics.ephemeral_dropped.add();
    return QueueVerdict::drop;
  }
  // The cap bounds the backlog, not one frame: a reply bigger than the cap still goes out to
  // a client that keeps up. Memory stays below the cap plus one frame.
  if (queued > options.queue_hard_bytes) {
    spdlog::warn("conn {} user {}: slow consumer, {} bytes queued", id, user, queued);
    metrics.slow_consumer_closes.add();
    return QueueVerdict::close;
  }
  return QueueVerdict::queue;
}

// Pops the `sent` frames a write finished with (`ok`: without an error) off `queue`, counting
// frames, messages and each message's delivery latency, and takes their bytes off `queued`.
template <class Queue>
void retire_written(Queue& queue, std::size_t sent, bool ok, Metrics& metrics, std::size_t& queued) {
  sent = std::min(sent, queue.size());
  std::size_t messages = 0;
  std::size_t bytes = 0;
  const int64_t now_us = sent > 0 && ok ? wall_clock_us() : 0;
  for (std::size_t i = 0; i < sent; ++i) {
    const auto& out = queue.front();
    if (ok && out.received_us != kNotAMessage) {
      ++messages;
      if (out.received_us > 0) metrics.delivery_latency.observe(static_cast<uint64_t>(std::max<int64_t>(0, now_us - out.received_us)));
    }
    bytes += out.frame->size();
    queue.pop_front();
  }
  if (ok && sent > 0) {
    metrics.frames_out.add(sent);
    if (messages > 0) metrics.messages_out.add(messages);
  }
  queued -= bytes;
  metrics.queue_bytes.add(-static_cast<int64_t>(bytes));
}

}  // namespace parley
