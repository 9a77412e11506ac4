// The real servers around the parleyd nodes, each on 127.0.0.1 with its files in a
// directory of the caller's temporary directory, stopped by its destructor:
//
//   RedisServer     redis-server --port N --save '' --appendonly no (no persistence)
//   PostgresServer  initdb into the directory, then postgres on its own port, trust auth on
//                   127.0.0.1, the Unix socket in the directory; as root it runs as `postgres`
//   NginxProxy      nginx in the foreground with a generated config: an upstream of the
//                   nodes, WebSocket upgrade headers, long read timeouts
//
// Readiness is awaited as an event: the server's own "ready" log line (inotify on the log,
// together with the process's pidfd so an early exit ends the wait at once), or for nginx,
// which logs none, the port accepting connections. A port taken between free_port() and the
// server's bind makes the server exit; start() then retries on another port.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "child_process.hpp"

namespace parley::test::cluster {

inline constexpr std::chrono::milliseconds kStartTimeout{30000};

// Waits until the file, from byte `offset` on, contains `needle`; false at the deadline or
// once `child` has exited without it.
bool wait_log_line(ChildProcess& child, const std::filesystem::path& log, std::size_t offset,
                   const std::string& needle, std::chrono::milliseconds timeout);

class RedisServer {
public:
  struct Options {
    // TLS only (tls-port, no plain port; clients need no certificate) with this pair.
    std::filesystem::path tls_cert, tls_key;
    // More redis-server arguments, e.g. {"--requirepass", "pw"} or an ACL
    // {"--user", "name", "on", ">pw", "~*", "&*", "+@all"}.
    std::vector<std::string> args;
  };
  // Starts on `port` (0: a free one).
  RedisServer(std::filesystem::path dir, std::uint16_t port = 0);
  RedisServer(std::filesystem::path dir, Options options);
  ~RedisServer();

  std::uint16_t port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  const std::filesystem::path& log_path() const { return log_; }
  bool running() { return proc_ && proc_->running(); }

  // Starts again on the same port (after stop or kill9).
  void start();
  ExitStatus stop();   // SIGTERM
  ExitStatus kill9();

private:
  void start_on(std::uint16_t port);
  void start_on_free_port();
  std::filesystem::path dir_, log_;
  Options options_;
  std::uint16_t port_ = 0;
  std::unique_ptr<ChildProcess> proc_;
};

class PostgresServer {
public:
  struct Options {
    // ssl = on with this pair (copied into the server's directory, owned by its user).
    std::filesystem::path tls_cert, tls_key;
    // pg_hba.conf lines put before initdb's (which trust every local connection), e.g.
    // "hostssl all parley 127.0.0.1/32 scram-sha-256".
    std::vector<std::string> hba_first;
  };
  // initdb + start on a free port.
  explicit PostgresServer(std::filesystem::path dir);
  PostgresServer(std::filesystem::path dir, Options options);
  ~PostgresServer();

  std::uint16_t port() const { return port_; }
  const std::filesystem::path& log_path() const { return log_; }
  bool running() { return proc_ && proc_->running(); }

  // A libpq connection URI for `db` as the superuser `postgres` over TCP.
  std::string uri(const std::string& db) const;
  // Runs SQL statements on `db`; throws with the server's message on error.
  void exec(const std::string& sql, const std::string& db = "postgres") const;
  // One value of a query (first row, first column), as text.
  std::string query_value(const std::string& sql, const std::string& db = "postgres") const;
  // CREATE DATABASE `name` (dropping an old one of that name); returns uri(name).
  std::string create_database(const std::string& name) const;

  ExitStatus stop();  // SIGINT: fast shutdown

  // Where initdb and postgres live: $PARLEY_PG_BINDIR, else the newest
  // /usr/lib/postgresql/<v>/bin, else PATH. Empty if none.
  static std::filesystem::path bindir();

private:
  std::filesystem::path dir_, log_;
  std::uint16_t port_ = 0;
  std::optional<RunAs> run_as_;
  std::unique_ptr<ChildProcess> proc_;
};

class NginxProxy {
public:
  // Starts nginx on a free port in front of `upstream_ports` (127.0.0.1).
  NginxProxy(std::filesystem::path dir, std::vector<std::uint16_t> upstream_ports);
  ~NginxProxy();

  std::uint16_t port() const { return port_; }
  const std::filesystem::path& error_log() const { return error_log_; }
  const std::filesystem::path& conf_path() const { return conf_; }
  bool running() { return proc_ && proc_->running(); }
  ExitStatus stop();

  // The generated configuration (also written to conf_path()).
  static std::string config(const std::filesystem::path& prefix, std::uint16_t listen_port,
                            const std::vector<std::uint16_t>& upstream_ports);

private:
  std::filesystem::path dir_, conf_, error_log_;
  std::uint16_t port_ = 0;
  std::unique_ptr<ChildProcess> proc_;
};

}  // namespace parley::test::cluster
