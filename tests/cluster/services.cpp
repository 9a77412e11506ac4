#include "services.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <system_error>

#include <libpq-fe.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net_util.hpp"
#include "server_process.hpp"  // read_file, tail_file

namespace parley::test::cluster {
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

std::size_t file_size_or_zero(const fs::path& p) {
  std::error_code ec;
  auto n = fs::file_size(p, ec);
  return ec ? 0 : static_cast<std::size_t>(n);
}

bool log_has(const fs::path& log, std::size_t offset, const std::string& needle) {
  const std::string all = read_file(log);
  return all.size() > offset && all.find(needle, offset) != std::string::npos;
}

// The number of attempts on fresh ports when a server could not bind the one it was given.
constexpr int kPortAttempts = 5;

}  // namespace

bool wait_log_line(ChildProcess& child, const fs::path& log, std::size_t offset, const std::string& needle,
                   std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  int ifd = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (ifd < 0) throw std::system_error(errno, std::generic_category(), "inotify_init1");
  ::inotify_add_watch(ifd, log.parent_path().c_str(), IN_MODIFY | IN_CREATE | IN_CLOSE_WRITE);
  bool found = false;
  for (;;) {
    if (log_has(log, offset, needle)) {
      found = true;
      break;
    }
    if (!child.running()) break;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) break;
    // The log changing or the process exiting wakes us; without a pidfd, look every 50 ms.
    const bool pidfd = child.pidfd() >= 0;
    pollfd fds[2] = {{ifd, POLLIN, 0}, {child.pidfd(), POLLIN, 0}};
    int r = ::poll(fds, pidfd ? 2 : 1, static_cast<int>(pidfd ? left : std::min<long long>(left, 50)));
    if (r < 0 && errno != EINTR) break;
    char buf[4096];
    while (::read(ifd, buf, sizeof buf) > 0) {
    }
  }
  if (!found) found = log_has(log, offset, needle);
  ::close(ifd);
  return found;
}

// ---------------------------------------------------------------------------------------
// Redis

RedisServer::RedisServer(fs::path dir, std::uint16_t port) : dir_(std::move(dir)), log_(dir_ / "redis.log") {
  fs::create_directories(dir_);
  if (port != 0) {
    start_on(port);
    return;
  }
  start_on_free_port();
}

RedisServer::RedisServer(fs::path dir, Options options)
    : dir_(std::move(dir)), log_(dir_ / "redis.log"), options_(std::move(options)) {
  fs::create_directories(dir_);
  start_on_free_port();
}

void RedisServer::start_on_free_port() {
  for (int attempt = 1;; ++attempt) {
    try {
      start_on(free_port());
      return;
    } catch (const std::exception&) {
      if (attempt >= kPortAttempts) throw;
    }
  }
}

RedisServer::~RedisServer() {
  if (proc_) {
    try {
      proc_->stop(SIGTERM, 5s);
    } catch (...) {
    }
  }
}

void RedisServer::start_on(std::uint16_t port) {
  const std::size_t offset = file_size_or_zero(log_);
  ChildProcess::Options o;
  o.argv = {"redis-server",  "--port",       std::to_string(port), "--bind",        "127.0.0.1",
            "--save",        "",             "--appendonly",       "no",            "--dir",
            dir_.string(),   "--daemonize",  "no",                 "--logfile",     "",
            "--protected-mode", "no",        "--databases",        "2"};
  if (!options_.tls_cert.empty()) {
    o.argv[2] = "0";
    for (const std::string& a : {std::string("--tls-port"), std::to_string(port), std::string("--tls-cert-file"),
                                 options_.tls_cert.string(), std::string("--tls-key-file"), options_.tls_key.string(),
                                 std::string("--tls-auth-clients"), std::string("no")}) {
      o.argv.push_back(a);
    }
  }
  o.argv.insert(o.argv.end(), options_.args.begin(), options_.args.end());
  o.cwd = dir_;
  o.log_path = log_;
  auto p = std::make_unique<ChildProcess>(std::move(o));
  if (!wait_log_line(*p, log_, offset, "Ready to accept connections", kStartTimeout)) {
    const std::string why = p->running() ? "no ready line within the deadline" : "it exited";
    p->kill9();
    throw std::runtime_error("redis-server on port " + std::to_string(port) + " did not start (" + why +
                             "); log:\n" + tail_file(log_, 4096));
  }
  port_ = port;
  proc_ = std::move(p);
}

