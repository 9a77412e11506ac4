#pragma once
// One HTTP(S) POST to a webhook endpoint, asynchronous, bounded by a timeout. https:// is
// verified against the system's CA store (or `ca_file`) and the URL's host name.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace parley::webhooks {

struct PostRequest {
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{5000};
};

// status: the response's HTTP status; 0 when none came (error says why). A body over 64 KiB
// is a failure (status 0).
struct PostResult {
  int status = 0;
  std::string error;
  std::string body;  // the answer's body, at most 64 KiB
};

class HttpPoster {
 public:
  // `ca_file` empty: the system's CA store for https.
  HttpPoster(boost::asio::io_context& io, const std::string& ca_file = {});
  ~HttpPoster();
  HttpPoster(const HttpPoster&) = delete;
  HttpPoster& operator=(const HttpPoster&) = delete;

  // `done` runs once, on an io_context thread.
  void post(PostRequest req, std::function<void(PostResult)> done);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::webhooks
