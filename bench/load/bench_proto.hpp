#pragma once
// The wire protocols parley-bench speaks: parley's own (docs/protocol.md), the bench protocol
// of the Node peers in bench/peers (a subset of parley's, plain WebSocket: ws-redis), and the
// same bench protocol inside Engine.IO v4 / Socket.IO v5 packets (socketio). Frames are built
// from per-connection templates; received frames are unwrapped to their JSON payload without
// copying.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

enum class Protocol { parley, ws_redis, socketio };

inline std::optional<Protocol> parse_protocol(std::string_view s) {
  if (s == "parley") return Protocol::parley;
  if (s == "ws-redis") return Protocol::ws_redis;
  if (s == "socketio") return Protocol::socketio;
  return std::nullopt;
}

inline const char* protocol_name(Protocol p) {
  switch (p) {
    case Protocol::parley: return "parley";
    case Protocol::ws_redis: return "ws-redis";
    case Protocol::socketio: return "socketio";
  }
  return "?";
}

// Why a scenario cannot run against a server speaking `p`; empty when it can.
inline std::string unsupported_reason(Protocol p, const std::string& scenario) {
  if (scenario == "history" && p != Protocol::parley)
    return std::string("the ") + protocol_name(p) +
           " bench protocol has no sync/history (bench/peers/README.md), so there is nothing to measure";
  return {};
}

// One server address: ws://host:port/path.
struct Target {
  std::string url, host, path;
  uint16_t port = 0;
};

// The HTTP request target of the WebSocket upgrade.
inline std::string upgrade_target(Protocol p, const Target& t, const std::string& token) {
  if (p == Protocol::socketio) {
    std::string path = (t.path == "/ws" || t.path == "/" || t.path.empty()) ? "/socket.io/" : t.path;
    return path + "?EIO=4&transport=websocket&token=" + token;
  }
  return t.path + "?token=" + token;
}

inline std::string join_frame(Protocol p, const std::string& room) {
  switch (p) {
    case Protocol::parley: return R"({"type":"join","room":")" + room + R"(","ref":1})";
    case Protocol::ws_redis: return R"({"type":"join","room":")" + room + R"("})";
    case Protocol::socketio: return R"(42["join",{"room":")" + room + R"("}])";
  }
  return {};
}

// A message frame is prefix + <counter> + text_open + <text> + suffix.
struct MessageTemplate {
  std::string prefix, text_open = R"(","text":")", suffix;
};

inline MessageTemplate message_template(Protocol p, const std::string& room, const std::string& user) {
  MessageTemplate m;
  if (p == Protocol::socketio) {
    m.prefix = R"(42["message",{"room":")" + room + R"(","id":")" + user + "-";
    m.suffix = R"("}])";
  } else {
    m.prefix = R"({"type":"message","room":")" + room + R"(","id":")" + user + "-";
    m.suffix = R"("})";
  }
  return m;
}

inline std::string history_frame(const std::string& room, int64_t ref, bool sync) {
  if (sync)
    return R"({"type":"sync","room":")" + room + R"(","after":0,"limit":50,"ref":)" + std::to_string(ref) + "}";
  return R"({"type":"history","room":")" + room + R"(","limit":50,"ref":)" + std::to_string(ref) + "}";
}

// What a received frame is once the transport framing is off.
enum class Packet {
  event,         // payload: one JSON object of the (bench) protocol
  eio_open,      // Engine.IO open: answer with a Socket.IO CONNECT ("40")
  sio_connected, // Socket.IO CONNECT ack: the session is authenticated
  sio_refused,   // Socket.IO CONNECT_ERROR (bad token)
  eio_ping,      // answer "3"
  closed,        // Engine.IO close / Socket.IO DISCONNECT
  ignored,
};

struct Unwrapped {
  Packet kind;
  std::string_view payload;
};

inline Unwrapped unwrap(Protocol p, std::string_view f) {
  if (p != Protocol::socketio) return {Packet::event, f};
  if (f.empty()) return {Packet::ignored, {}};
  switch (f[0]) {
    case '0': return {Packet::eio_open, f.substr(1)};
    case '1': return {Packet::closed, {}};
    case '2': return {Packet::eio_ping, {}};
    case '4': break;
    default: return {Packet::ignored, {}};
  }
  if (f.size() < 2) return {Packet::ignored, {}};
  switch (f[1]) {
    case '0': return {Packet::sio_connected, f.substr(2)};
    case '1': return {Packet::closed, {}};
    case '4': return {Packet::sio_refused, f.substr(2)};
    case '2': break;
    default: return {Packet::ignored, {}};
  }
  // 42["name",{...}]: the payload is the object after the event name.
  std::string_view a = f.substr(2);
  if (a.size() < 4 || a.front() != '[' || a.back() != ']' || a[1] != '"') return {Packet::ignored, {}};
  auto close_quote = a.find('"', 2);
  if (close_quote == std::string_view::npos || close_quote + 1 >= a.size() || a[close_quote + 1] != ',')
    return {Packet::ignored, {}};
  return {Packet::event, a.substr(close_quote + 2, a.size() - close_quote - 3)};
}
