#pragma once
// Where one Redis instance is and how to reach it: plain or TLS, with AUTH. Parsed from the
// `redis` setting (docs/cluster.md → "Secure links").
#include <optional>
#include <string>

namespace parley {

struct RedisEndpoint {
  std::string host;
  int port = 6379;
  bool tls = false;      // rediss://
  std::string user;      // AUTH user (Redis 6 ACL); empty: the default user
  std::string password;  // AUTH password; empty: no AUTH
  int db = 0;            // SELECT on the command connection

  // host:port, never the password: for logs and /readyz.
  std::string name() const { return host + ":" + std::to_string(port); }
};

// Parses "redis[s]://[user[:password]@]host[:port][/db]" (or "host:port"); percent-escapes in
// user and password are decoded. nullopt when malformed.
std::optional<RedisEndpoint> parse_redis_url(const std::string& url);

// Files for the TLS links (rediss://): the CA bundle that verifies the server (empty: the
// system's), and an optional client certificate and key for Redis's tls-auth-clients.
struct RedisTlsFiles {
  std::string ca;
  std::string cert;
  std::string key;
};

}  // namespace parley