void RedisServer::start() {
  if (proc_ && proc_->running()) throw std::logic_error("redis-server is already running");
  proc_.reset();
  start_on(port_);
}

ExitStatus RedisServer::stop() {
  if (!proc_) throw std::logic_error("redis-server is not running");
  return proc_->stop(SIGTERM, 10s);
}

ExitStatus RedisServer::kill9() {
  if (!proc_) throw std::logic_error("redis-server is not running");
  return proc_->kill9();
}

// ---------------------------------------------------------------------------------------
// PostgreSQL

fs::path PostgresServer::bindir() {
  if (const char* e = std::getenv("PARLEY_PG_BINDIR"); e != nullptr && *e != '\0') return e;
  std::vector<std::pair<int, fs::path>> found;
  std::error_code ec;
  for (const auto& d : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const fs::path bin = d.path() / "bin";
    if (::access((bin / "initdb").c_str(), X_OK) == 0 && ::access((bin / "postgres").c_str(), X_OK) == 0) {
      int v = std::atoi(d.path().filename().c_str());
      found.emplace_back(v, bin);
    }
  }
  if (!found.empty()) return std::max_element(found.begin(), found.end())->second;
  const std::string initdb = find_program("initdb");
  if (!initdb.empty()) return fs::path(initdb).parent_path();
  return {};
}

PostgresServer::PostgresServer(fs::path dir) : PostgresServer(std::move(dir), Options{}) {}

PostgresServer::PostgresServer(fs::path dir, Options options)
    : dir_(std::move(dir)), log_(dir_.parent_path() / "postgres.log") {
  const fs::path bin = bindir();
  if (bin.empty())
    throw std::runtime_error("PostgreSQL (initdb, postgres) not found: run scripts/cluster-deps.sh");
  run_as_ = postgres_user_if_root();
  fs::create_directories(dir_);
  if (run_as_) {
    // The postgres user must reach its directory through the suite's temporary directory
    // (mkdtemp makes it 0700): let others traverse it, nothing more.
    const fs::path parent = dir_.parent_path();
    struct stat st {};
    if (::stat(parent.c_str(), &st) == 0 && (st.st_mode & S_IXOTH) == 0) ::chmod(parent.c_str(), (st.st_mode & 07777) | 0711);
    if (::chown(dir_.c_str(), run_as_->uid, run_as_->gid) != 0)
      throw std::system_error(errno, std::generic_category(), "chown " + dir_.string());
  }
  const fs::path data = dir_ / "data";
  {
    ChildProcess::Options o;
    o.argv = {(bin / "initdb").string(), "-D", data.string(), "-U", "postgres", "-A", "trust", "-E", "UTF8",
              "--locale=C", "--no-sync"};
    o.cwd = dir_;
    o.log_path = log_;
    o.run_as = run_as_;
    o.env = {{"LC_ALL", "C"}, {"TZ", "UTC"}};
    run_checked(std::move(o), 120s);
  }
  std::vector<std::string> tls_args;
  if (!options.tls_cert.empty()) {
    // postgres wants its key readable by its own user only.
    for (const auto& [from, name] : {std::pair{options.tls_cert, "server.crt"}, std::pair{options.tls_key, "server.key"}}) {
      fs::copy_file(from, data / name, fs::copy_options::overwrite_existing);
      fs::permissions(data / name, fs::perms::owner_read | fs::perms::owner_write);
      if (run_as_ && ::chown((data / name).c_str(), run_as_->uid, run_as_->gid) != 0)
        throw std::system_error(errno, std::generic_category(), "chown " + (data / name).string());
    }
    tls_args = {"-c", "ssl=on", "-c", "ssl_cert_file=server.crt", "-c", "ssl_key_file=server.key"};
  }
  if (!options.hba_first.empty()) {
    std::string hba;
    for (auto& line : options.hba_first) hba += line + "\n";
    hba += read_file(data / "pg_hba.conf");
    std::ofstream(data / "pg_hba.conf", std::ios::trunc) << hba;
  }
  for (int attempt = 1;; ++attempt) {
    const std::uint16_t port = free_port();
    const std::size_t offset = file_size_or_zero(log_);
    ChildProcess::Options o;
    // fsync off: the suite kills parleyd, never PostgreSQL, so commits only need to reach
    // the server; this keeps a run on a slow CI disk fast.
    o.argv = {(bin / "postgres").string(), "-D", data.string(), "-p", std::to_string(port),
              "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=" + dir_.string(),
              "-c", "fsync=off", "-c", "full_page_writes=off", "-c", "max_connections=300",
              "-c", "shared_buffers=32MB", "-c", "logging_collector=off", "-c", "log_min_messages=warning",
              "-c", "log_min_error_statement=panic"};
    o.argv.insert(o.argv.end(), tls_args.begin(), tls_args.end());
    o.cwd = dir_;
    o.log_path = log_;
    o.run_as = run_as_;
    o.env = {{"LC_ALL", "C"}, {"TZ", "UTC"}};
    auto p = std::make_unique<ChildProcess>(std::move(o));
    if (wait_log_line(*p, log_, offset, "database system is ready to accept connections", kStartTimeout)) {
      port_ = port;
      proc_ = std::move(p);
      return;
    }
    const bool exited = !p->running();
    p->kill9();
    if (!exited || attempt >= kPortAttempts)
      throw std::runtime_error("postgres did not start; log:\n" + tail_file(log_, 4096));
  }
}

