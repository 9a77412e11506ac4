#pragma once
// Encoders for server → client events of protocol v1. Each returns an immutable Frame built
// once and shared by every recipient. `type` is always the first field.
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "common/types.hpp"
#include "protocol/command.hpp"

namespace parley::encode {

Frame welcome(std::string_view user, const std::vector<RoomState>& rooms, int64_t heartbeat_ms);
Frame joined(const RoomState& room, const std::vector<std::string>& online, const boost::json::value& ref);
Frame left(std::string_view room, const boost::json::value& ref);
Frame message(const ChatMessage& m);
Frame ack(std::string_view room, std::string_view id, int64_t seq, int64_t ts, const boost::json::value& ref);
Frame typing(std::string_view room, std::string_view user, bool active);
Frame read(std::string_view room, std::string_view user, int64_t seq);
Frame presence(std::string_view room, std::string_view user, bool online);
Frame history(std::string_view room, const MessagePage& page, const boost::json::value& ref);
// One message as listed in `history` (and by the server API): id, seq, ts, user or
// system:true, text.
boost::json::object history_entry(const ChatMessage& m);
// Asks the client for a fresh token before `expires_at_ms`.
Frame reauth(int64_t expires_at_ms);
// The token was accepted: the connection now lasts until `expires_at_ms`.
Frame authed(int64_t expires_at_ms, const boost::json::value& ref);
Frame error(const ProtocolError& e);
Frame error(std::string_view code, std::string_view message, const boost::json::value& ref,
            std::string_view id = {});

}  // namespace parley::encode
