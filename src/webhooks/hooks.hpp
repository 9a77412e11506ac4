#pragma once
// The hooks of common/hooks.hpp over HTTP: a signed JSON POST to the backend's URL (the
// webhook headers and signature, docs/api.md "Hooks"), answered within `timeout`.
#include <chrono>
#include <memory>
#include <string>

#include "common/hooks.hpp"

namespace boost::asio {
class io_context;
}

namespace parley {

struct Metrics;

namespace webhooks {

struct HookOptions {
  std::string connect_url;  // empty: no connect hook
  std::string publish_url;  // empty: no before_publish hook
  std::string secret;
  std::chrono::milliseconds timeout{2000};
  bool publish_fail_open = false;  // the backend could not be asked: allow (true) or refuse
  int64_t default_ttl_s = 86400;   // a connect grant without expires_in_s lasts this long
  std::string ca_file;
};

class HttpHooks final : public Hooks {
 public:
  HttpHooks(boost::asio::io_context& io, Metrics& metrics, HookOptions options);
  ~HttpHooks() override;

  bool has_connect() const override;
  bool has_publish() const override;
  void connect(ConnectAttempt attempt, Callback<ConnectGrant> done) override;
  void before_publish(PublishAttempt attempt, Callback<PublishVerdict> done) override;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// The backend's answer to before_publish, read from its status and body: a verdict, or why it
// is not one (then the failure behaviour applies). Exposed for the unit tests.
Result<PublishVerdict> read_publish_answer(int status, const std::string& body);
// The answer to connect: a grant, Status::forbidden (refused), or Status::busy (no answer).
Result<ConnectGrant> read_connect_answer(int status, const std::string& body, int64_t now_s, int64_t default_ttl_s);

}  // namespace webhooks
}  // namespace parley
