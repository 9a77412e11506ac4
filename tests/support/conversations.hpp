// Shorthands for the conversation commands (docs/protocol.md → Rooms, roles and moderation),
// shared by the room-kind, moderation, edit and search tests.
#pragma once
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "parley_test.hpp"

namespace parley::test {

inline boost::json::object command(std::string_view type, boost::json::object fields, std::string_view ref) {
  fields["type"] = type;
  fields["ref"] = ref;
  return fields;
}

// Sends `type` with `fields` and returns the reply (of any type) carrying the same ref.
inline boost::json::object request(WsClient& c, std::string_view type, boost::json::object fields) {
  const std::string ref = new_id();
  c.send_json(command(type, std::move(fields), ref));
  return c.expect(has({{"ref", ref}}), std::string(type) + " reply");
}

// The error code of a reply, or "" when it is not an error.
inline std::string code_of(const boost::json::object& reply) {
  if (reply.at("type") != "error") return "";
  return std::string(reply.at("code").as_string());
}

// Sends an edit, delete or react and returns its reply (ack or error).
inline boost::json::object entry(WsClient& c, std::string_view type, std::string_view room, std::int64_t seq,
                                 boost::json::object fields = {}) {
  fields["room"] = room;
  fields["seq"] = seq;
  fields["id"] = new_id();
  return request(c, type, std::move(fields));
}

}  // namespace parley::test