PostgresServer::~PostgresServer() {
  if (proc_) {
    try {
      proc_->stop(SIGINT, 10s);
    } catch (...) {
    }
  }
}

ExitStatus PostgresServer::stop() {
  if (!proc_) throw std::logic_error("postgres is not running");
  return proc_->stop(SIGINT, 10s);
}

std::string PostgresServer::uri(const std::string& db) const {
  return "postgres://postgres@127.0.0.1:" + std::to_string(port_) + "/" + db;
}

namespace {

struct PgConn {
  PGconn* c = nullptr;
  explicit PgConn(const std::string& uri) {
    c = PQconnectdb((uri + "?connect_timeout=10").c_str());
    if (PQstatus(c) != CONNECTION_OK) {
      std::string err = PQerrorMessage(c);
      PQfinish(c);
      throw std::runtime_error("libpq connect " + uri + ": " + err);
    }
    PQsetNoticeProcessor(c, [](void*, const char*) {}, nullptr);  // "does not exist, skipping"
  }
  ~PgConn() { PQfinish(c); }
};

}  // namespace

void PostgresServer::exec(const std::string& sql, const std::string& db) const {
  PgConn conn(uri(db));
  PGresult* r = PQexec(conn.c, sql.c_str());
  const auto st = PQresultStatus(r);
  std::string err = PQresultErrorMessage(r);
  PQclear(r);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) throw std::runtime_error("SQL `" + sql + "`: " + err);
}

std::string PostgresServer::query_value(const std::string& sql, const std::string& db) const {
  PgConn conn(uri(db));
  PGresult* r = PQexec(conn.c, sql.c_str());
  if (PQresultStatus(r) != PGRES_TUPLES_OK) {
    std::string err = PQresultErrorMessage(r);
    PQclear(r);
    throw std::runtime_error("SQL `" + sql + "`: " + err);
  }
  std::string v = PQntuples(r) > 0 && PQnfields(r) > 0 ? PQgetvalue(r, 0, 0) : "";
  PQclear(r);
  return v;
}

std::string PostgresServer::create_database(const std::string& name) const {
  exec("DROP DATABASE IF EXISTS \"" + name + "\" WITH (FORCE)");
  exec("CREATE DATABASE \"" + name + "\"");
  return uri(name);
}

