#include "bus/redis_client.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>

namespace parley {
namespace asio = boost::asio;

struct RedisClient::Box {
  ReplyFn fn;
  bool persistent = false;
};

RedisClient::RedisClient(asio::io_context& ioc, std::string host, int port, std::string name)
    : ioc_(ioc), strand_(asio::make_strand(ioc)), host_(std::move(host)), port_(port), name_(std::move(name)), retry_(strand_) {}

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
    if (self->ctx_) redisAsyncFree(self->ctx_);  // runs every pending callback with nullptr
  });
}

void RedisClient::connect() {
  if (stopping_) return;
  redisAsyncContext* ctx = redisAsyncConnect(host_.c_str(), port_);
  if (!ctx || ctx->err) {
    spdlog::warn("redis {}: connect: {}", name_, ctx ? ctx->errstr : "out of memory");
    if (ctx) redisAsyncFree(ctx);
    return schedule_reconnect();
  }
  ctx_ = ctx;
  ++generation_;
  ctx->data = this;
  ctx->ev.data = this;
  ctx->ev.addRead = ev_add_read;
  ctx->ev.delRead = ev_del_read;
  ctx->ev.addWrite = ev_add_write;
  ctx->ev.delWrite = ev_del_write;
  ctx->ev.cleanup = ev_cleanup;
  redisAsyncSetConnectCallback(ctx, on_connect);
  redisAsyncSetDisconnectCallback(ctx, on_disconnect);
  socket_ = std::make_unique<asio::posix::stream_descriptor>(ioc_, ctx->c.fd);
  // The connect completes when the socket turns writable.
  ev_add_write(this);
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

void RedisClient::on_connect(const redisAsyncContext* ctx, int status) {
  auto* self = static_cast<RedisClient*>(ctx->data);
  if (status != REDIS_OK) {
    if (self->failures_ == 0) spdlog::warn("redis {}: cannot connect: {}", self->name_, ctx->errstr);
    // hiredis frees the context after this returns, without calling on_disconnect.
    self->ctx_ = nullptr;
    asio::post(self->strand_, [s = self->shared_from_this()] { s->schedule_reconnect(); });
    return;
  }
  self->connected_ = true;
  if (self->failures_ > 0) spdlog::info("redis {}: connected", self->name_);
  self->failures_ = 0;
  if (self->on_connected_) self->on_connected_();
}

void RedisClient::on_disconnect(const redisAsyncContext* ctx, int status) {
  auto* self = static_cast<RedisClient*>(ctx->data);
  if (self->connected_) spdlog::warn("redis {}: connection lost", self->name_);
  self->connected_ = false;
  self->ctx_ = nullptr;
  // hiredis frees the context after this returns; reconnect from a fresh handler.
  asio::post(self->strand_, [s = self->shared_from_this()] { s->schedule_reconnect(); });
}

void RedisClient::command(std::vector<std::string> args, ReplyFn fn, bool persistent) {
  if (!persistent) ++pending_;
  asio::post(strand_, [self = shared_from_this(), args = std::move(args), fn = std::move(fn), persistent]() mutable {
    if (!self->ctx_ || !self->connected_) {
      if (!persistent) --self->pending_;
      if (fn) fn(nullptr);
      return;
    }
    if (!persistent) {
      // Count the reply when it comes (or when the link drops and hiredis fails it).
      fn = [self, inner = std::move(fn)](redisReply* r) {
        --self->pending_;
        if (inner) inner(r);
      };
    }
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (auto& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    auto* box = new Box{std::move(fn), persistent};
    if (redisAsyncCommandArgv(self->ctx_, on_reply, box, static_cast<int>(argv.size()), argv.data(), lens.data()) != REDIS_OK) {
      if (box->fn) box->fn(nullptr);
      delete box;
    }
  });
}

void RedisClient::on_reply(redisAsyncContext*, void* reply, void* privdata) {
  auto* box = static_cast<Box*>(privdata);
  auto* r = static_cast<redisReply*>(reply);
  if (box->fn) box->fn(r);
  bool done = !box->persistent || !r;
  if (box->persistent && r && r->type == REDIS_REPLY_ARRAY && r->elements > 0 && r->element[0]->type == REDIS_REPLY_STRING &&
      std::string_view(r->element[0]->str, r->element[0]->len) == "unsubscribe") {
    done = true;
  }
  if (done) delete box;
}

void RedisClient::arm_read() {
  if (reading_ || !socket_) return;
  reading_ = true;
  socket_->async_wait(asio::posix::stream_descriptor::wait_read,
                      asio::bind_executor(strand_, [self = shared_from_this(), gen = generation_](boost::system::error_code ec) {
                        if (gen != self->generation_) return;
                        self->reading_ = false;
                        if (ec || !self->ctx_) return;
                        redisAsyncHandleRead(self->ctx_);
                        if (gen == self->generation_ && self->want_read_ && self->ctx_) self->arm_read();
                      }));
}

void RedisClient::arm_write() {
  if (writing_ || !socket_) return;
  writing_ = true;
  socket_->async_wait(asio::posix::stream_descriptor::wait_write,
                      asio::bind_executor(strand_, [self = shared_from_this(), gen = generation_](boost::system::error_code ec) {
                        if (gen != self->generation_) return;
                        self->writing_ = false;
                        if (ec || !self->ctx_) return;
                        redisAsyncHandleWrite(self->ctx_);
                        if (gen == self->generation_ && self->want_write_ && self->ctx_) self->arm_write();
                      }));
}

void RedisClient::ev_add_read(void* p) {
  auto* self = static_cast<RedisClient*>(p);
  self->want_read_ = true;
  self->arm_read();
}
void RedisClient::ev_del_read(void* p) { static_cast<RedisClient*>(p)->want_read_ = false; }
void RedisClient::ev_add_write(void* p) {
  auto* self = static_cast<RedisClient*>(p);
  self->want_write_ = true;
  self->arm_write();
}
void RedisClient::ev_del_write(void* p) { static_cast<RedisClient*>(p)->want_write_ = false; }

void RedisClient::ev_cleanup(void* p) {
  auto* self = static_cast<RedisClient*>(p);
  self->want_read_ = self->want_write_ = false;
  self->reading_ = self->writing_ = false;
  ++self->generation_;
  if (self->socket_) {
    self->socket_->release();  // hiredis closes the descriptor itself
    self->socket_.reset();
  }
}

}  // namespace parley
