#pragma once
// The one list of error codes: each Status code's name on the wire (the protocol's `error`
// frame and the server API's {"code": …}) and its HTTP status. net/ builds its two tables
// (WebSocket error frames, HTTP responses) from this list alone.
#include <string_view>

#include "common/status.hpp"

namespace parley {

struct ErrorCode {
  std::string_view name;  // the protocol's error code
  unsigned http = 500;    // the server API's status
  // The message is the store's own (driver text, paths): clients get a generic one instead,
  // and the real one goes to the log.
  bool internal = false;
};

constexpr ErrorCode error_code(Status::Code code) {
  switch (code) {
    case Status::Code::ok: return {"ok", 200};
    case Status::Code::invalid: return {"bad_request", 400};
    case Status::Code::forbidden: return {"forbidden", 403};
    case Status::Code::unauthorized: return {"unauthorized", 401};
    case Status::Code::not_found: return {"not_found", 404};
    case Status::Code::conflict: return {"conflict", 409};
    case Status::Code::limit_exceeded: return {"limit_exceeded", 409};
    case Status::Code::too_large: return {"too_large", 413};
    case Status::Code::muted: return {"muted", 403};
    case Status::Code::filtered: return {"filtered", 422};
    case Status::Code::rejected: return {"rejected", 422};
    case Status::Code::rate_limited: return {"rate_limited", 429};
    case Status::Code::unavailable: return {"unavailable", 503, true};
    case Status::Code::busy: return {"unavailable", 503};  // overload, not a failure: told as it is
    case Status::Code::io_error: return {"unavailable", 503, true};
  }
  return {"unavailable", 503, true};
}

// What clients are told instead of an internal message.
inline constexpr std::string_view kStoreUnavailable = "the message store is unavailable, retry later";

}  // namespace parley
