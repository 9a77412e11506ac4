#pragma once
// The webhook settings of Options (config/options.hpp) as the store's outbox and the sender
// take them.
#include <string>

#include "config/options.hpp"
#include "store/outbox.hpp"
#include "webhooks/hooks.hpp"
#include "webhooks/sender.hpp"

namespace parley {

// Endpoints and their event types, and the JSON body encoder; no endpoints: records nothing.
OutboxConfig outbox_config(const Options& o);

webhooks::SenderOptions sender_options(const Options& o, const std::string& node_id);

// The hooks' URLs, timeout and failure behaviour.
webhooks::HookOptions hook_options(const Options& o);

}  // namespace parley
