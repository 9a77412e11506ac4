#include "webhooks/sender.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <algorithm>
#include <atomic>

#include "metrics/metrics.hpp"
#include "store/outbox.hpp"
#include "webhooks/http_post.hpp"
#include "webhooks/signature.hpp"

namespace parley::webhooks {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

std::chrono::milliseconds backoff_delay(int attempts, milliseconds base, milliseconds max, std::mt19937_64& rng) {
  int64_t d = std::max<int64_t>(1, base.count());
  for (int i = 1; i < attempts && d < max.count(); ++i) d *= 2;
  d = std::min<int64_t>(d, std::max<int64_t>(1, max.count()));
  std::uniform_int_distribution<int64_t> jitter(0, d / 2);
  return milliseconds(d - jitter(rng));
}

namespace {

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

constexpr int kBatch = 32;

}  // namespace

struct Sender::Impl : std::enable_shared_from_this<Impl> {
  struct Lane {
    Endpoint endpoint;
    asio::strand<asio::io_context::executor_type> strand;
    asio::steady_timer timer;
    std::mt19937_64 rng{std::random_device{}()};
    std::vector<WebhookDelivery> queue;  // from the last due(), in event order
    std::size_t next = 0;
    int64_t leased_at_ms = 0;            // when due() last renewed this node's lease

    Lane(asio::io_context& io, Endpoint e)
        : endpoint(std::move(e)), strand(asio::make_strand(io)), timer(strand) {}
  };

  asio::io_context& io;
  WebhookOutbox& outbox;
  Metrics& metrics;
  SenderOptions o;
  HttpPoster poster;
  std::vector<std::unique_ptr<Lane>> lanes;
  asio::strand<asio::io_context::executor_type> stats_strand;
  asio::steady_timer stats_timer;
  std::atomic<bool> stopped{false};
  // Gauges as last set (stats_strand only): a Gauge is moved by the difference.
  int64_t shown_pending = 0, shown_dead = 0, shown_lag = 0;
  int64_t last_purge_ms = 0;

  Impl(asio::io_context& io_, WebhookOutbox& outbox_, Metrics& metrics_, SenderOptions options)
      : io(io_), outbox(outbox_), metrics(metrics_), o(std::move(options)), poster(io_, o.ca_file),
        stats_strand(asio::make_strand(io_)), stats_timer(stats_strand) {
    for (auto& e : o.endpoints) lanes.push_back(std::make_unique<Lane>(io, e));
  }

  // Another node may take an endpoint whose lease this long has not been renewed.
  int64_t lease_ms() const { return std::max<int64_t>(30000, 4 * o.timeout.count()); }

  void start() {
    for (auto& l : lanes) asio::post(l->strand, [self = shared_from_this(), l = l.get()] { self->poll(*l); });
    asio::post(stats_strand, [self = shared_from_this()] { self->stats(); });
  }

  void stop() {
    stopped = true;
    for (auto& l : lanes) asio::post(l->strand, [self = shared_from_this(), l = l.get()] { l->timer.cancel(); });
    asio::post(stats_strand, [self = shared_from_this()] { self->stats_timer.cancel(); });
  }

  void wait(Lane& l, milliseconds d) {
    if (stopped) return;
    l.timer.expires_after(std::max(d, 1ms));
    l.timer.async_wait(asio::bind_executor(l.strand, [self = shared_from_this(), &l](boost::system::error_code ec) {
      if (!ec) self->poll(l);
    }));
  }

  // Fetches the endpoint's next deliveries (renewing the lease), then sends them.
  void poll(Lane& l) {
    if (stopped) return;
    const int64_t now = now_ms();
    outbox.due(l.endpoint.name, o.node, now, lease_ms(), kBatch,
               [self = shared_from_this(), &l, now](Result<std::vector<WebhookDelivery>> r) {
                 if (self->stopped) return;
                 asio::post(l.strand, [self, &l, now, r = std::move(r)]() mutable {
                   if (!r.ok()) {
                     spdlog::warn("webhooks: {}: outbox: {}", l.endpoint.name, r.status.message());
                     return self->wait(l, self->o.poll);
                   }
                   l.queue = std::move(r.value);
                   l.next = 0;
                   l.leased_at_ms = now;
                   self->send_next(l);
                 });
               });
  }

