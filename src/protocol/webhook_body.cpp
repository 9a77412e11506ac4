#include "protocol/webhook_body.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "protocol/encode.hpp"

namespace parley::encode {

namespace json = boost::json;

std::string webhook_body(const WebhookEvent& e, const std::string& id) {
  json::object o{{"id", id}, {"type", webhook_type_name(e.type)}, {"ts", e.ts}};
  if (!e.room.empty()) o["room"] = e.room;
  switch (e.type) {
    case WebhookType::message_created:
    case WebhookType::message_edited:
    case WebhookType::message_deleted:
    case WebhookType::reaction_added:
    case WebhookType::reaction_removed:
      o["message"] = history_entry(e.message);
      break;
    case WebhookType::room_created:
      o["kind"] = kind_name(e.kind);
      if (!e.user.empty()) o["by"] = e.user;
      break;
    case WebhookType::user_online:
    case WebhookType::user_offline:
      o["user"] = e.user;
      break;
    case WebhookType::push:
      o["user"] = e.user;
      o["reason"] = e.direct ? "direct" : "mention";
      o["message"] = history_entry(e.message);
      break;
    default:  // member.*
      o["user"] = e.user;
      if (!e.by.empty()) o["by"] = e.by;
      if (e.type == WebhookType::member_joined || e.type == WebhookType::member_role) o["role"] = role_name(e.role);
      if (e.type == WebhookType::member_muted) o["until"] = e.until;
      break;
  }
  return json::serialize(o);
}

}  // namespace parley::encode
