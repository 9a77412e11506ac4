#include "raw_socket.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>
#include <stdexcept>
#include <system_error>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace parley::test {
namespace {
using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}
}  // namespace

int RawFrame::close_code() const {
  if (kind != close || payload.size() < 2) return 0;
  return (static_cast<unsigned char>(payload[0]) << 8) | static_cast<unsigned char>(payload[1]);
}

const char* RawFrame::kind_name() const {
  switch (kind) {
    case text: return "text";
    case binary: return "binary";
    case close: return "close";
    case ping: return "ping";
    case pong: return "pong";
    case eof: return "eof";
    case timeout: return "timeout";
  }
  return "?";
}

RawSocket::RawSocket(std::uint16_t port, int rcvbuf, const char* source) : port_(port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "socket");
  if (rcvbuf > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  if (source) {
    sockaddr_in src{};
    src.sin_family = AF_INET;
    if (::inet_pton(AF_INET, source, &src.sin_addr) != 1 || ::bind(fd_, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0) {
      int e = errno;
      ::close(fd_);
      fd_ = -1;
      throw std::system_error(e, std::generic_category(), std::string("bind to source ") + source);
    }
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int e = errno;
    ::close(fd_);
    fd_ = -1;
    throw std::system_error(e, std::generic_category(), "connect 127.0.0.1:" + std::to_string(port));
  }
}

RawSocket::~RawSocket() { close(); }

void RawSocket::set_rcvbuf(int bytes) { ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes); }

void RawSocket::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool RawSocket::try_send_all(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

void RawSocket::send_all(std::string_view bytes) {
  if (!try_send_all(bytes)) throw std::system_error(errno, std::generic_category(), "send");
}

int RawSocket::fill(Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, remaining_ms(deadline));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) throw std::system_error(errno, std::generic_category(), "poll");
    if (r == 0) return -1;
    char buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return 0;  // orderly EOF, or reset
    in_.append(buf, static_cast<std::size_t>(n));
    return 1;
  }
}

bool RawSocket::wait_peer_closed(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    in_.clear();
    int r = fill(deadline);
    if (r == 0) return true;
    if (r < 0) return false;
  }
}

int RawSocket::upgrade(std::string_view target, const std::vector<std::pair<std::string, std::string>>& headers,
                       std::chrono::milliseconds timeout) {
  std::string req = "GET " + std::string(target) + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port_) +
                    "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
  for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
  req += "\r\n";
  send_all(req);
  const auto deadline = Clock::now() + timeout;
  std::size_t end;
  while ((end = in_.find("\r\n\r\n")) == std::string::npos) {
    if (fill(deadline) <= 0) return 0;
  }
  std::string head = in_.substr(0, end);
  response_head_ = head;
  in_.erase(0, end + 4);
  // "HTTP/1.1 101 Switching Protocols"
  auto sp = head.find(' ');
  if (sp == std::string::npos) return 0;
  return std::atoi(head.c_str() + sp + 1);
}

int RawSocket::http_exchange(std::string_view request, std::string& body, std::chrono::milliseconds timeout) {
  send_all(request);
  const auto deadline = Clock::now() + timeout;
  std::size_t end;
  while ((end = in_.find("\r\n\r\n")) == std::string::npos) {
    if (fill(deadline) <= 0) return 0;
  }
  response_head_ = in_.substr(0, end);
  in_.erase(0, end + 4);
  std::string lower = response_head_;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  std::size_t length = 0;
  if (auto at = lower.find("\r\ncontent-length:"); at != std::string::npos) {
    length = static_cast<std::size_t>(std::atoll(lower.c_str() + at + 17));
  }
  while (in_.size() < length) {
    if (fill(deadline) <= 0) return 0;
  }
  body = in_.substr(0, length);
  in_.erase(0, length);
  auto sp = response_head_.find(' ');
  return sp == std::string::npos ? 0 : std::atoi(response_head_.c_str() + sp + 1);
}

