#include "bus/redis_client.hpp"

#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include <array>
#include <cctype>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <optional>

namespace parley {
namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kConnectTimeout = std::chrono::seconds(5);  // TCP, TLS and AUTH together

std::string_view text_of(const redisReply* r) { return {r->str, r->len}; }

// A pub/sub push: ["message" | "subscribe" | "unsubscribe", channel, ...].
bool is_push(const redisReply* r, std::string_view kind) {
  return r->type == REDIS_REPLY_ARRAY && r->elements >= 2 && r->element[0]->type == REDIS_REPLY_STRING &&
         text_of(r->element[0]) == kind;
}

bool is_command(const std::vector<std::string>& args, std::string_view name) {
  if (args.size() != 2 || args[0].size() != name.size()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(args[0][i])) != name[i]) return false;
  }
  return true;
}

}  // namespace

struct RedisTls::Context {
  ssl::context ssl{ssl::context::tls_client};
};

std::shared_ptr<RedisTls> RedisTls::load(const RedisTlsFiles& files, std::string& error) {
  auto tls = std::make_shared<RedisTls>();
  tls->context = std::make_shared<Context>();
  auto& ctx = tls->context->ssl;
  boost::system::error_code ec;
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                  ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  if (files.ca.empty()) {
    ctx.set_default_verify_paths(ec);
  } else {
    ctx.load_verify_file(files.ca, ec);
  }
  if (ec) {
    error = "redis_tls_ca '" + files.ca + "': " + ec.message();
    return nullptr;
  }
  if (files.cert.empty() != files.key.empty()) {
    error = "redis_tls_cert and redis_tls_key go together: set both or neither";
    return nullptr;
  }
  if (!files.cert.empty()) {
    ctx.use_certificate_chain_file(files.cert, ec);
    if (!ec) ctx.use_private_key_file(files.key, ssl::context::pem, ec);
    if (ec) {
      error = "redis_tls_cert/redis_tls_key: " + ec.message();
      return nullptr;
    }
  }
  ctx.set_verify_mode(ssl::verify_peer);
  return tls;
}

// One link: from the resolve to the drop. Every handler holds it, so its buffers and the TLS
// state stay valid until the last operation on it has completed.
struct RedisClient::Conn {
  template <class Executor>
  explicit Conn(const Executor& ex) : resolver(ex), socket(ex), reader(redisReaderCreate()) {}
  ~Conn() { redisReaderFree(reader); }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  // Runs `f` with the stream the protocol goes over: the TLS stream or the bare socket.
  template <class F>
  void io(F&& f) {
    if (tls) {
      f(*tls);
    } else {
      f(socket);
    }
  }

  tcp::resolver resolver;
  tcp::socket socket;
  std::optional<ssl::stream<tcp::socket&>> tls;
  redisReader* reader;
  std::array<char, 16 * 1024> in{};
  std::string inflight;  // the bytes of the write under way
};

RedisClient::RedisClient(asio::io_context& ioc, RedisEndpoint endpoint, std::shared_ptr<RedisTls> tls, std::string name)
    : strand_(asio::make_strand(ioc)),
      endpoint_(std::move(endpoint)),
      tls_(std::move(tls)),
      name_(std::move(name)),
      retry_(strand_),
      connect_timer_(strand_) {}

RedisClient::~RedisClient() = default;

void RedisClient::start(std::function<void()> on_connected) {
  asio::post(strand_, [self = shared_from_this(), fn = std::move(on_connected)]() mutable {
    self->on_connected_ = std::move(fn);
    self->connect();
  });
}

void RedisClient::stop() {
  asio::post(strand_, [self = shared_from_this()] {
    self->stopping_ = true;
    self->retry_.cancel();
    self->drop("stopped");  // runs every pending callback with nullptr
  });
}

