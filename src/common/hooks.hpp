#pragma once
// Hooks: the application's backend decides, synchronously, before parley goes on
// (docs/api.md "Hooks"). `connect` authorizes a WebSocket upgrade that carries no parley token
// (from the application's own session cookie, say) and names the user; `before_publish`
// allows, rejects or rewrites a user's message or edit before it is stored.
//
// The implementation (webhooks/hooks.hpp) calls the backend over HTTP with a timeout and
// applies the configured failure behaviour; callers see only the answer.
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.hpp"
#include "common/types.hpp"

namespace parley {

// An upgrade without a token, as the backend sees it.
struct ConnectAttempt {
  std::string remote;                                        // the client's address
  std::vector<std::pair<std::string, std::string>> headers;  // Cookie, Origin, User-Agent, …
  std::string query;                                         // the /ws URL's query string
};

// Accepted: the user, and when the connection must renew (seconds since the epoch).
struct ConnectGrant {
  std::string user;
  int64_t expires_at_s = 0;
};

// A message or an edit a user sends, before it is stored.
struct PublishAttempt {
  std::string room;
  std::string user;
  std::string id;
  EntryKind kind = EntryKind::message;  // message or edited
  int64_t target = 0;                   // edited: the message's seq
  int64_t reply_to = 0;
  std::string text;
  std::string data;                     // the application's JSON object, serialized
  std::vector<std::string> attachments;
};

// What the backend decided: allow (as sent), reject (with a reason the sender sees) or
// replace the text.
struct PublishVerdict {
  enum class Action : uint8_t { allow, reject, replace } action = Action::allow;
  std::string reason;  // reject
  std::string text;    // replace
};

class Hooks {
 public:
  template <class T>
  using Callback = std::function<void(Result<T>)>;
  virtual ~Hooks() = default;

  virtual bool has_connect() const = 0;
  virtual bool has_publish() const = 0;
  // Status::forbidden when the backend refuses; Status::busy when it could not be asked.
  virtual void connect(ConnectAttempt attempt, Callback<ConnectGrant> done) = 0;
  // A verdict (allow when failing open), or Status::busy when failing closed.
  virtual void before_publish(PublishAttempt attempt, Callback<PublishVerdict> done) = 0;
};

}  // namespace parley
