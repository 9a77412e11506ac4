// A real HTTP server on 127.0.0.1:0 standing in for an application backend's webhook
// endpoint: it records every request (headers, body) and answers as the test tells it (a
// status, or a delay longer than the sender's timeout). Requests are served one connection at
// a time on the receiver's own thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/object.hpp>

namespace parley::test {

struct ReceivedHook {
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  int answered = 0;  // the status it got (0: none, the receiver stalled it)

  std::string header(std::string_view name) const;  // case-insensitive, "" if absent
  boost::json::object event() const;                 // the body as a JSON object
};

// An answer: a status (0: stall until the client gives up) and a body (JSON when it starts
// with '{', else text).
struct HookReply {
  HookReply(int s, std::string b = {}) : status(s), body(std::move(b)) {}  // NOLINT: from a bare status
  int status;
  std::string body;
};
// How to answer the n-th request (0-based).
using HookPolicy = std::function<HookReply(std::size_t n, const ReceivedHook&)>;

class WebhookReceiver {
 public:
  explicit WebhookReceiver(HookPolicy policy = {});
  ~WebhookReceiver();
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;

  uint16_t port() const { return port_; }
  std::string url(std::string_view path = "/hook") const;
  void set_policy(HookPolicy policy);

  // Every request so far, in arrival order.
  std::vector<ReceivedHook> requests() const;
  // Waits until `done(requests)` holds; false after `timeout`.
  bool wait_for(const std::function<bool(const std::vector<ReceivedHook>&)>& done,
                std::chrono::milliseconds timeout = std::chrono::seconds(20)) const;
  // Waits for `n` requests answered 2xx (delivered), returning them in order; throws on timeout.
  std::vector<ReceivedHook> delivered(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(20)) const;

 private:
  void serve();

  struct Impl;
  std::unique_ptr<Impl> impl_;
  uint16_t port_ = 0;
  HookPolicy policy_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<ReceivedHook> requests_;
  bool stopping_ = false;
  std::thread thread_;
};

// The webhook-signature a request should carry, computed here with OpenSSL's HMAC for the
// tests to compare: "v1," + base64(HMAC-SHA256(secret, id + "." + timestamp + "." + body)).
std::string expected_signature(std::string_view secret, const ReceivedHook& r);

}  // namespace parley::test
