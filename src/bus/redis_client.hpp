#pragma once
// One connection to a Redis instance, driven by an Asio io_context: TCP or TLS (rediss://) on
// Asio, the RESP protocol read and written by hiredis's reader and command formatter. No
// thread is spent per call or per connection; everything runs on the client's strand.
//
// The connection reconnects by itself (backoff up to 2 s). After every (re)connect it sends
// AUTH (and SELECT) when the endpoint asks for them, then PING, and only once Redis has
// accepted them all does it count as connected and call `on_connected`, where the owner re-issues its
// subscriptions. Commands issued while disconnected fail at once (the callback gets nullptr):
// callers treat Redis as at-most-once.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bus/redis_endpoint.hpp"

struct redisReply;

namespace parley {

// The TLS client settings shared by every rediss:// connection of a node (an OpenSSL context
// holding the trust anchors and the optional client certificate).
class RedisTls {
 public:
  // Loads the files; nullptr and `error` set when one cannot be read.
  static std::shared_ptr<RedisTls> load(const RedisTlsFiles& files, std::string& error);
  struct Context;
  std::shared_ptr<Context> context;
};

class RedisClient : public std::enable_shared_from_this<RedisClient> {
 public:
  // A command's reply, or nullptr when the connection is down or closed before it came.
  using ReplyFn = std::function<void(redisReply*)>;

  // `tls` is required when endpoint.tls is set.
  RedisClient(boost::asio::io_context& ioc, RedisEndpoint endpoint, std::shared_ptr<RedisTls> tls, std::string name);
  ~RedisClient();

  void start(std::function<void()> on_connected);
  void stop();

  // Thread-safe. A `persistent` callback (SUBSCRIBE <channel> only) is kept for every reply on
  // the channel: the subscribe confirmation, each message, and the unsubscribe confirmation
  // when an UNSUBSCRIBE <channel> is through, or a nullptr when the link drops.
  void command(std::vector<std::string> args, ReplyFn fn = {}, bool persistent = false);
  const std::string& name() const { return name_; }
  // Commands issued whose reply (or failure) has not come back yet.
  int pending() const { return pending_.load(); }
  // The link is up (connected, authenticated, not lost since). Any thread.
  bool connected() const { return connected_.load(std::memory_order_relaxed); }

 private:
  struct Conn;
  enum class Kind { plain, subscribe, unsubscribe };
  struct Waiting {
    ReplyFn fn;
    Kind kind = Kind::plain;
    std::string channel;
  };

  void connect();
  void on_transport_ready(const std::shared_ptr<Conn>& c);
  void send(const std::vector<std::string>& args, Waiting w);
  void flush();
  void read();
  void dispatch(redisReply* r);
  void drop(const std::string& why);
  void schedule_reconnect();

  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  const RedisEndpoint endpoint_;
  const std::shared_ptr<RedisTls> tls_;
  const std::string name_;
  std::function<void()> on_connected_;
  // All below on the strand.
  std::shared_ptr<Conn> conn_;             // the current link, from connect until dropped
  std::deque<Waiting> waiting_;            // replies expected, in the order the commands went out
  std::map<std::string, ReplyFn> channels_;  // subscribed channels' callbacks
  std::string out_;                        // formatted commands not yet handed to a write
  bool writing_ = false;
  bool stopping_ = false;
  int failures_ = 0;
  std::atomic<bool> connected_{false};  // written on the strand only
  std::atomic<int> pending_{0};
  boost::asio::steady_timer retry_;
  boost::asio::steady_timer connect_timer_;
};

}  // namespace parley
