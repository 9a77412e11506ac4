#pragma once
// What the network layer needs from the rest of the node. Owned by the Node; outlives every
// session. Holds no Beast types so that it stays cheap to include.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "auth/jwt.hpp"
#include "common/clock.hpp"
#include "config/options.hpp"

namespace parley {

class ApiKeys;
class BlobStore;
class Hub;
class IpLimiter;
class Store;
class TlsConfig;
class WebhookOutbox;
class Hooks;
class LoginThrottle;
struct Metrics;

struct NetContext {
  const Options& options;
  Hub& hub;
  Store& store;
  const JwtCodec& jwt;
  Metrics& metrics;
  // Runs CPU-heavy work (password hashing) off the I/O threads.
  std::function<void(std::function<void()>)> run_blocking;
  // Runs `fn` on an I/O thread after `delay` (time limits of requests that wait on others).
  std::function<void(std::chrono::milliseconds delay, std::function<void()> fn)> run_after;
  // Readiness of the bus: empty when it is connected (always, on a single node), else why not.
  std::function<std::string()> bus_unavailable;
  Clock clock = Clock::system();  // token expiry, the ping-flood limit
  std::atomic<uint64_t> next_connection_id{1};
  std::atomic<bool> draining{false};  // set on shutdown: refuse new upgrades and requests
  TlsConfig* tls = nullptr;           // set: every connection is TLS (https, wss)
  IpLimiter* ip_limiter = nullptr;    // connections per client address
  const ApiKeys* api_keys = nullptr;  // the server API's keys (empty or null: the API is off)
  BlobStore* blobs = nullptr;         // uploads' content (null: uploads are off)
  WebhookOutbox* outbox = nullptr;    // the webhook deliveries (the server API lists and replays them)
  Hooks* hooks = nullptr;             // the application's connect hook (upgrades without a token)
  std::string node_id;                // this node's id (the fallback transport's session ids name it)
  std::string vapid_public_key;       // Web Push: the browsers' applicationServerKey (base64url)
  std::atomic<int> uploads_in_flight{0};  // bodies being received (UploadSlot)
  LoginThrottle* login_throttle = nullptr;  // failed logins and registrations per address and account
  std::atomic<int> hashes_in_flight{0};     // password hashes running (UploadSlot's counting)
};

}  // namespace parley
