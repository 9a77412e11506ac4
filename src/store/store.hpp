#pragma once
// The message/room/user store: the durable half of parley.
//
// Contract for implementations:
// - Every call is asynchronous, thread-safe and returns at once; it never blocks the caller.
// - `done` runs exactly once, on a store-owned thread, after the effect is durable (writes) or
//   the data is read (reads). Callbacks must be short and must not block: they post work on.
// - Writes are applied in call order. For one room, append callbacks run in seq order.
// - "Not found" and rule violations are Status values, never exceptions.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/status.hpp"
#include "common/types.hpp"

namespace parley {

struct AppendRequest {
  std::string room;
  std::string user;  // empty for a system message (server API): no user name is empty
  std::string id;    // client id; (user, id) is unique across the store
  std::string text;
  int64_t ts = 0;    // server receipt time, ms
  // Checked inside the write, so that no removal can slip in between: the user must be a
  // member of the room (the hub checks WebSocket senders itself; the server API relies on this).
  bool require_member = false;
};

struct Appended {
  ChatMessage message;     // the stored message (the original one when duplicate)
  bool duplicate = false;  // (user, id) was stored before: nothing new was written
};

// A page of history stops early, with has_more, once its texts reach this many bytes, so
// that one reply stays well below a connection's outbound cap.
inline constexpr std::size_t kMaxPageTextBytes = 512 * 1024;

class Store {
 public:
  template <class T>
  using Callback = std::function<void(Result<T>)>;

  virtual ~Store() = default;

  // Stores a message as the room's next seq. A (user, id) pair stored before returns the
  // original message with duplicate=true and writes nothing. The room must exist
  // (Status::not_found); with require_member, the user must be a member (Status::forbidden).
  virtual void append(AppendRequest req, Callback<Appended> done) = 0;

  // Creates an empty room. Returns true if it was created, false if it existed already.
  virtual void create_room(std::string room, Callback<bool> done) = 0;

  // The room's last_seq (read_seq is 0). Unknown room: Status::not_found.
  virtual void room(std::string room, Callback<RoomState> done) = 0;

  // Makes `user` a member of `room`, creating the room if needed. Already a member: ok, no
  // change. Would exceed `max_rooms` memberships: Status::limit_exceeded.
  virtual void join(std::string room, std::string user, int max_rooms, Callback<RoomState> done) = 0;

  // Ends the membership. Not a member: Status::not_found.
  virtual void leave(std::string room, std::string user, Callback<bool> done) = 0;

  // Moves the user's read position forward to `seq`. Returns true if it moved, false if it was
  // already at or past `seq`. Not a member: not_found; seq above the room's last: invalid.
  virtual void set_read(std::string room, std::string user, int64_t seq, Callback<bool> done) = 0;

  // The rooms `user` is a member of, with last_seq and the user's read_seq; empty if none.
  virtual void rooms_of(std::string user, Callback<std::vector<RoomState>> done) = 0;

  // Up to `limit` messages with seq > after, ascending; has_more if newer ones exist. Pages
  // hold fewer messages when kMaxPageTextBytes is reached (at least one message).
  virtual void after(std::string room, int64_t after, int limit, Callback<MessagePage> done) = 0;

  // Up to `limit` messages with seq < before (all when nullopt), ascending; has_more if older
  // ones exist.
  virtual void before(std::string room, std::optional<int64_t> before, int limit,
                      Callback<MessagePage> done) = 0;

  // Creates a user with an encoded password hash. Name taken: Status::conflict.
  virtual void create_user(std::string name, std::string password_hash, Callback<bool> done) = 0;

  // The user's encoded password hash. Unknown user: Status::not_found.
  virtual void password_hash(std::string name, Callback<std::string> done) = 0;

  // Answers once the store has run a trivial query (readiness probe): ok, or why it cannot.
  virtual void ping(Callback<bool> done) = 0;

  // Finishes every write accepted so far (their callbacks have run when this returns) and
  // stops the store's threads. Calls after close() fail with Status::unavailable.
  virtual void close() = 0;
};

}  // namespace parley
