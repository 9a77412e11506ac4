#include "ws_client.hpp"

#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace parley::test {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;
using tcp = net::ip::tcp;

Pred has(json::object pattern) {
  return [p = std::move(pattern)](const json::object& o) {
    for (const auto& kv : p) {
      const json::value* v = o.if_contains(kv.key());
      if (v == nullptr || *v != kv.value()) return false;
    }
    return true;
  };
}

Pred is_type(std::string type) { return has({{"type", type}}); }

std::string to_string(const json::object& o) { return json::serialize(o); }

std::int64_t get_int(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) throw std::runtime_error("field '" + std::string(key) + "' missing in " + to_string(o));
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
  throw std::runtime_error("field '" + std::string(key) + "' is not an integer in " + to_string(o));
}

std::string get_str(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_string())
    throw std::runtime_error("field '" + std::string(key) + "' missing or not a string in " + to_string(o));
  return std::string(v->get_string());
}

std::string CloseInfo::describe() const {
  if (!closed) return "open";
  if (close_frame) return "closed with code " + std::to_string(code) + (reason.empty() ? "" : " (" + reason + ")");
  return "closed without close frame: " + error;
}

struct WsClient::Impl {
  explicit Impl() : work(net::make_work_guard(ioc)), ws(ioc) {
    thread = std::thread([this] { ioc.run(); });
  }

  net::io_context ioc;
  net::executor_work_guard<net::io_context::executor_type> work;
  websocket::stream<beast::tcp_stream> ws;
  beast::flat_buffer rbuf;
  std::thread thread;
  const Clock::time_point born = Clock::now();

  // io thread only
  std::deque<std::pair<bool, std::string>> outq;
  bool writing = false;
  bool reading = false;
  // close() was called: the read loop stops after the message in hand, so that Beast's close
  // operation reads the rest itself. (Beast 1.81 can hang a close whose answer arrives
  // together with a data frame while a read is pending: boostorg/beast#2647.)
  bool closing = false;

  // shared, under mu
  mutable std::mutex mu;
  std::condition_variable cv;
  std::vector<Received> inbox;
  std::vector<bool> taken;
  CloseInfo close;
  bool open = false;
  std::size_t pending_writes = 0;
  std::string write_error;
  int pings = 0;

  void start_connect(std::uint16_t port, std::string target, ConnectOptions opts,
                     std::shared_ptr<std::promise<ConnectResult>> prom) {
    ws.next_layer().expires_after(opts.timeout);
    ws.next_layer().async_connect(
        tcp::endpoint(net::ip::address_v4::loopback(), port),
        [this, port, target = std::move(target), opts, prom](beast::error_code ec) {
          if (ec) {
            ConnectResult r;
            r.error = "connect: " + ec.message();
            prom->set_value(r);
            return;
          }
          ws.next_layer().expires_never();
          beast::error_code ignored;
          ws.next_layer().socket().set_option(tcp::no_delay(true), ignored);
          websocket::stream_base::timeout to{};
          to.handshake_timeout = opts.timeout;
          to.idle_timeout = websocket::stream_base::none();
          to.keep_alive_pings = false;
          ws.set_option(to);
          ws.set_option(websocket::stream_base::decorator([opts](websocket::request_type& req) {
            req.set(http::field::user_agent, "parley-integration-tests");
            if (opts.origin) req.set(http::field::origin, *opts.origin);
            for (auto& [name, value] : opts.headers) req.set(name, value);
            if (opts.bearer) req.set(http::field::authorization, "Bearer " + *opts.bearer);
          }));
          ws.auto_fragment(false);
          ws.read_message_max(64 * 1024 * 1024);
          ws.control_callback([this](websocket::frame_type kind, beast::string_view) {
            if (kind == websocket::frame_type::ping) {
              {
                std::lock_guard lk(mu);
                ++pings;
              }
              cv.notify_all();
            }
          });
          auto res = std::make_shared<websocket::response_type>();
          ws.async_handshake(*res, "127.0.0.1:" + std::to_string(port), target,
                             [this, res, prom, read = opts.read](beast::error_code ec) {
                               ConnectResult r;
                               if (!ec || ec == websocket::error::upgrade_declined) {
                                 r.status = static_cast<int>(res->result_int());
                                 r.body = res->body();
                               }
                               if (ec) {
                                 r.error = "handshake: " + ec.message();
                                 prom->set_value(r);
                                 return;
                               }
                               r.upgraded = true;
                               {
                                 std::lock_guard lk(mu);
                                 open = true;
                               }
                               prom->set_value(r);
                               if (read) do_read();
                             });
        });
  }

