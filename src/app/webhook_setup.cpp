#include "app/webhook_setup.hpp"

#include "protocol/webhook_body.hpp"

namespace parley {

namespace {

std::vector<webhooks::Endpoint> endpoints_of(const Options& o) {
  std::vector<webhooks::Endpoint> out;
  for (const auto& entry : o.webhooks) {
    std::string error;
    auto spec = parse_webhook(entry, error);  // checked by load_options
    if (!spec) continue;
    WebhookMask types = spec->types.empty() ? kAllWebhookTypes : 0;
    for (const auto& t : spec->types) types |= webhook_bit(*webhook_type_from(t));
    out.push_back({spec->name, spec->url, types});
  }
  return out;
}

}  // namespace

OutboxConfig outbox_config(const Options& o) {
  OutboxConfig c;
  for (auto& e : endpoints_of(o)) c.endpoints.push_back({e.name, e.types});
  if (!c.endpoints.empty()) c.encode = encode::webhook_body;
  return c;
}

webhooks::SenderOptions sender_options(const Options& o, const std::string& node_id) {
  webhooks::SenderOptions s;
  s.endpoints = endpoints_of(o);
  s.secret = o.webhook_secret;
  s.node = node_id;
  s.max_attempts = o.webhook_max_attempts;
  s.timeout = std::chrono::milliseconds(o.webhook_timeout_ms);
  s.backoff = std::chrono::milliseconds(o.webhook_backoff_ms);
  s.backoff_max = std::chrono::milliseconds(o.webhook_backoff_max_ms);
  s.poll = std::chrono::milliseconds(o.webhook_poll_ms);
  s.keep = std::chrono::milliseconds(o.webhook_keep_s * 1000);
  return s;
}

webhooks::HookOptions hook_options(const Options& o) {
  webhooks::HookOptions h;
  h.connect_url = o.connect_hook;
  h.publish_url = o.publish_hook;
  h.secret = o.webhook_secret;
  h.timeout = std::chrono::milliseconds(o.hook_timeout_ms);
  h.publish_fail_open = o.publish_hook_failure == "open";
  h.default_ttl_s = o.token_ttl_s;
  return h;
}

}  // namespace parley
