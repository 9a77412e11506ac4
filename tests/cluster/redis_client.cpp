#include "redis_client.hpp"

#include <cerrno>
#include <stdexcept>
#include <system_error>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

namespace parley::test::cluster {
namespace {

class Conn {
public:
  Conn(std::uint16_t port, std::chrono::milliseconds timeout) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "socket");
    timeval tv{};
    tv.tv_sec = timeout.count() / 1000;
    tv.tv_usec = (timeout.count() % 1000) * 1000;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      int e = errno;
      ::close(fd_);
      throw std::system_error(e, std::generic_category(), "connect to redis 127.0.0.1:" + std::to_string(port));
    }
  }
  ~Conn() { ::close(fd_); }

  void write_all(const std::string& s) {
    std::size_t off = 0;
    while (off < s.size()) {
      ssize_t n = ::send(fd_, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw std::system_error(errno, std::generic_category(), "redis send");
      off += static_cast<std::size_t>(n);
    }
  }

  std::string line() {
    for (;;) {
      auto p = buf_.find("\r\n");
      if (p != std::string::npos) {
        std::string l = buf_.substr(0, p);
        buf_.erase(0, p + 2);
        return l;
      }
      fill();
    }
  }

  std::string bytes(std::size_t n) {
    while (buf_.size() < n + 2) fill();
    std::string b = buf_.substr(0, n);
    buf_.erase(0, n + 2);
    return b;
  }

  RedisReply reply() {
    std::string l = line();
    if (l.empty()) throw std::runtime_error("redis: empty reply line");
    RedisReply r;
    const std::string rest = l.substr(1);
    switch (l[0]) {
      case '+': r.kind = RedisReply::status; r.str = rest; break;
      case '-': r.kind = RedisReply::error; r.str = rest; break;
      case ':': r.kind = RedisReply::integer; r.num = std::stoll(rest); break;
      case '$': {
        const long long n = std::stoll(rest);
        if (n < 0) { r.kind = RedisReply::nil; break; }
        r.kind = RedisReply::bulk;
        r.str = bytes(static_cast<std::size_t>(n));
        break;
      }
      case '*': {
        const long long n = std::stoll(rest);
        if (n < 0) { r.kind = RedisReply::nil; break; }
        r.kind = RedisReply::array;
        for (long long i = 0; i < n; ++i) r.items.push_back(reply());
        break;
      }
      default: throw std::runtime_error("redis: unexpected reply '" + l + "'");
    }
    return r;
  }

private:
  void fill() {
    char tmp[4096];
    for (;;) {
      ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw std::system_error(errno, std::generic_category(), "redis recv");
      if (n == 0) throw std::runtime_error("redis closed the connection");
      buf_.append(tmp, static_cast<std::size_t>(n));
      return;
    }
  }
  int fd_ = -1;
  std::string buf_;
};

}  // namespace

std::string RedisReply::describe() const {
  switch (kind) {
    case status: return "+" + str;
    case error: return "-" + str;
    case integer: return std::to_string(num);
    case bulk: return "\"" + str + "\"";
    case nil: return "(nil)";
    case array: {
      std::string s = "[";
      for (std::size_t i = 0; i < items.size(); ++i) s += (i ? ", " : "") + items[i].describe();
      return s + "]";
    }
  }
  return "?";
}

RedisReply redis_command(std::uint16_t port, const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
  Conn c(port, timeout);
  std::string req = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) req += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  c.write_all(req);
  RedisReply r = c.reply();
  if (r.kind == RedisReply::error) throw std::runtime_error("redis " + args.at(0) + ": " + r.str);
  return r;
}

std::vector<std::string> redis_channels(std::uint16_t port, const std::string& pattern) {
  std::vector<std::string> out;
  for (const auto& item : redis_command(port, {"PUBSUB", "CHANNELS", pattern}).items) out.push_back(item.str);
  return out;
}

std::int64_t redis_numsub(std::uint16_t port, const std::string& channel) {
  RedisReply r = redis_command(port, {"PUBSUB", "NUMSUB", channel});
  if (r.items.size() != 2) throw std::runtime_error("redis PUBSUB NUMSUB: " + r.describe());
  return r.items[1].num;
}

}  // namespace parley::test::cluster
