#pragma once
// The push notifier (common/push.hpp): for each user the hub names, the store tells whether
// the user's notify level lets the message through and which browsers subscribed; each gets
// an encrypted Web Push request (web_push.hpp) signed with the server's VAPID key. A push
// service answering 404 or 410 has forgotten the subscription: the store drops it. Backends
// that want `push` webhook events get one per allowed user, subscribed or not.
#include <chrono>
#include <memory>
#include <string>

#include "common/push.hpp"
#include "webhooks/web_push.hpp"

namespace boost::asio {
class io_context;
}

namespace parley {
class Store;
class WebhookOutbox;
struct Metrics;
}  // namespace parley

namespace parley::webhooks {

struct PushOptions {
  P256Key vapid;                 // the application server's key (its public half is the browsers' applicationServerKey)
  std::string subject;           // VAPID sub: mailto: or https: of the operator
  int ttl_s = 86400;             // how long a push service keeps an undelivered message
  std::chrono::milliseconds timeout{5000};
  std::string ca_file;           // https push services: the CA store (empty: the system's)
};

class PushSender final : public PushNotifier {
 public:
  // `outbox` null: no push webhook events. Every reference outlives the sender.
  PushSender(boost::asio::io_context& io, Store& store, WebhookOutbox* outbox, Metrics& metrics, PushOptions options);
  ~PushSender() override;
  void notify(PushNote note) override;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace parley::webhooks