// ---------------------------------------------------------------------------------------
// nginx

std::string NginxProxy::config(const fs::path& prefix, std::uint16_t listen_port,
                               const std::vector<std::uint16_t>& upstream_ports) {
  const std::string p = prefix.string();
  std::string servers;
  for (auto port : upstream_ports)
    servers += "    server 127.0.0.1:" + std::to_string(port) + " max_fails=1 fail_timeout=5s;\n";
  return "# Generated by the parley cluster test suite (tests/cluster/services.cpp).\n"
         "daemon off;\n"
         "master_process off;\n"  // one process, which dies with the test (PR_SET_PDEATHSIG)
         "worker_processes 1;\n"
         "pid " + p + "/nginx.pid;\n"
         "error_log " + p + "/error.log info;\n"
         "events { worker_connections 1024; }\n"
         "http {\n"
         "  access_log " + p + "/access.log;\n"
         "  client_body_temp_path " + p + "/client_body;\n"
         "  proxy_temp_path " + p + "/proxy;\n"
         "  fastcgi_temp_path " + p + "/fastcgi;\n"
         "  uwsgi_temp_path " + p + "/uwsgi;\n"
         "  scgi_temp_path " + p + "/scgi;\n"
         "  map $http_upgrade $connection_upgrade { default upgrade; '' close; }\n"
         "  upstream parley {\n"
         "    least_conn;\n" + servers +
         "  }\n"
         "  server {\n"
         "    listen 127.0.0.1:" + std::to_string(listen_port) + ";\n"
         "    location / {\n"
         "      proxy_pass http://parley;\n"
         "      proxy_http_version 1.1;\n"
         "      proxy_set_header Upgrade $http_upgrade;\n"
         "      proxy_set_header Connection $connection_upgrade;\n"
         "      proxy_set_header Host $http_host;\n"
         "      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
         "      proxy_connect_timeout 2s;\n"
         "      proxy_read_timeout 3600s;\n"
         "      proxy_send_timeout 3600s;\n"
         "      proxy_buffering off;\n"
         "      client_max_body_size 11m;\n"
         "      proxy_request_buffering off;\n"
         "      proxy_next_upstream error timeout http_502 http_503;\n"
         "    }\n"
         "  }\n"
         "}\n";
}

NginxProxy::NginxProxy(fs::path dir, std::vector<std::uint16_t> upstream_ports)
    : dir_(std::move(dir)), conf_(dir_ / "nginx.conf"), error_log_(dir_ / "error.log") {
  const std::string nginx = find_program("nginx");
  if (nginx.empty()) throw std::runtime_error("nginx not found: run scripts/cluster-deps.sh");
  fs::create_directories(dir_);
  for (int attempt = 1;; ++attempt) {
    const std::uint16_t port = free_port();
    {
      std::ofstream out(conf_, std::ios::trunc);
      out << config(dir_, port, upstream_ports);
    }
    ChildProcess::Options o;
    o.argv = {nginx, "-p", dir_.string() + "/", "-c", conf_.string(), "-e", error_log_.string()};
    o.cwd = dir_;
    o.log_path = dir_ / "stderr.log";
    auto p = std::make_unique<ChildProcess>(std::move(o));
    ChildProcess* raw = p.get();
    if (wait_port_open(port, kStartTimeout, [raw] { return raw->running(); })) {
      port_ = port;
      proc_ = std::move(p);
      return;
    }
    const bool exited = !p->running();
    p->kill9();
    if (!exited || attempt >= kPortAttempts)
      throw std::runtime_error("nginx did not start; error log:\n" + tail_file(error_log_, 4096) +
                               tail_file(dir_ / "stderr.log", 2048));
  }
}

NginxProxy::~NginxProxy() {
  if (proc_) {
    try {
      proc_->stop(SIGTERM, 5s);
    } catch (...) {
    }
  }
}

ExitStatus NginxProxy::stop() {
  if (!proc_) throw std::logic_error("nginx is not running");
  return proc_->stop(SIGTERM, 10s);
}

}  // namespace parley::test::cluster
