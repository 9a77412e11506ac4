#pragma once
// What the network layer needs from the rest of the node. Owned by the Node; outlives every
// session. Holds no Beast types so that it stays cheap to include.
#include <atomic>
#include <cstdint>
#include <functional>

#include "auth/jwt.hpp"
#include "config/options.hpp"

namespace parley {

class Hub;
class IpLimiter;
class Store;
class TlsConfig;

struct NetContext {
  const Options& options;
  Hub& hub;
  Store& store;
  const JwtCodec& jwt;
  // Runs CPU-heavy work (password hashing) off the I/O threads.
  std::function<void(std::function<void()>)> run_blocking;
  std::atomic<uint64_t> next_connection_id{1};
  std::atomic<bool> draining{false};  // set on shutdown: refuse new upgrades and requests
  TlsConfig* tls = nullptr;           // set: every connection is TLS (https, wss)
  IpLimiter* ip_limiter = nullptr;    // connections per client address
};

}  // namespace parley
