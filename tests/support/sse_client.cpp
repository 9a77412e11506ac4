#include "sse_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cstring>
#include <stdexcept>
#include <strings.h>

namespace parley::test {
namespace json = boost::json;

SseClient::SseClient(std::string name) : name_(std::move(name)) {}

SseClient::~SseClient() {
  abort();
  if (reader_.joinable()) reader_.join();
  if (fd_ >= 0) ::close(fd_);
}

int SseClient::open(std::uint16_t port, const Headers& headers, std::string target, std::chrono::milliseconds timeout) {
  port_ = port;
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) throw std::runtime_error(name_ + ": connect failed");
  std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                    "\r\nAccept: text/event-stream\r\n";
  for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
  req += "\r\n";
  if (::send(fd_, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    throw std::runtime_error(name_ + ": send failed");
  }
  const auto deadline = Clock::now() + timeout;
  std::string in;
  std::size_t end = std::string::npos;
  while ((end = in.find("\r\n\r\n")) == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    pollfd p{fd_, POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) return 0;
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return 0;
    in.append(buf, static_cast<std::size_t>(n));
  }
  head_ = in.substr(0, end + 2);
  pending_ = in.substr(end + 4);
  const int status = std::atoi(head_.c_str() + head_.find(' ') + 1);
  if (status != 200) {
    // The refusal's body: read up to its Content-Length (or the close).
    const std::size_t length = static_cast<std::size_t>(std::atoll(header("Content-Length").c_str()));
    body_ = pending_;
    while (body_.size() < length) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 2000) <= 0) break;
      char buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      body_.append(buf, static_cast<std::size_t>(n));
    }
    return status;
  }
  reader_ = std::thread([this] { read_loop(); });
  return status;
}

std::string SseClient::header(std::string_view name) const {
  std::size_t at = head_.find("\r\n");
  while (at != std::string::npos && at + 2 < head_.size()) {
    const std::size_t next = head_.find("\r\n", at + 2);
    std::string_view line(head_.data() + at + 2, (next == std::string::npos ? head_.size() : next) - at - 2);
    const std::size_t colon = line.find(':');
    if (colon == name.size() && ::strncasecmp(line.data(), name.data(), name.size()) == 0) {
      std::string_view v = line.substr(colon + 1);
      while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
      return std::string(v);
    }
    at = next;
  }
  return {};
}

void SseClient::read_loop() {
  // Events end with a blank line; each line is "field: value" (or a comment, ":...").
  auto split = [this] {
    std::size_t end;
    while ((end = pending_.find("\n\n")) != std::string::npos) {
      std::string block = pending_.substr(0, end);
      pending_.erase(0, end + 2);
      std::string type = "message";
      std::string data;
      bool has_data = false;
      std::size_t at = 0;
      while (at <= block.size()) {
        std::size_t nl = block.find('\n', at);
        std::string line = block.substr(at, nl == std::string::npos ? std::string::npos : nl - at);
        at = nl == std::string::npos ? block.size() + 1 : nl + 1;
        if (line.empty()) continue;
        if (line.front() == ':') {
          std::lock_guard lk(mu_);
          ++comments_;
          cv_.notify_all();
          continue;
        }
        const std::size_t colon = line.find(':');
        std::string field = line.substr(0, colon);
        std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
        if (!value.empty() && value.front() == ' ') value.erase(0, 1);
        if (field == "event") type = value;
        if (field == "data") {
          data += (has_data ? "\n" : "") + value;
          has_data = true;
        }
      }
      if (has_data) on_event(type, data);
    }
  };
  split();
  for (;;) {
    char buf[16384];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) break;
    pending_.append(buf, static_cast<std::size_t>(n));
    split();
  }
  std::lock_guard lk(mu_);
  ended_.ended = true;
  cv_.notify_all();
}

void SseClient::on_event(const std::string& type, const std::string& data) {
  boost::system::error_code ec;
  json::value v = json::parse(data, ec);
  std::lock_guard lk(mu_);
  if (type == "session" && !ec && v.is_object()) {
    session_ = json::value_to<std::string>(v.at("session"));
  } else if (type == "close" && !ec && v.is_object()) {
    ended_.close_event = true;
    ended_.code = static_cast<int>(v.at("code").to_number<int64_t>());
    ended_.reason = json::value_to<std::string>(v.at("reason"));
  } else if (type == "message") {
    json::object o = !ec && v.is_object() ? v.as_object() : json::object{{"__invalid_json", data}};
    inbox_.push_back(Received{std::move(o), Clock::now()});
    taken_.push_back(false);
  }
  cv_.notify_all();
}

std::string SseClient::session(std::chrono::milliseconds timeout) {
  std::unique_lock lk(mu_);
  cv_.wait_for(lk, timeout, [&] { return !session_.empty() || ended_.ended; });
  if (session_.empty()) throw std::runtime_error(name_ + ": no session event");
  return session_;
}

HttpResponse SseClient::post(const std::vector<json::object>& commands, const std::string& token, std::uint16_t port) {
  std::string body;
  for (const auto& c : commands) body += json::serialize(c) + "\n";
  return http_request(port ? port : port_, "POST", "/api/stream/" + session(), std::move(body),
                      {{"Authorization", "Bearer " + token}, {"Content-Type", "application/x-ndjson"}});
}

std::optional<Received> SseClient::wait_for(const Pred& pred, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::unique_lock lk(mu_);
  std::size_t scan = 0;
  for (;;) {
    for (; scan < inbox_.size(); ++scan) {
      if (!taken_[scan] && pred(inbox_[scan].obj)) {
        taken_[scan] = true;
        return inbox_[scan];
      }
    }
    if (Clock::now() >= deadline || ended_.ended) return std::nullopt;
    cv_.wait_until(lk, deadline);
  }
}

json::object SseClient::expect(const Pred& pred, std::string_view what, std::chrono::milliseconds timeout) {
  if (auto r = wait_for(pred, timeout)) return std::move(r->obj);
  throw std::runtime_error(name_ + ": no " + std::string(what) + " within " + std::to_string(timeout.count()) +
                           " ms; received:\n" + dump());
}

std::size_t SseClient::count(const Pred& pred) const {
  std::lock_guard lk(mu_);
  std::size_t n = 0;
  for (const auto& r : inbox_) n += pred(r.obj) ? 1 : 0;
  return n;
}

std::vector<Received> SseClient::received() const {
  std::lock_guard lk(mu_);
  return inbox_;
}

std::string SseClient::dump() const {
  std::lock_guard lk(mu_);
  std::string out;
  for (const auto& r : inbox_) out += "  " + json::serialize(r.obj) + "\n";
  if (ended_.ended) out += "  (ended" + (ended_.close_event ? ", close " + std::to_string(ended_.code) : "") + ")\n";
  return out;
}

int SseClient::comments() const {
  std::lock_guard lk(mu_);
  return comments_;
}

int SseClient::wait_comments(int n, std::chrono::milliseconds timeout) {
  std::unique_lock lk(mu_);
  cv_.wait_for(lk, timeout, [&] { return comments_ >= n || ended_.ended; });
  return comments_;
}

SseClient::Ended SseClient::wait_closed(std::chrono::milliseconds timeout) {
  std::unique_lock lk(mu_);
  cv_.wait_for(lk, timeout, [&] { return ended_.ended; });
  return ended_;
}

void SseClient::abort() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
}

}  // namespace parley::test
