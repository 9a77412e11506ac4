#pragma once
// Push for users without an open connection: the hub names who should hear of a message
// (the other member of a direct room, the users it mentions) and whether they are online
// anywhere; the notifier (webhooks/push_sender.hpp) sends Web Push to their subscribed
// browsers, as their notify level allows, and records a `push` webhook event for backends
// that forward to FCM or APNs themselves.
#include <cstdint>
#include <string>

namespace parley {

struct PushNote {
  std::string user;    // who is told
  std::string room;
  int64_t seq = 0;
  int64_t ts = 0;
  std::string from;    // the author
  std::string text;
  bool direct = false;     // a direct message (else a mention)
  bool mentioned = false;  // the message names the user
};

class PushNotifier {
 public:
  virtual ~PushNotifier() = default;
  // Any thread; never blocks. The user had no open connection when the message was stored.
  virtual void notify(PushNote note) = 0;
};

}  // namespace parley
