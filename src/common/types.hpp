#pragma once
// Domain values shared by the hub, the store, the bus and the protocol encoder.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace parley {

// One stored chat message. `seq` is per room, starts at 1 and has no gaps.
struct ChatMessage {
  std::string room;
  int64_t seq = 0;
  int64_t ts = 0;       // server time in ms since the epoch, assigned on receipt
  std::string user;
  std::string id;       // the client's id, unique per user (dedup key)
  std::string text;
};

// A user's view of one room: the newest seq and how far the user has read.
struct RoomState {
  std::string room;
  int64_t last_seq = 0;
  int64_t read_seq = 0;
};

// One page of a room's history, ascending by seq.
struct MessagePage {
  std::vector<ChatMessage> messages;
  bool has_more = false;  // sync: newer messages exist; history: older messages exist
};

// An encoded server → client frame. Immutable once built and shared by every recipient.
using Frame = std::shared_ptr<const std::string>;

}  // namespace parley
