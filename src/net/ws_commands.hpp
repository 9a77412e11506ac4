#pragma once
// The WebSocket face of the hub: each decoded command of protocol v1 becomes one hub
// operation of the connection's user, and its result one frame with the command's `ref`
// (docs/protocol.md). Errors come from one table: common/error_codes.hpp.
#include <string_view>

#include <boost/json/value.hpp>

#include "hub/client.hpp"
#include "protocol/command.hpp"

namespace parley {

class Hub;
class Status;
struct Metrics;

void run_command(Hub& hub, Metrics& metrics, const ClientPtr& client, Command command);

// The `error` frame for `s` (counted by code and logged). `id`: the message id, for entries.
Frame error_frame(Metrics& metrics, const Client& client, const Status& s, const boost::json::value& ref,
                  std::string_view id = {});

}  // namespace parley
