#pragma once
// parleyctl's HTTP client: one request at a time to a parley server over HTTP or HTTPS (the
// system's CA certificates, or --ca), with a time limit on the whole exchange.
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace parleyctl {

// Where the server is: http[s]://host[:port][/prefix] (a prefix when it sits behind a proxy
// under a path).
struct Endpoint {
  bool tls = false;
  std::string host;
  std::string port;
  std::string prefix;  // "" or "/chat", no trailing slash
};
// The endpoint of `url`, or nullopt with `why` set.
std::optional<Endpoint> parse_endpoint(std::string_view url, std::string& why);

struct TlsOptions {
  std::string ca_file;  // empty: the system's trust store
  bool insecure = false;  // do not verify the server's certificate (testing only)
};

struct Reply {
  int status = 0;
  std::string body;
};

// Raised when no answer came: the server unreachable, TLS refused, the time limit passed.
struct TransportError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class ApiClient {
 public:
  ApiClient(Endpoint endpoint, std::string key, TlsOptions tls, std::chrono::milliseconds timeout)
      : endpoint_(std::move(endpoint)), key_(std::move(key)), tls_(std::move(tls)), timeout_(timeout) {}

  // `target` is the path and query after the endpoint's prefix ("/api/v1/rooms?limit=5");
  // `body`, when given, is sent as JSON. Throws TransportError when no answer came.
  Reply request(std::string_view method, const std::string& target, const std::optional<std::string>& body = {}) const;

 private:
  Endpoint endpoint_;
  std::string key_;
  TlsOptions tls_;
  std::chrono::milliseconds timeout_;
};

// A path segment with everything but unreserved characters percent-encoded.
std::string segment(std::string_view s);

}  // namespace parleyctl
