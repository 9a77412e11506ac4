#include "webhook_receiver.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>
#include <stdexcept>
#include <strings.h>

namespace parley::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::string ReceivedHook::header(std::string_view name) const {
  for (auto& [k, v] : headers) {
    if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0) return v;
  }
  return {};
}

boost::json::object ReceivedHook::event() const { return boost::json::parse(body).as_object(); }

struct WebhookReceiver::Impl {
  asio::io_context io;
  tcp::acceptor acceptor{io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
};

WebhookReceiver::WebhookReceiver(HookPolicy policy) : impl_(std::make_unique<Impl>()), policy_(std::move(policy)) {
  port_ = impl_->acceptor.local_endpoint().port();
  thread_ = std::thread([this] { serve(); });
}

WebhookReceiver::~WebhookReceiver() {
  {
    std::lock_guard l(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  beast::error_code ec;
  // Wakes the accept: a connection to ourselves.
  tcp::socket poke(impl_->io);
  poke.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), ec);
  thread_.join();
}

std::string WebhookReceiver::url(std::string_view path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
}

void WebhookReceiver::set_policy(HookPolicy policy) {
  std::lock_guard l(mu_);
  policy_ = std::move(policy);
}

void WebhookReceiver::serve() {
  for (;;) {
    tcp::socket sock(impl_->io);
    beast::error_code ec;
    impl_->acceptor.accept(sock, ec);
    {
      std::lock_guard l(mu_);
      if (stopping_) return;
    }
    if (ec) continue;
    beast::flat_buffer buf;
    for (;;) {
      http::request<http::string_body> req;
      http::read(sock, buf, req, ec);
      if (ec) break;
      ReceivedHook r;
      r.target = std::string(req.target());
      for (auto& f : req) r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
      r.body = req.body();
      HookReply reply(200, "ok");
      {
        std::lock_guard l(mu_);
        if (policy_) reply = policy_(requests_.size(), r);
      }
      const int status = reply.status;
      if (status == 0) {
        // Stalled: wait for the client to give up (it closes), then forget the connection.
        {
          std::lock_guard l(mu_);
          requests_.push_back(std::move(r));
        }
        cv_.notify_all();
        char byte;
        sock.read_some(asio::buffer(&byte, 1), ec);
        break;
      }
      r.answered = status;
      http::response<http::string_body> res{static_cast<http::status>(status), 11};
      const bool is_json = !reply.body.empty() && reply.body[0] == '{';
      res.set(http::field::content_type, is_json ? "application/json" : "text/plain");
      if (status != 204) res.body() = reply.body.empty() ? "ok" : reply.body;
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      http::write(sock, res, ec);
      {
        std::lock_guard l(mu_);
        requests_.push_back(std::move(r));
      }
      cv_.notify_all();
      if (ec || !req.keep_alive()) break;
    }
    sock.shutdown(tcp::socket::shutdown_both, ec);
  }
}

std::vector<ReceivedHook> WebhookReceiver::requests() const {
  std::lock_guard l(mu_);
  return requests_;
}

bool WebhookReceiver::wait_for(const std::function<bool(const std::vector<ReceivedHook>&)>& done,
                               std::chrono::milliseconds timeout) const {
  std::unique_lock l(mu_);
  return cv_.wait_for(l, timeout, [&] { return done(requests_); });
}

std::vector<ReceivedHook> WebhookReceiver::delivered(std::size_t n, std::chrono::milliseconds timeout) const {
  std::vector<ReceivedHook> out;
  auto ok = wait_for(
      [&](const std::vector<ReceivedHook>& all) {
        out.clear();
        for (auto& r : all) {
          if (r.answered >= 200 && r.answered < 300) out.push_back(r);
        }
        return out.size() >= n;
      },
      timeout);
  if (!ok) {
    throw std::runtime_error("webhook receiver: " + std::to_string(out.size()) + " of " + std::to_string(n) +
                             " deliveries arrived");
  }
  return out;
}

std::string expected_signature(std::string_view secret, const ReceivedHook& r) {
  const std::string content = r.header("webhook-id") + "." + r.header("webhook-timestamp") + "." + r.body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(content.data()), content.size(), mac, &len);
  std::string b64(4 * ((len + 2) / 3), '\0');
  b64.resize(static_cast<std::size_t>(
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()), mac, static_cast<int>(len))));
  return "v1," + b64;
}

}  // namespace parley::test