  void do_read() {
    reading = true;
    ws.async_read(rbuf, [this](beast::error_code ec, std::size_t) { on_read(ec); });
  }

  void finish(const beast::error_code& ec) {
    std::lock_guard lk(mu);
    if (close.closed) return;
    close.closed = true;
    open = false;
    if (ws.reason().code != websocket::close_code::none) {
      close.close_frame = true;
      close.code = static_cast<int>(ws.reason().code);
      close.reason.assign(ws.reason().reason.data(), ws.reason().reason.size());
    }
    if (ec != websocket::error::closed) close.error = ec.message();
    cv.notify_all();
  }

  void on_read(beast::error_code ec) {
    if (ec) {
      finish(ec);
      return;
    }
    Received r;
    r.at = Clock::now();
    std::string text = beast::buffers_to_string(rbuf.data());
    rbuf.consume(rbuf.size());
    if (!ws.got_text()) {
      r.obj = {{"__binary", text.size()}};
    } else {
      boost::system::error_code jec;
      json::value v = json::parse(text, jec);
      if (jec || !v.is_object()) r.obj = {{"__invalid_json", text}};
      else r.obj = std::move(v.as_object());
    }
    {
      std::lock_guard lk(mu);
      inbox.push_back(std::move(r));
      taken.push_back(false);
    }
    cv.notify_all();
    if (closing) {
      reading = false;
      return;
    }
    do_read();
  }

  void enqueue(bool binary, std::string data) {
    {
      std::lock_guard lk(mu);
      ++pending_writes;
    }
    net::post(ioc, [this, binary, data = std::move(data)]() mutable {
      outq.emplace_back(binary, std::move(data));
      if (!writing) do_write();
    });
  }

  void do_write() {
    writing = true;
    ws.text(!outq.front().first);
    ws.async_write(net::buffer(outq.front().second), [this](beast::error_code ec, std::size_t) {
      outq.pop_front();
      {
        std::lock_guard lk(mu);
        --pending_writes;
        if (ec) {
          write_error = ec.message();
          pending_writes -= outq.size();
        }
      }
      cv.notify_all();
      if (ec) outq.clear();
      if (outq.empty()) {
        writing = false;
        return;
      }
      do_write();
    });
  }

  std::string dump_locked() const {
    std::ostringstream ss;
    const std::size_t first = inbox.size() > 200 ? inbox.size() - 200 : 0;
    if (first > 0) ss << "  (" << first << " earlier frames omitted)\n";
    for (std::size_t i = first; i < inbox.size(); ++i) {
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(inbox[i].at - born).count();
      std::string text = json::serialize(inbox[i].obj);
      if (text.size() > 400) text = text.substr(0, 400) + "...(" + std::to_string(text.size()) + " bytes)";
      ss << "  " << (taken[i] ? "[taken] " : "        ") << "+" << ms << "ms " << text << "\n";
    }
    ss << "  connection: " << close.describe() << "\n";
    return ss.str();
  }
};

WsClient::WsClient(std::string name) : name_(std::move(name)), impl_(std::make_unique<Impl>()) {}

WsClient::~WsClient() {
  impl_->ioc.stop();
  impl_->thread.join();
  beast::error_code ec;
  impl_->ws.next_layer().socket().close(ec);
}

ConnectResult WsClient::connect(std::uint16_t port, const ConnectOptions& opts) {
  auto prom = std::make_shared<std::promise<ConnectResult>>();
  auto fut = prom->get_future();
  std::string target = opts.target.empty() ? "/ws" : opts.target;
  if (opts.token) target += (target.find('?') == std::string::npos ? "?token=" : "&token=") + *opts.token;
  net::post(impl_->ioc, [p = impl_.get(), port, target, opts, prom] { p->start_connect(port, target, opts, prom); });
  if (fut.wait_for(opts.timeout + std::chrono::seconds(2)) != std::future_status::ready) {
    abort();
    ConnectResult r;
    r.error = "connect timed out";
    return r;
  }
  return fut.get();
}