  void send_next(Lane& l) {
    if (stopped) return;
    if (l.next >= l.queue.size()) return wait(l, l.queue.size() == static_cast<std::size_t>(kBatch) ? 1ms : o.poll);
    const int64_t now = now_ms();
    // Renew the lease before it could run out under a slow endpoint.
    if (now - l.leased_at_ms > lease_ms() / 2) return poll(l);
    WebhookDelivery& d = l.queue[l.next];
    if (d.next_ms > now) return wait(l, std::min(milliseconds(d.next_ms - now), milliseconds(lease_ms() / 3)));
    const int64_t ts = now / 1000;
    PostRequest req;
    req.url = l.endpoint.url;
    req.timeout = o.timeout;
    req.headers = {{"webhook-id", d.id},
                   {"webhook-timestamp", std::to_string(ts)},
                   {"webhook-signature", signature(o.secret, d.id, ts, d.body)},
                   {"X-Parley-Event", d.type},
                   {"X-Parley-Attempt", std::to_string(d.attempts + 1)}};
    req.body = d.body;
    const auto started = std::chrono::steady_clock::now();
    poster.post(std::move(req), [self = shared_from_this(), &l, started](PostResult res) {
      asio::post(l.strand, [self, &l, started, res = std::move(res)] { self->answered(l, started, res); });
    });
  }

  void answered(Lane& l, std::chrono::steady_clock::time_point started, const PostResult& res) {
    metrics.webhook_latency.observe(static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count()));
    WebhookDelivery& d = l.queue[l.next];
    DeliveryOutcome out;
    out.endpoint = l.endpoint.name;
    out.seq = d.seq;
    out.now_ms = now_ms();
    out.delivered = res.status >= 200 && res.status < 300;
    if (!out.delivered) {
      out.error = res.status ? "HTTP " + std::to_string(res.status) : res.error;
      out.dead = d.attempts + 1 >= o.max_attempts;
      out.next_ms = out.now_ms + backoff_delay(d.attempts + 1, o.backoff, o.backoff_max, l.rng).count();
      spdlog::log(out.dead ? spdlog::level::warn : spdlog::level::info, "webhooks: {}: {} attempt {} failed: {}{}",
                  l.endpoint.name, d.id, d.attempts + 1, out.error, out.dead ? " (dead)" : "");
    }
    const bool go_on = out.delivered || out.dead;
    const char* result = out.delivered ? "delivered" : out.dead ? "dead" : "failed";
    outbox.settle(std::move(out), [self = shared_from_this(), &l, go_on, result](Result<bool> r) {
      if (self->stopped) return;
      asio::post(l.strand, [self, &l, go_on, result, ok = r.ok(), why = r.status.message()] {
        if (!ok) {
          spdlog::warn("webhooks: {}: outbox: {}", l.endpoint.name, why);
          return self->wait(l, self->o.poll);
        }
        // Counted once the outcome is recorded, so the metric never runs ahead of the listing.
        self->metrics.webhook_attempts.add(result);
        if (!go_on) return self->poll(l);  // waits for the retry time in send_next
        ++l.next;
        self->send_next(l);
      });
    });
  }

  // Once a second: the outbox's gauges; once a minute: forget old delivered deliveries.
  void stats() {
    if (stopped) return;
    outbox.backlog([self = shared_from_this()](Result<std::vector<EndpointBacklog>> r) {
      if (self->stopped || !r.ok()) return;
      asio::post(self->stats_strand, [self, list = std::move(r.value)] {
        int64_t pending = 0, dead = 0, oldest = 0;
        for (auto& b : list) {
          pending += b.pending;
          dead += b.dead;
          if (b.oldest_pending_ms > 0 && (oldest == 0 || b.oldest_pending_ms < oldest)) oldest = b.oldest_pending_ms;
        }
        const int64_t lag = oldest ? std::max<int64_t>(0, now_ms() - oldest) : 0;
        self->metrics.webhook_pending.add(pending - self->shown_pending);
        self->metrics.webhook_dead.add(dead - self->shown_dead);
        self->metrics.webhook_lag_ms.add(lag - self->shown_lag);
        self->shown_pending = pending;
        self->shown_dead = dead;
        self->shown_lag = lag;
      });
    });
    const int64_t now = now_ms();
    if (now - last_purge_ms > 60000) {
      last_purge_ms = now;
      outbox.purge(now - o.keep.count(), [](Result<int64_t> r) {
        if (r.ok() && r.value > 0) spdlog::debug("webhooks: {} delivered deliveries forgotten", r.value);
      });
    }
    stats_timer.expires_after(1s);
    stats_timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec) self->stats();
    });
  }
};

Sender::Sender(asio::io_context& io, WebhookOutbox& outbox, Metrics& metrics, SenderOptions options)
    : impl_(std::make_shared<Impl>(io, outbox, metrics, std::move(options))) {}

Sender::~Sender() { impl_->stop(); }

void Sender::start() { impl_->start(); }
void Sender::stop() { impl_->stop(); }

}  // namespace parley::webhooks
