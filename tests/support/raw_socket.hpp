// A blocking TCP connection to the server with deadlines, for what a well-behaved client
// library will not do: send nothing at all, stall mid-handshake, send a text frame with
// invalid UTF-8, never answer pings, or never read.
//
// The WebSocket part is the minimum a test needs (masked frames out; frames in,
// continuations joined); it is test scaffolding, not a WebSocket implementation.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parley::test {

struct RawFrame {
  enum Kind { text, binary, close, ping, pong, eof, timeout };
  Kind kind = timeout;
  std::string payload;
  bool compressed = false;  // RSV1 on the message's first frame (permessage-deflate)
  // Close code of a close frame (0 if it has none).
  int close_code() const;
  const char* kind_name() const;
};

class RawSocket {
public:
  // Connects to 127.0.0.1:port. A non-zero `rcvbuf` sets SO_RCVBUF before connecting,
  // which keeps the advertised TCP window small. `source` binds the local end to that
  // loopback address first (e.g. "127.0.0.2": another client address).
  explicit RawSocket(std::uint16_t port, int rcvbuf = 0, const char* source = nullptr);
  ~RawSocket();
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  // Throws on error.
  void send_all(std::string_view bytes);
  // Best effort; false if the peer is gone.
  bool try_send_all(std::string_view bytes);

  // Reads and discards until the peer closes the connection (EOF or reset). False if
  // it is still open at the deadline.
  bool wait_peer_closed(std::chrono::milliseconds timeout);

  // Sends an upgrade request for `target` and reads the response head; returns the
  // HTTP status (0 if the connection closed or the deadline passed first).
  int upgrade(std::string_view target, const std::vector<std::pair<std::string, std::string>>& headers = {},
              std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // Sends `request` (a whole HTTP/1.1 request, as is) and reads one response with a
  // Content-Length body into `body`; returns the status (0 if the connection closed or the
  // deadline passed first). The connection stays open when the server keeps it alive.
  int http_exchange(std::string_view request, std::string& body,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // One masked frame. opcode: 0x0 continuation, 0x1 text, 0x2 binary, 0x8 close, 0x9 ping, 0xA pong.
  void send_frame(std::uint8_t opcode, std::string_view payload, bool fin = true);
  // The status line and headers of the last upgrade() response.
  const std::string& response_head() const { return response_head_; }

  // The next complete message (continuation frames joined) or control frame; kind eof
  // when the peer closed the connection, timeout at the deadline.
  RawFrame read_frame(std::chrono::milliseconds timeout);

  // Skips frames until a close frame, EOF or the deadline, and returns that one.
  RawFrame read_until_close(std::chrono::milliseconds timeout);

  // Changes SO_RCVBUF on the connected socket (e.g. to read a backlog quickly).
  void set_rcvbuf(int bytes);

  void close();
  int fd() const { return fd_; }

private:
  // Appends to in_ what one recv() returns; 1 data, 0 eof/reset, -1 deadline.
  int fill(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::uint16_t port_;
  std::string in_;
  std::string partial_;    // a fragmented message being joined
  int partial_kind_ = -1;  // its RawFrame::Kind, -1 when none
  bool partial_rsv1_ = false;
  std::string response_head_;
};

}  // namespace parley::test
