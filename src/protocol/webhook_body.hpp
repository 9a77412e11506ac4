#pragma once
// The JSON body a webhook endpoint receives for one event (docs/api.md "Webhooks"):
// {"id", "type", "ts", then the event's fields}. Built once, when the event is recorded.
#include <string>

#include "common/webhook_event.hpp"

namespace parley::encode {

std::string webhook_body(const WebhookEvent& e, const std::string& id);

}  // namespace parley::encode
