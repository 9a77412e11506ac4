#include "parley_test.hpp"

#include "protocol.hpp"

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <stdexcept>

namespace parley::test {
namespace json = boost::json;

ParleyTest::~ParleyTest() = default;

void ParleyTest::TearDown() {
  if (server_ && expect_running_ && !server_->running()) {
    ADD_FAILURE() << "parleyd exited during the test: " << server_->wait_exit(std::chrono::milliseconds(0))->describe();
  }
  if ((HasFailure() || std::getenv("PARLEY_TEST_LOG") != nullptr) && server_) {
    std::cerr << "---- parleyd stderr (" << server_->log_path().string() << ") ----\n"
              << tail_file(server_->log_path(), 16384) << "---- end of parleyd stderr ----\n";
    if (std::getenv("PARLEY_TEST_KEEP") != nullptr) {
      tmp_.keep();
      std::cerr << "kept " << tmp_.path().string() << "\n";
    }
  }
  server_.reset();
}

ServerProcess& ParleyTest::start_server(Flags flags, EnvVars env) {
  if (server_ && server_->running()) throw std::logic_error("start_server: a server is already running");
  std::filesystem::create_directories(data_dir());
  Flags all{{"--host", "127.0.0.1"},
            {"--port", "0"},
            {"--data-dir", data_dir().string()},
            {"--jwt-secret", std::string(kSecret)},
            {"--threads", "2"}};
  for (auto& [k, v] : flags) all[k] = v;
  flags_ = std::move(flags);
  env_ = std::move(env);
  ServerProcess::Options o;
  for (const auto& [k, v] : all) {
    if (!v) continue;
    o.args.push_back(k);
    o.args.push_back(*v);
  }
  o.env = env_;
  o.cwd = work_dir();
  o.log_path = work_dir() / "parleyd.log";
  ++starts_;
  if (starts_ > 1) {
    // Mark restarts in the shared log.
    std::FILE* f = std::fopen(o.log_path.c_str(), "a");
    if (f != nullptr) {
      std::fprintf(f, "==== test harness: start #%d ====\n", starts_);
      std::fclose(f);
    }
  }
  server_.reset();
  server_ = std::make_unique<ServerProcess>(std::move(o));
  expect_running_ = true;
  return *server_;
}

ServerProcess& ParleyTest::restart_server() {
  if (server_ && server_->running()) {
    ExitStatus st = stop_server();
    if (!st.ok()) throw std::runtime_error("restart: parleyd stopped with " + st.describe());
  }
  Flags f = flags_;
  EnvVars e = env_;
  return start_server(std::move(f), std::move(e));
}

ExitStatus ParleyTest::stop_server() {
  expect_running_ = false;
  server().signal(SIGTERM);
  auto st = server().wait_exit(std::chrono::seconds(10));
  if (!st) throw std::runtime_error("parleyd did not exit within 10 s of SIGTERM");
  return *st;
}

void ParleyTest::signal_server(int sig) {
  expect_running_ = false;
  server().signal(sig);
}

ExitStatus ParleyTest::kill_server() {
  expect_running_ = false;
  return server().kill9();
}

ServerProcess& ParleyTest::server() {
  if (!server_) throw std::logic_error("no server started");
  return *server_;
}

std::uint16_t ParleyTest::port() { return server().port(); }

std::string ParleyTest::token(std::string_view user, std::chrono::seconds ttl) const {
  return mint_token(kSecret, user, unix_now() + ttl.count());
}

ConnectResult ParleyTest::try_connect(WsClient& c, ConnectOptions opts) { return c.connect(port(), opts); }

void ParleyTest::await_presence(WsClient& watcher, std::string_view room) {
  // Named after every user of the tests: within one tick a room's changes go in name order.
  const std::string probe = "zz_probe" + std::to_string(probes_.size() + 1);
  probes_.push_back(connect(probe));
  join(*probes_.back(), room);
  watcher.expect(presence(std::string(room), probe, "online"), "the presence probe " + probe);
}

std::unique_ptr<WsClient> ParleyTest::connect(std::string_view user, ConnectOptions opts) {
  if (!opts.token && !opts.bearer) opts.token = token(user);
  auto c = std::make_unique<WsClient>(std::string(user) + "#" + std::to_string(++clients_));
  ConnectResult r = c->connect(port(), opts);
  if (!r.upgraded)
    throw std::runtime_error(c->name() + ": upgrade failed, HTTP " + std::to_string(r.status) + " " + r.error +
                             " " + r.body);
  if (opts.read) c->expect(is_type("welcome"), "welcome");
  return c;
}

json::object ParleyTest::welcome_of(const WsClient& c) {
  for (const auto& r : c.received())
    if (r.obj.if_contains("type") && r.obj.at("type") == "welcome") return r.obj;
  throw std::runtime_error(c.name() + ": no welcome received");
}

}  // namespace parley::test
