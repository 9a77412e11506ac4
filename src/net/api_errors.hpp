#pragma once
// The HTTP face of errors for the JSON APIs (the server API, uploads): a body of
// {"error": message, "code": code}, the code naming the rule as the protocol's error codes do.
#include <string_view>

#include "common/status.hpp"
#include "net/http_types.hpp"

namespace parley {

HttpResponse api_error(const HttpRequest& req, unsigned status, std::string_view code, std::string_view message);

// 405 method_not_allowed with the Allow header ("GET, POST").
HttpResponse not_allowed(const HttpRequest& req, std::string_view allow);

// A Status as its HTTP status and code, from the one list of codes (common/error_codes.hpp);
// with `until` (a mute) or `retry_after_ms` (and Retry-After) when the Status has them.
// Internal messages (the store's) go to the log, clients get a generic one.
HttpResponse status_error(const HttpRequest& req, const Status& s);

}  // namespace parley
