#pragma once
// The signature on every webhook request (docs/api.md "Verifying a webhook"):
//   webhook-signature: v1,<base64 of HMAC-SHA256(secret, "<id>.<timestamp>.<body>")>
// where <id> is the webhook-id header (the event id), <timestamp> the webhook-timestamp header
// (seconds since the epoch) and <body> the request body as sent.
#include <cstdint>
#include <string>
#include <string_view>

namespace parley::webhooks {

std::string signature(std::string_view secret, std::string_view id, int64_t timestamp_s, std::string_view body);

// HMAC-SHA256 of `data` under `key`, base64 (RFC 4648, padded).
std::string hmac_sha256_base64(std::string_view key, std::string_view data);

}  // namespace parley::webhooks