void RedisClient::connect() {
  if (stopping_) return;
  auto c = std::make_shared<Conn>(strand_);
  conn_ = c;
  if (endpoint_.tls) {
    if (!tls_) return drop("rediss:// without TLS settings");
    c->tls.emplace(c->socket, tls_->context->ssl);
  }
  auto self = shared_from_this();
  connect_timer_.expires_after(kConnectTimeout);
  connect_timer_.async_wait([self, c](boost::system::error_code ec) {
    if (!ec && self->conn_ == c && !self->connected_) self->drop("no answer within 5 s");
  });
  c->resolver.async_resolve(
      endpoint_.host, std::to_string(endpoint_.port),
      asio::bind_executor(strand_, [self, c](boost::system::error_code ec, const tcp::resolver::results_type& results) {
        if (self->conn_ != c) return;
        if (ec) return self->drop("resolve: " + ec.message());
        asio::async_connect(c->socket, results, asio::bind_executor(self->strand_, [self, c](boost::system::error_code ec, const tcp::endpoint&) {
          if (self->conn_ != c) return;
          if (ec) return self->drop("connect: " + ec.message());
          c->socket.set_option(tcp::no_delay(true), ec);
          if (!c->tls) return self->on_transport_ready(c);
          const std::string& host = self->endpoint_.host;
          boost::system::error_code not_ip;
          asio::ip::make_address(host, not_ip);
          if (not_ip) SSL_set_tlsext_host_name(c->tls->native_handle(), host.c_str());
          c->tls->set_verify_callback(ssl::host_name_verification(host));
          c->tls->async_handshake(ssl::stream_base::client, asio::bind_executor(self->strand_, [self, c](boost::system::error_code ec) {
            if (self->conn_ != c) return;
            if (ec) return self->drop("TLS handshake: " + ec.message());
            self->on_transport_ready(c);
          }));
        }));
      }));
}

void RedisClient::on_transport_ready(const std::shared_ptr<Conn>& c) {
  read();
  auto ready = [self = shared_from_this()] {
    self->connect_timer_.cancel();
    self->connected_ = true;
    if (self->failures_ > 0) spdlog::info("redis {}: connected", self->name_);
    self->failures_ = 0;
    if (self->on_connected_) self->on_connected_();
  };
  std::vector<std::vector<std::string>> handshake;
  if (!endpoint_.password.empty()) {
    if (endpoint_.user.empty()) {
      handshake.push_back({"AUTH", endpoint_.password});
    } else {
      handshake.push_back({"AUTH", endpoint_.user, endpoint_.password});
    }
  }
  if (endpoint_.db != 0) handshake.push_back({"SELECT", std::to_string(endpoint_.db)});
  // The link counts as up only when Redis answers: a Redis that wants AUTH refuses the PING.
  handshake.push_back({"PING"});
  for (std::size_t i = 0; i < handshake.size(); ++i) {
    const bool last = i + 1 == handshake.size();
    std::string what = handshake[i][0];
    send(handshake[i], Waiting{[self = shared_from_this(), c, last, what, ready](redisReply* r) {
                                 if (!r || self->conn_ != c) return;
                                 if (r->type == REDIS_REPLY_ERROR) return self->drop(what + " refused: " + std::string(text_of(r)));
                                 if (last) ready();
                               },
                               Kind::plain, {}});
  }
}

void RedisClient::command(std::vector<std::string> args, ReplyFn fn, bool persistent) {
  if (!persistent) ++pending_;
  asio::post(strand_, [self = shared_from_this(), args = std::move(args), fn = std::move(fn), persistent]() mutable {
    if (!self->conn_ || !self->connected_) {
      if (!persistent) --self->pending_;
      if (fn) fn(nullptr);
      return;
    }
    if (!persistent) {
      // Count the reply when it comes (or when the link drops and the command fails).
      fn = [self, inner = std::move(fn)](redisReply* r) {
        --self->pending_;
        if (inner) inner(r);
      };
    }
    Kind kind = is_command(args, "SUBSCRIBE") ? Kind::subscribe : is_command(args, "UNSUBSCRIBE") ? Kind::unsubscribe : Kind::plain;
    std::string channel = kind == Kind::plain ? std::string() : args[1];
    self->send(args, Waiting{std::move(fn), kind, std::move(channel)});
  });
}