void WsClient::start_reading() {
  net::post(impl_->ioc, [p = impl_.get()] {
    if (!p->reading) p->do_read();
  });
}

void WsClient::send_text(std::string text) { impl_->enqueue(false, std::move(text)); }
void WsClient::send_binary(std::string bytes) { impl_->enqueue(true, std::move(bytes)); }
void WsClient::send_json(const json::object& obj) { impl_->enqueue(false, json::serialize(obj)); }

bool WsClient::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lk(impl_->mu);
  impl_->cv.wait_for(lk, timeout, [&] { return impl_->pending_writes == 0; });
  return impl_->pending_writes == 0 && impl_->write_error.empty();
}

std::optional<Received> WsClient::wait_for(const Pred& pred, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::unique_lock lk(impl_->mu);
  std::size_t scan = 0;
  for (;;) {
    for (; scan < impl_->inbox.size(); ++scan) {
      if (!impl_->taken[scan] && pred(impl_->inbox[scan].obj)) {
        impl_->taken[scan] = true;
        return impl_->inbox[scan];
      }
    }
    // Nothing more can arrive once the connection has ended.
    if (Clock::now() >= deadline || impl_->close.closed) return std::nullopt;
    impl_->cv.wait_until(lk, deadline);
  }
}

Received WsClient::expect_timed(const Pred& pred, std::string_view what, std::chrono::milliseconds timeout) {
  if (auto r = wait_for(pred, timeout)) return std::move(*r);
  throw std::runtime_error(name_ + ": no " + std::string(what) + " within " + std::to_string(timeout.count()) +
                           " ms; received:\n" + dump());
}

json::object WsClient::expect(const Pred& pred, std::string_view what, std::chrono::milliseconds timeout) {
  return expect_timed(pred, what, timeout).obj;
}

json::object WsClient::expect(const json::object& pattern, std::chrono::milliseconds timeout) {
  return expect(has(pattern), json::serialize(pattern), timeout);
}

std::vector<Received> WsClient::received() const {
  std::lock_guard lk(impl_->mu);
  return impl_->inbox;
}

std::size_t WsClient::count(const Pred& pred) const {
  std::lock_guard lk(impl_->mu);
  std::size_t n = 0;
  for (const auto& r : impl_->inbox)
    if (pred(r.obj)) ++n;
  return n;
}

std::string WsClient::dump() const {
  std::lock_guard lk(impl_->mu);
  return impl_->dump_locked();
}

CloseInfo WsClient::wait_closed(std::chrono::milliseconds timeout) {
  std::unique_lock lk(impl_->mu);
  impl_->cv.wait_for(lk, timeout, [&] { return impl_->close.closed; });
  return impl_->close;
}

CloseInfo WsClient::close_info() const {
  std::lock_guard lk(impl_->mu);
  return impl_->close;
}

bool WsClient::is_open() const {
  std::lock_guard lk(impl_->mu);
  return impl_->open && !impl_->close.closed;
}

CloseInfo WsClient::close(int code, std::chrono::milliseconds timeout) {
  net::post(impl_->ioc, [p = impl_.get(), code] {
    p->closing = true;
    p->ws.async_close(static_cast<websocket::close_code>(code), [p](beast::error_code ec) {
      if (ec || !p->reading) p->finish(ec ? ec : beast::error_code(websocket::error::closed));
    });
  });
  return wait_closed(timeout);
}

void WsClient::abort() {
  net::post(impl_->ioc, [p = impl_.get()] {
    beast::error_code ec;
    p->ws.next_layer().socket().shutdown(tcp::socket::shutdown_both, ec);
    p->ws.next_layer().socket().close(ec);
  });
}

int WsClient::pings_received() const {
  std::lock_guard lk(impl_->mu);
  return impl_->pings;
}

int WsClient::wait_pings(int n, std::chrono::milliseconds timeout) {
  std::unique_lock lk(impl_->mu);
  impl_->cv.wait_for(lk, timeout, [&] { return impl_->pings >= n || impl_->close.closed; });
  return impl_->pings;
}

}  // namespace parley::test