void RawSocket::send_frame(std::uint8_t opcode, std::string_view payload, bool fin) {
  std::string f;
  f.push_back(static_cast<char>((fin ? 0x80 : 0x00) | (opcode & 0x0F)));
  const std::size_t n = payload.size();
  if (n < 126) {
    f.push_back(static_cast<char>(0x80 | n));
  } else if (n <= 0xFFFF) {
    f.push_back(static_cast<char>(0x80 | 126));
    f.push_back(static_cast<char>((n >> 8) & 0xFF));
    f.push_back(static_cast<char>(n & 0xFF));
  } else {
    f.push_back(static_cast<char>(0x80 | 127));
    for (int i = 7; i >= 0; --i) f.push_back(static_cast<char>((static_cast<std::uint64_t>(n) >> (8 * i)) & 0xFF));
  }
  static thread_local std::mt19937 rng{std::random_device{}()};
  unsigned char key[4];
  for (auto& k : key) k = static_cast<unsigned char>(rng() & 0xFF);
  f.append(reinterpret_cast<const char*>(key), 4);
  for (std::size_t i = 0; i < n; ++i) f.push_back(static_cast<char>(payload[i] ^ key[i % 4]));
  send_all(f);
}

RawFrame RawSocket::read_until_close(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    RawFrame f = read_frame(std::max(left, std::chrono::milliseconds(0)));
    if (f.kind == RawFrame::close || f.kind == RawFrame::eof || f.kind == RawFrame::timeout) return f;
  }
}

RawFrame RawSocket::read_frame(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    // Parse one frame header if enough bytes are buffered.
    std::size_t need = 2;
    std::uint64_t len = 0;
    std::size_t hdr = 0;
    bool complete = false;
    if (in_.size() >= need) {
      const auto b1 = static_cast<unsigned char>(in_[1]);
      len = b1 & 0x7F;
      hdr = 2 + ((b1 & 0x80) ? 4 : 0);
      if (len == 126) hdr += 2;
      else if (len == 127) hdr += 8;
      if (in_.size() >= hdr) {
        if (len == 126) {
          len = (static_cast<unsigned char>(in_[2]) << 8) | static_cast<unsigned char>(in_[3]);
        } else if (len == 127) {
          len = 0;
          for (int i = 0; i < 8; ++i) len = (len << 8) | static_cast<unsigned char>(in_[2 + i]);
        }
        complete = in_.size() >= hdr + len;
      }
    }
    if (!complete) {
      const int r = fill(deadline);
      if (r > 0) continue;
      RawFrame end;
      end.kind = r == 0 ? RawFrame::eof : RawFrame::timeout;
      return end;
    }
    const auto b0 = static_cast<unsigned char>(in_[0]);
    const bool fin = b0 & 0x80;
    const int opcode = b0 & 0x0F;
    std::string payload = in_.substr(hdr, static_cast<std::size_t>(len));
    if (static_cast<unsigned char>(in_[1]) & 0x80) {  // servers don't mask, but be tolerant
      const std::size_t k = hdr - 4;
      for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(payload[i] ^ in_[k + i % 4]);
    }
    in_.erase(0, hdr + static_cast<std::size_t>(len));
    if (opcode >= 0x8) {
      RawFrame c;
      c.kind = opcode == 0x8 ? RawFrame::close : opcode == 0x9 ? RawFrame::ping : RawFrame::pong;
      c.payload = std::move(payload);
      return c;
    }
    if (opcode != 0x0) {
      partial_kind_ = opcode == 0x1 ? RawFrame::text : RawFrame::binary;
      partial_rsv1_ = (b0 & 0x40) != 0;
      partial_.clear();
    }
    partial_ += payload;
    if (fin && partial_kind_ >= 0) {
      RawFrame msg;
      msg.kind = static_cast<RawFrame::Kind>(partial_kind_);
      msg.payload = std::move(partial_);
      msg.compressed = partial_rsv1_;
      partial_.clear();
      partial_kind_ = -1;
      return msg;
    }
  }
}

}  // namespace parley::test