void RedisClient::send(const std::vector<std::string>& args, Waiting w) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  char* cmd = nullptr;
  const int n = redisFormatCommandArgv(&cmd, static_cast<int>(argv.size()), argv.data(), lens.data());
  if (n < 0) {
    if (w.fn) w.fn(nullptr);
    return;
  }
  out_.append(cmd, static_cast<std::size_t>(n));
  redisFreeCommand(cmd);
  waiting_.push_back(std::move(w));
  flush();
}

void RedisClient::flush() {
  if (writing_ || out_.empty() || !conn_) return;
  writing_ = true;
  auto c = conn_;
  c->inflight.swap(out_);
  out_.clear();
  c->io([&](auto& stream) {
    asio::async_write(stream, asio::buffer(c->inflight),
                      asio::bind_executor(strand_, [self = shared_from_this(), c](boost::system::error_code ec, std::size_t) {
                        if (self->conn_ != c) return;
                        self->writing_ = false;
                        c->inflight.clear();
                        if (ec) return self->drop("write: " + ec.message());
                        self->flush();
                      }));
  });
}

void RedisClient::read() {
  auto c = conn_;
  c->io([&](auto& stream) {
    stream.async_read_some(
        asio::buffer(c->in), asio::bind_executor(strand_, [self = shared_from_this(), c](boost::system::error_code ec, std::size_t n) {
          if (self->conn_ != c) return;
          if (ec) return self->drop(ec == asio::error::eof ? "closed by the server" : "read: " + ec.message());
          if (redisReaderFeed(c->reader, c->in.data(), n) != REDIS_OK) return self->drop("protocol error");
          for (;;) {
            void* reply = nullptr;
            if (redisReaderGetReply(c->reader, &reply) != REDIS_OK) {
              return self->drop(std::string("protocol error: ") + c->reader->errstr);
            }
            if (!reply) break;
            self->dispatch(static_cast<redisReply*>(reply));
            freeReplyObject(reply);
            if (self->conn_ != c) return;  // a callback dropped the link (a refused AUTH)
          }
          self->read();
        }));
  });
}

void RedisClient::dispatch(redisReply* r) {
  // Messages on a subscribed channel answer no command.
  if (is_push(r, "message") && r->elements == 3) {
    auto it = channels_.find(std::string(text_of(r->element[1])));
    if (it != channels_.end()) it->second(r);
    return;
  }
  if (waiting_.empty()) {
    spdlog::warn("redis {}: ignored a reply to no command", name_);
    return;
  }
  Waiting w = std::move(waiting_.front());
  waiting_.pop_front();
  switch (w.kind) {
    case Kind::subscribe:
      if (is_push(r, "subscribe")) channels_[w.channel] = w.fn;
      if (w.fn) w.fn(r);
      return;
    case Kind::unsubscribe:
      if (is_push(r, "unsubscribe")) {
        if (auto it = channels_.find(w.channel); it != channels_.end()) {
          auto fn = std::move(it->second);
          channels_.erase(it);
          fn(r);
        }
      }
      if (w.fn) w.fn(r);
      return;
    case Kind::plain:
      if (w.fn) w.fn(r);
      return;
  }
}

void RedisClient::drop(const std::string& why) {
  if (!conn_) return;
  const bool was_connected = connected_;
  connected_ = false;
  auto c = std::move(conn_);
  conn_.reset();
  boost::system::error_code ignored;
  c->resolver.cancel();
  c->socket.close(ignored);
  connect_timer_.cancel();
  writing_ = false;
  out_.clear();
  if (!stopping_) {
    if (was_connected) {
      spdlog::warn("redis {}: connection lost: {}", name_, why);
    } else if (failures_ == 0) {
      spdlog::warn("redis {}: cannot connect: {}", name_, why);
    }
  }
  auto waiting = std::move(waiting_);
  waiting_.clear();
  auto channels = std::move(channels_);
  channels_.clear();
  for (auto& w : waiting) {
    if (w.fn) w.fn(nullptr);
  }
  for (auto& [channel, fn] : channels) fn(nullptr);
  schedule_reconnect();
}

void RedisClient::schedule_reconnect() {
  if (stopping_) return;
  ++failures_;
  auto delay = std::chrono::milliseconds(std::min(2000, 50 << std::min(failures_, 6)));
  retry_.expires_after(delay);
  retry_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->connect();
  });
}

}  // namespace parley
