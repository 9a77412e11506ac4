// A client of the fallback transport written from the SSE and HTTP specifications alone, not
// from the SDK: it reads `GET /api/stream` over a plain TCP socket, splits the stream into
// events itself, and posts commands with the HTTP client. Frames land in an inbox that tests
// wait on like WsClient's (`expect` takes each matching frame once).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/object.hpp>

#include "http_client.hpp"
#include "ws_client.hpp"

namespace parley::test {

class SseClient {
 public:
  explicit SseClient(std::string name = "sse");
  ~SseClient();  // drops the connection
  SseClient(const SseClient&) = delete;
  SseClient& operator=(const SseClient&) = delete;

  // Sends `GET target` with `headers` and reads the response head. 200: the stream is read
  // from now on; any other status: the response body is in body().
  int open(std::uint16_t port, const Headers& headers, std::string target = "/api/stream",
           std::chrono::milliseconds timeout = std::chrono::seconds(10));
  std::string header(std::string_view name) const;  // of the response, case-insensitive
  const std::string& body() const { return body_; }
  // The session id of the `session` event (waits for it; throws without one).
  std::string session(std::chrono::milliseconds timeout = kWait);

  // POSTs `commands`, one JSON object a line, to the session with `token` as the bearer,
  // to `port` (0: the port the stream is open on; in a cluster, any node's).
  HttpResponse post(const std::vector<boost::json::object>& commands, const std::string& token,
                    std::uint16_t port = 0);

  std::optional<Received> wait_for(const Pred& pred, std::chrono::milliseconds timeout = kWait);
  boost::json::object expect(const Pred& pred, std::string_view what = "matching frame",
                             std::chrono::milliseconds timeout = kWait);
  std::size_t count(const Pred& pred) const;
  std::vector<Received> received() const;
  std::string dump() const;
  // Comment lines seen (the server's heartbeat); waits until `n` came (or the stream ended).
  int comments() const;
  int wait_comments(int n, std::chrono::milliseconds timeout = kWait);

  struct Ended {
    bool ended = false;        // the stream is over (false: still open at the deadline)
    bool close_event = false;  // it ended with `event: close`
    int code = 0;
    std::string reason;
  };
  Ended wait_closed(std::chrono::milliseconds timeout = kWait);
  void abort();

 private:
  void read_loop();
  void on_event(const std::string& type, const std::string& data);

  std::string name_;
  std::uint16_t port_ = 0;
  int fd_ = -1;
  std::string head_;
  std::string body_;
  std::string pending_;  // bytes read and not yet split into events
  std::thread reader_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Received> inbox_;
  std::vector<bool> taken_;
  std::string session_;
  int comments_ = 0;
  Ended ended_;
};

}  // namespace parley::test
