#pragma once
// Sends the webhook outbox's deliveries (store/outbox.hpp) to their endpoints.
//
// Per endpoint, in event order, one request at a time: a delivery is retried with exponential
// backoff and jitter until it succeeds (any 2xx) or its last attempt fails (dead), and the
// deliveries after it wait for it, so that an endpoint sees events in the order of their
// changes. In a cluster every node runs a sender; the outbox's per-endpoint lease lets one of
// them send at a time, so each event goes out once (at least once across a node's failure:
// receivers deduplicate by the webhook-id header).
#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "common/webhook_event.hpp"

namespace boost::asio {
class io_context;
}

namespace parley {

class WebhookOutbox;
struct Metrics;

namespace webhooks {

struct Endpoint {
  std::string name;
  std::string url;
  WebhookMask types = kAllWebhookTypes;
};

struct SenderOptions {
  std::vector<Endpoint> endpoints;
  std::string secret;
  std::string node;  // this node's id, the lease holder's name
  int max_attempts = 10;
  std::chrono::milliseconds timeout{5000};
  std::chrono::milliseconds backoff{1000};
  std::chrono::milliseconds backoff_max{600000};
  std::chrono::milliseconds poll{250};
  std::chrono::milliseconds keep{86400000};
  std::string ca_file;  // https: CA bundle; empty: the system's
};

// The wait before the next attempt after `attempts` failed ones (>= 1): `base` doubled per
// further failure, at most `max`, then a random part of up to half of it taken off (jitter,
// so that endpoints coming back are not hit by every sender at once).
std::chrono::milliseconds backoff_delay(int attempts, std::chrono::milliseconds base, std::chrono::milliseconds max,
                                        std::mt19937_64& rng);

class Sender {
 public:
  Sender(boost::asio::io_context& io, WebhookOutbox& outbox, Metrics& metrics, SenderOptions options);
  ~Sender();
  Sender(const Sender&) = delete;
  Sender& operator=(const Sender&) = delete;

  void start();
  // No new request starts after this; one in flight is abandoned with the io_context.
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace webhooks
}  // namespace parley
