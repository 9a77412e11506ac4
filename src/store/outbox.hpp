#pragma once
// The webhook outbox (docs/api.md "Webhooks"): events recorded by the store inside the
// transaction of the change, one delivery per endpoint that wants the event's type, sent by
// webhooks/sender.hpp in event order per endpoint.
//
// Deliveries move pending -> delivered, or pending -> dead after the sender's last attempt;
// replay() makes dead ones pending again. In a cluster the nodes share the outbox: one node at
// a time holds an endpoint's lease and sends its deliveries, so each event goes out once.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/status.hpp"
#include "common/webhook_event.hpp"

namespace parley {

struct OutboxEndpoint {
  std::string name;
  WebhookMask types = kAllWebhookTypes;
};

// What the store records. `encode` makes an event's JSON body, given its id.
struct OutboxConfig {
  std::vector<OutboxEndpoint> endpoints;
  std::function<std::string(const WebhookEvent&, const std::string& id)> encode;

  WebhookMask wanted() const {
    WebhookMask m = 0;
    for (const auto& e : endpoints) m |= e.types;
    return encode ? m : 0;
  }
  bool wants(WebhookType t) const { return (wanted() & webhook_bit(t)) != 0; }
};

enum class DeliveryState : uint8_t { pending = 0, delivered = 1, dead = 2 };
inline constexpr std::string_view delivery_state_name(DeliveryState s) {
  return s == DeliveryState::pending ? "pending" : s == DeliveryState::delivered ? "delivered" : "dead";
}

struct WebhookDelivery {
  int64_t seq = 0;          // the event's place in the outbox (ascending = the order of changes)
  std::string id;           // the event id the receiver deduplicates by
  std::string endpoint;
  std::string type;
  std::string body;
  int64_t created_ms = 0;
  DeliveryState state = DeliveryState::pending;
  int attempts = 0;
  int64_t next_ms = 0;      // pending: not before
  int64_t done_ms = 0;      // delivered or dead: when
  std::string last_error;
};

// One attempt's outcome.
struct DeliveryOutcome {
  std::string endpoint;
  int64_t seq = 0;
  bool delivered = false;
  bool dead = false;        // failed for the last time
  int64_t next_ms = 0;      // failed, not dead: try again then
  int64_t now_ms = 0;
  std::string error;
};

struct DeliveryQuery {
  std::string endpoint;     // empty: every endpoint
  std::optional<DeliveryState> state;
  int64_t before_seq = 0;   // > 0: older than this (paging, newest first)
  int limit = 100;
};

struct ReplayRequest {
  std::string endpoint;     // empty: every endpoint
  std::vector<int64_t> seqs;  // empty: every dead delivery (of the endpoint)
  int64_t now_ms = 0;
};

struct EndpointBacklog {
  std::string endpoint;
  int64_t pending = 0;
  int64_t dead = 0;
  int64_t oldest_pending_ms = 0;  // created_ms of the oldest pending delivery; 0: none
};

class WebhookOutbox {
 public:
  template <class T>
  using Callback = std::function<void(Result<T>)>;
  virtual ~WebhookOutbox() = default;

  // Up to `limit` pending deliveries of `endpoint` in event order, the first one the oldest
  // pending, if `node` holds the endpoint's lease (taken or renewed here for `lease_ms` when
  // free or expired); empty when another node holds it.
  virtual void due(std::string endpoint, std::string node, int64_t now_ms, int64_t lease_ms, int limit,
                   Callback<std::vector<WebhookDelivery>> done) = 0;
  // Records an attempt's outcome.
  virtual void settle(DeliveryOutcome outcome, Callback<bool> done) = 0;
  // Deliveries, newest first.
  virtual void deliveries(DeliveryQuery query, Callback<std::vector<WebhookDelivery>> done) = 0;
  // Makes dead deliveries pending again, to be sent at once in their order; returns how many.
  virtual void replay(ReplayRequest request, Callback<int64_t> done) = 0;
  // Records an event that no other write carries (presence), in a transaction of its own.
  virtual void record(WebhookEvent event, Callback<bool> done) = 0;
  // Per endpoint: pending and dead deliveries and the oldest pending one's age.
  virtual void backlog(Callback<std::vector<EndpointBacklog>> done) = 0;
  // Forgets delivered deliveries (and events none refers to) finished before `before_ms`.
  virtual void purge(int64_t before_ms, Callback<int64_t> done) = 0;
};

// A fresh event id: "evt_" and 24 random hex digits.
std::string new_event_id();

}  // namespace parley
