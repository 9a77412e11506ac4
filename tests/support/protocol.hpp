// Shorthands for the protocol v1 requests the tests make all the time. Each one sends a
// request and waits for its reply by type and key fields (not by "ref", whose echo is a
// rule tested on its own); they throw std::runtime_error on a missing or wrong reply.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "ws_client.hpp"

namespace parley::test {

// A fresh random client message id (32 hex digits).
std::string new_id();

// join → joined (or throws with whatever error came instead).
boost::json::object join(WsClient& c, std::string_view room);
// leave → left.
boost::json::object leave(WsClient& c, std::string_view room);
// message → ack; `id` generated when empty.
boost::json::object send_message(WsClient& c, std::string_view room, std::string_view text, std::string id = {});
// Sends a message without waiting; returns its id.
std::string post_message(WsClient& c, std::string_view room, std::string_view text, std::string id = {});
// sync → history.
boost::json::object sync(WsClient& c, std::string_view room, std::int64_t after,
                         std::optional<std::int64_t> limit = std::nullopt);
// history → history; `before` omitted when nullopt.
boost::json::object history(WsClient& c, std::string_view room, std::optional<std::int64_t> before,
                            std::optional<std::int64_t> limit = std::nullopt);
// Every message of a room, paging with sync from seq 0.
std::vector<boost::json::object> all_messages(WsClient& c, std::string_view room);

// Predicates.
Pred error_with(std::string code);                       // {"type":"error","code":code}
Pred message_with_id(std::string id);                    // {"type":"message","id":id}
Pred presence(std::string room, std::string user, std::string status);
Pred typing(std::string room, std::string user, bool active);

// The seqs of a history reply's messages, in order.
std::vector<std::int64_t> seqs_of(const boost::json::object& history_reply);

}  // namespace parley::test
