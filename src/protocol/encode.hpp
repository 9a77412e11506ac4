#pragma once
// Encoders for server → client events of protocol v1. Each returns an immutable Frame built
// once and shared by every recipient. `type` is always the first field.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "common/events.hpp"
#include "common/types.hpp"
#include "protocol/command.hpp"

namespace parley::encode {

Frame welcome(std::string_view user, const std::vector<RoomState>& rooms, const std::vector<std::string>& blocked,
              const UserStatus& status, int64_t heartbeat_ms);
// `online`: other members online (a first page when the room is over the presence limit);
// `online_count`: online in all (at least the user: never below online.size() + 1);
// `by_count`: the room tells its presence as `occupancy` counts.
// room.extras: the room's pins, a first page of the other members' read positions, statuses.
Frame joined(const RoomState& room, const std::vector<std::string>& online, int64_t online_count, bool by_count,
             const boost::json::value& ref);
// A page of the room's online members; `next`: where the next page starts, empty: none.
Frame online(std::string_view room, const std::vector<std::string>& users, int64_t count, std::string_view next,
             const boost::json::value& ref);
// How many members of a room are online, while it is over the presence limit; `by_count`
// false once it drops to the limit (per-user presence resumes).
Frame occupancy(std::string_view room, int64_t count, bool by_count);
// `reason`: empty when the user left, else kicked, banned or removed.
Frame left(std::string_view room, const boost::json::value& ref, std::string_view reason = {});
// A room entry as its live event: message, edited, deleted or reaction.
Frame message(const ChatMessage& m);
// A moderation or membership change, as the room's `member` event.
Frame member(std::string_view room, const MemberNotice& n);
// Empty for a user's own leave, else kicked, banned or removed.
std::string_view left_reason_name(LeftReason r);
// The client frame of a domain event (common/events.hpp): message, typing, presence, read,
// member; joined, left, blocks. Built once per event and shared by every recipient.
Frame room_event(const RoomEvent& e);
Frame user_event(const UserEvent& e);
Frame blocks(const std::vector<std::string>& blocked, const boost::json::value& ref);
// A member's status changed (away, text), to the room's members.
Frame status(std::string_view room, std::string_view user, const UserStatus& s);
// A message pinned or unpinned, to the room's members.
Frame pinned(std::string_view room, const PinChanged& p);
// {"type":"slow_mode","room","seconds","by"} (or "system":true for the backend).
Frame slow_mode(std::string_view room, const SlowModeChanged& p);
// A page of the room's members' read positions; `next`: where the next page starts, empty: none.
Frame reads(std::string_view room, const std::vector<ReadPosition>& reads, std::string_view next,
            const boost::json::value& ref);
// A page of the room's members with their roles and read positions (the members command).
Frame members(std::string_view room, const std::vector<ReadPosition>& members, std::string_view next,
              const boost::json::value& ref);
// The user's unread mentions in a room after a read.
Frame mentions(std::string_view room, int64_t count);
// The user's notification level in a room (the answer to `notify`, and to the other devices).
Frame notify(std::string_view room, NotifyLevel level, int64_t mentions, const boost::json::value& ref);
// A page of a thread's replies (ascending), the answer to `thread`.
Frame thread(std::string_view room, int64_t root, const MessagePage& page, const boost::json::value& ref);
Frame results(std::string_view query, const std::vector<ChatMessage>& found, const boost::json::value& ref);
Frame ok(const boost::json::value& ref);
Frame ack(std::string_view room, std::string_view id, int64_t seq, int64_t ts, const boost::json::value& ref);
Frame typing(std::string_view room, std::string_view user, bool active);
Frame read(std::string_view room, std::string_view user, int64_t seq);
Frame presence(std::string_view room, std::string_view user, bool online);
Frame history(std::string_view room, const MessagePage& page, const boost::json::value& ref);
// One entry as listed in `history` (and by the server API): id, seq, ts, user or system:true;
// a message's text and current state (edited_ts, deleted, reactions), or an event's kind,
// target and fields.
boost::json::object history_entry(const ChatMessage& m);
// A room of a user, as welcome lists it: room, last_seq, read_seq, kind, role, notify,
// mentions (and with, muted_until when there are).
boost::json::object membership_object(const RoomState& r);
// Asks the client for a fresh token before `expires_at_ms`.
Frame reauth(int64_t expires_at_ms);
// The token was accepted: the connection now lasts until `expires_at_ms`.
Frame authed(int64_t expires_at_ms, const boost::json::value& ref);
Frame error(const ProtocolError& e);
// `until`: the end of a mute (error `muted`), else 0; `retry_after_ms`: when to send again
// (error `unavailable` while the store is behind), else 0.
Frame error(std::string_view code, std::string_view message, const boost::json::value& ref,
            std::string_view id = {}, int64_t until = 0, int64_t retry_after_ms = 0);

}  // namespace parley::encode
