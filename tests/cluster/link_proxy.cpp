#include "link_proxy.hpp"

#include <array>
#include <atomic>
#include <functional>
#include <future>
#include <set>
#include <thread>
#include <vector>

#include <boost/asio.hpp>

namespace parley::test::cluster {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

struct Pair {
  explicit Pair(asio::io_context& ioc, tcp::socket node) : node(std::move(node)), target(ioc) {}
  tcp::socket node, target;
  std::array<char, 16384> up{}, down{};  // node → target, target → node
  bool closed = false;
};
using PairPtr = std::shared_ptr<Pair>;

}  // namespace

struct LinkProxy::Impl {
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  std::uint16_t target_port = 0;
  std::thread thread;
  // On the I/O thread only.
  bool stalled = false;
  std::vector<std::function<void()>> parked;  // forwards that wait for resume()
  std::set<PairPtr> pairs;
  std::atomic<int> accepted{0}, open{0};

  // Runs `fn` on the I/O thread and returns once it ran.
  void run(std::function<void()> fn) {
    std::promise<void> done;
    asio::post(ioc, [&] {
      fn();
      done.set_value();
    });
    done.get_future().wait();
  }

  void accept() {
    acceptor.async_accept([this](boost::system::error_code ec, tcp::socket s) {
      if (ec) return;  // closed
      ++accepted;
      ++open;
      auto p = std::make_shared<Pair>(ioc, std::move(s));
      pairs.insert(p);
      p->target.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), target_port),
                              [this, p](boost::system::error_code ec) {
                                if (ec) return close(p);
                                pump(p, p->node, p->target, p->up);
                                pump(p, p->target, p->node, p->down);
                              });
      accept();
    });
  }

  void pump(const PairPtr& p, tcp::socket& from, tcp::socket& to, std::array<char, 16384>& buf) {
    if (p->closed) return;
    from.async_read_some(asio::buffer(buf), [this, p, &from, &to, &buf](boost::system::error_code ec, std::size_t n) {
      if (ec) return close(p);
      auto forward = [this, p, &from, &to, &buf, n] {
        if (p->closed) return;
        asio::async_write(to, asio::buffer(buf.data(), n), [this, p, &from, &to, &buf](boost::system::error_code ec, std::size_t) {
          if (ec) return close(p);
          pump(p, from, to, buf);
        });
      };
      if (stalled) {
        parked.push_back(std::move(forward));
      } else {
        forward();
      }
    });
  }

  // Resets both sockets (RST, not FIN: a dropped link, not a polite close).
  void close(const PairPtr& p) {
    if (p->closed) return;
    p->closed = true;
    boost::system::error_code ignored;
    for (tcp::socket* s : {&p->node, &p->target}) {
      if (!s->is_open()) continue;
      s->set_option(asio::socket_base::linger(true, 0), ignored);
      s->close(ignored);
    }
    pairs.erase(p);
    --open;
  }
};

LinkProxy::LinkProxy(std::uint16_t target_port) : impl_(std::make_unique<Impl>()) {
  impl_->target_port = target_port;
  impl_->accept();
  impl_->thread = std::thread([this] { impl_->ioc.run(); });
}

LinkProxy::~LinkProxy() {
  impl_->run([this] {
    boost::system::error_code ignored;
    impl_->acceptor.close(ignored);
    auto pairs = impl_->pairs;
    for (auto& p : pairs) impl_->close(p);
    impl_->parked.clear();
  });
  impl_->ioc.stop();
  impl_->thread.join();
}

std::uint16_t LinkProxy::port() const { return impl_->acceptor.local_endpoint().port(); }

void LinkProxy::stall() {
  impl_->run([this] { impl_->stalled = true; });
}

void LinkProxy::resume() {
  impl_->run([this] {
    impl_->stalled = false;
    auto parked = std::move(impl_->parked);
    impl_->parked.clear();
    for (auto& fn : parked) fn();
  });
}

void LinkProxy::drop() {
  impl_->run([this] {
    auto pairs = impl_->pairs;
    for (auto& p : pairs) impl_->close(p);
  });
}

int LinkProxy::accepted() const { return impl_->accepted.load(); }
int LinkProxy::open() const { return impl_->open.load(); }

}  // namespace parley::test::cluster
