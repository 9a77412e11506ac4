#include "metrics/exposition.hpp"

#include <charconv>
#include <string_view>
#include <type_traits>

namespace parley {
namespace {

class Writer {
 public:
  void header(std::string_view name, std::string_view type, std::string_view help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }

  // name{label="value"} number
  template <class T>
  void sample(std::string_view name, T value, std::string_view label = {}, std::string_view label_value = {}) {
    out_ += name;
    if (!label.empty()) {
      out_ += '{';
      out_ += label;
      out_ += "=\"";
      out_ += label_value;  // label values here are fixed codes: nothing to escape
      out_ += "\"}";
    }
    out_ += ' ';
    number(value);
    out_ += '\n';
  }

  void counter(std::string_view name, std::string_view help, const Counter& c) {
    header(name, "counter", help);
    sample(name, c.value());
  }

  void gauge(std::string_view name, std::string_view help, const Gauge& g) {
    header(name, "gauge", help);
    sample(name, g.value());
  }

  void labeled(std::string_view name, std::string_view help, std::string_view label, const LabeledCounter& c) {
    header(name, "counter", help);
    for (auto& [value, n] : c.values()) sample(name, n, label, value);
  }

  void histogram(std::string_view name, std::string_view help, const Histogram& h) {
    header(name, "histogram", help);
    const auto s = h.snapshot();
    const std::string bucket = std::string(name) + "_bucket";
    for (std::size_t i = 0; i < s.bounds.size(); ++i) {
      char le[32];
      auto end = std::to_chars(le, le + sizeof le, s.bounds[i], std::chars_format::fixed).ptr;
      sample(bucket, s.cumulative[i], "le", std::string_view(le, static_cast<std::size_t>(end - le)));
    }
    sample(bucket, s.cumulative.back(), "le", "+Inf");
    sample(std::string(name) + "_sum", s.sum);
    sample(std::string(name) + "_count", s.cumulative.back());
  }

  std::string take() { return std::move(out_); }

 private:
  template <class T>
  void number(T v) {
    char buf[64];
    char* end;
    if constexpr (std::is_floating_point_v<T>) {
      end = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed).ptr;  // "0.0001", not "1e-04"
    } else {
      end = std::to_chars(buf, buf + sizeof buf, v).ptr;
    }
    out_.append(buf, end);
  }
  std::string out_;
};

}  // namespace

std::string render_prometheus(const Metrics& m) {
  Writer w;
  w.gauge("parley_connections", "Connections open now (WebSocket and event streams).", m.connections);
  w.counter("parley_connections_opened_total", "WebSocket upgrades and event streams completed.", m.connections_opened);
  w.gauge("parley_stream_connections", "Event-stream (HTTP fallback) connections open now.", m.stream_connections);
  w.counter("parley_stream_posts_total", "Fallback-transport POSTs taken, each a batch of commands.", m.stream_posts);
  w.counter("parley_joins_total", "Room memberships added (join commands and server API member additions).", m.joins);
  w.counter("parley_messages_in_total", "Chat messages received (message commands and server API publishes).", m.messages_in);
  w.counter("parley_messages_out_total", "Chat message events written to sockets, one per recipient connection.",
            m.messages_out);
  w.counter("parley_frames_out_total", "WebSocket frames of any kind written to sockets.", m.frames_out);
  w.counter("parley_acks_total", "Acks sent (each after the message was committed).", m.acks);
  w.counter("parley_resumes_total", "sync commands: clients catching up by seq after a reconnect or a gap.", m.resumes);
  w.histogram("parley_delivery_latency_seconds",
              "Time from the server receiving a message to writing it to each recipient's socket.",
              m.delivery_latency);
  w.gauge("parley_outbound_queue_bytes", "Bytes waiting in the outbound queues of all connections.", m.queue_bytes);
  w.counter("parley_ephemeral_dropped_total",
            "typing and presence events not queued because the connection was over queue_soft_bytes.",
            m.ephemeral_dropped);
  w.counter("parley_slow_consumer_closes_total", "Connections closed with 1013 for exceeding queue_hard_bytes.",
            m.slow_consumer_closes);
  w.labeled("parley_errors_total", "Protocol error frames sent, by error code.", "code", m.errors);
  w.labeled("parley_closes_total", "WebSocket close frames the server initiated, by close code.", "code", m.closes);
  w.histogram("parley_store_batch_size", "Writes committed in one store transaction (group commit).",
              m.store_batch_size);
  w.histogram("parley_store_commit_seconds", "Duration of one store group commit, BEGIN to COMMIT.",
              m.store_commit_latency);
  w.histogram("parley_bus_publish_seconds", "Redis PUBLISH round trips (cluster mode only).", m.bus_publish_latency);
  w.counter("parley_bus_catchup_messages_total",
            "Stored messages delivered from the store because they were published before this node's "
            "subscription to their room took effect (cluster mode only).",
            m.bus_catchup_messages);
  w.labeled("parley_webhook_attempts_total",
            "Webhook delivery attempts by outcome: delivered, failed (retried later), dead (the last attempt failed).",
            "result", m.webhook_attempts);
  w.histogram("parley_webhook_latency_seconds", "Webhook POST round trips, request to response or failure.",
              m.webhook_latency);
  w.gauge("parley_webhook_pending", "Webhook deliveries waiting in the outbox, every endpoint.", m.webhook_pending);
  w.gauge("parley_webhook_dead", "Webhook deliveries that failed for the last time (until replayed).", m.webhook_dead);
  w.gauge("parley_webhook_lag_milliseconds", "Age of the oldest pending webhook delivery (0: none pending).",
          m.webhook_lag_ms);
  w.labeled("parley_push_sends_total",
            "Web Push requests to push services by outcome: sent, gone (404/410, the subscription dropped), failed.",
            "result", m.push_sends);
  w.labeled("parley_hook_calls_total",
            "Hook calls by hook and outcome (connect_ok, connect_refused, connect_failed, publish_allow, "
            "publish_reject, publish_replace, publish_failed).",
            "outcome", m.hook_calls);
  w.histogram("parley_hook_latency_seconds", "Hook round trips, request to answer or failure.", m.hook_latency);
  return w.take();
}

}  // namespace parley
