#include "webhooks/push_sender.hpp"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <chrono>

#include "common/names.hpp"
#include "common/webhook_event.hpp"
#include "metrics/metrics.hpp"
#include "store/outbox.hpp"
#include "store/store.hpp"
#include "webhooks/http_post.hpp"

namespace parley::webhooks {

namespace {

// What the service worker shows: small, and cut to a notification's length.
constexpr std::size_t kMaxPushText = 240;

std::string payload_of(const PushNote& n) {
  std::string text = n.text;
  if (utf8_length(text) > kMaxPushText) {
    std::size_t cut = 0, chars = 0;
    while (cut < text.size() && chars < kMaxPushText) {
      ++cut;
      while (cut < text.size() && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) ++cut;
      ++chars;
    }
    text = text.substr(0, cut) + "…";
  }
  boost::json::object o{{"type", "message"}, {"room", n.room}, {"seq", n.seq},   {"ts", n.ts},
                        {"from", n.from},    {"text", text},   {"direct", n.direct}};
  if (n.mentioned) o["mentioned"] = true;
  return boost::json::serialize(o);
}

int64_t now_s() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

struct PushSender::Impl : std::enable_shared_from_this<Impl> {
  Impl(boost::asio::io_context& io, Store& s, WebhookOutbox* o, Metrics& m, PushOptions opts)
      : store(s), outbox(o), metrics(m), options(std::move(opts)), poster(io, options.ca_file) {}
  Store& store;
  WebhookOutbox* outbox;
  Metrics& metrics;
  const PushOptions options;
  HttpPoster poster;

  void record(const PushNote& n) {
    if (!outbox) return;
    WebhookEvent e;
    e.type = WebhookType::push;
    e.room = n.room;
    e.user = n.user;
    e.direct = n.direct;
    e.ts = n.ts;
    e.message.room = n.room;
    e.message.seq = n.seq;
    e.message.ts = n.ts;
    e.message.user = n.from;
    e.message.text = n.text;
    outbox->record(std::move(e), [user = n.user](Result<bool> r) {
      if (!r.ok()) spdlog::warn("push: the push event for {} not recorded: {}", user, r.status.message());
    });
  }

  void send(const PushSubscription& sub, const std::string& payload) {
    auto p256dh = from_b64url(sub.p256dh);
    auto auth = from_b64url(sub.auth);
    std::optional<std::string> body;
    if (p256dh && auth) body = encrypt_push(PushTarget{sub.endpoint, *p256dh, *auth}, payload);
    if (!body) {
      metrics.push_sends.add("failed");
      spdlog::warn("push: subscription {} has keys that cannot be encrypted to", sub.endpoint);
      return;
    }
    PostRequest req;
    req.url = sub.endpoint;
    req.timeout = options.timeout;
    req.body = std::move(*body);
    req.headers = {{"Content-Encoding", "aes128gcm"},
                   {"Content-Type", "application/octet-stream"},
                   {"TTL", std::to_string(options.ttl_s)},
                   {"Urgency", "high"},
                   {"Authorization", vapid_authorization(options.vapid, sub.endpoint, now_s() + 12 * 3600, options.subject)}};
    poster.post(std::move(req), [self = shared_from_this(), endpoint = sub.endpoint](PostResult r) {
      if (r.status == 404 || r.status == 410) {
        spdlog::info("push: {} is gone ({}): subscription dropped", endpoint, r.status);
        // Counted once dropped: a later message no longer goes there.
        self->store.drop_push_subscription("", endpoint, [self](Result<bool>) { self->metrics.push_sends.add("gone"); });
      } else if (r.status >= 200 && r.status < 300) {
        self->metrics.push_sends.add("sent");
      } else {
        self->metrics.push_sends.add("failed");
        spdlog::info("push: {} answered {}", endpoint, r.status ? std::to_string(r.status) : r.error);
      }
    });
  }
};

PushSender::PushSender(boost::asio::io_context& io, Store& store, WebhookOutbox* outbox, Metrics& metrics,
                       PushOptions options)
    : impl_(std::make_shared<Impl>(io, store, outbox, metrics, std::move(options))) {}

PushSender::~PushSender() = default;

void PushSender::notify(PushNote note) {
  const std::string user = note.user, room = note.room, from = note.from;
  const bool mentioned = note.mentioned;
  impl_->store.push_targets(user, room, from, mentioned, [self = impl_, note = std::move(note)](Result<PushTargets> r) {
    if (!r.ok()) return spdlog::warn("push: subscriptions of {} not read: {}", note.user, r.status.message());
    if (!r.value.allowed) return;
    self->record(note);
    if (r.value.subscriptions.empty()) return;
    const std::string payload = payload_of(note);
    for (const auto& sub : r.value.subscriptions) self->send(sub, payload);
  });
}

}  // namespace parley::webhooks
