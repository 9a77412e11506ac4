#pragma once
// One hiredis asynchronous connection driven by an Asio io_context: hiredis's read/write
// interest hooks become async_wait calls on the socket, so no thread is spent per call or
// per connection. Everything touching hiredis runs on the client's strand.
//
// The connection reconnects by itself (backoff up to 2 s) and calls `on_connected` after
// every (re)connect, where the owner re-issues its subscriptions. Commands issued while
// disconnected fail at once (the callback gets nullptr): callers treat Redis as at-most-once.
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

struct redisAsyncContext;
struct redisReply;

namespace parley {

class RedisClient : public std::enable_shared_from_this<RedisClient> {
 public:
  // A command's reply, or nullptr when the connection is down or closed before it came.
  using ReplyFn = std::function<void(redisReply*)>;

  RedisClient(boost::asio::io_context& ioc, std::string host, int port, std::string name);
  ~RedisClient();

  void start(std::function<void()> on_connected);
  void stop();

  // Thread-safe. A `persistent` callback is kept for every reply to the command (SUBSCRIBE:
  // one per message on the channel) until the channel is unsubscribed or the link drops.
  void command(std::vector<std::string> args, ReplyFn fn = {}, bool persistent = false);
  const std::string& name() const { return name_; }
  // Commands issued whose reply (or failure) has not come back yet.
  int pending() const { return pending_.load(); }
  // The link is up (connected, not lost since). Any thread.
  bool connected() const { return connected_.load(std::memory_order_relaxed); }

 private:
  struct Box;
  void connect();
  void schedule_reconnect();
  void arm_read();
  void arm_write();
  static void on_reply(redisAsyncContext* ctx, void* reply, void* privdata);
  static void on_connect(const redisAsyncContext* ctx, int status);
  static void on_disconnect(const redisAsyncContext* ctx, int status);
  static void ev_add_read(void* p);
  static void ev_del_read(void* p);
  static void ev_add_write(void* p);
  static void ev_del_write(void* p);
  static void ev_cleanup(void* p);

  boost::asio::io_context& ioc_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  const std::string host_;
  const int port_;
  const std::string name_;
  std::function<void()> on_connected_;
  redisAsyncContext* ctx_ = nullptr;
  std::unique_ptr<boost::asio::posix::stream_descriptor> socket_;
  uint64_t generation_ = 0;   // bumps on every new context: stale waits ignore themselves
  bool want_read_ = false, want_write_ = false, reading_ = false, writing_ = false;
  std::atomic<bool> connected_{false};  // written on the strand only
  bool stopping_ = false;
  int failures_ = 0;
  std::atomic<int> pending_{0};
  boost::asio::steady_timer retry_;
};

}  // namespace parley
