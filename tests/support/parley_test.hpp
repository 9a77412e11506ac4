// The GoogleTest fixture every integration test derives from: one parleyd per test on
// 127.0.0.1:0 with a fresh temporary data directory (kept across restarts within the
// test), a known JWT secret so tests mint their own tokens, and the server's stderr log
// printed when the test fails (always with PARLEY_TEST_LOG=1; the temporary directory is
// kept on failure with PARLEY_TEST_KEEP=1; PARLEYD_BIN overrides the binary under test).
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "api_client.hpp"
#include "http_client.hpp"
#include "jwt.hpp"
#include "metrics_scrape.hpp"
#include "protocol.hpp"
#include "raw_socket.hpp"
#include "server_process.hpp"
#include "temp_dir.hpp"
#include "ws_client.hpp"

namespace parley::test {

inline constexpr std::string_view kSecret = "parley-integration-secret-7d41c0";

// Command-line flags by name ("--heartbeat-ms"); a nullopt value removes a default flag.
using Flags = std::map<std::string, std::optional<std::string>>;

class ParleyTest : public ::testing::Test {
protected:
  ~ParleyTest() override;
  void TearDown() override;

  // Starts parleyd with the default test flags
  //   --host 127.0.0.1 --port 0 --data-dir <tmp>/data --jwt-secret kSecret --threads 2
  // overridden by `flags`, and `env` added to the environment.
  ServerProcess& start_server(Flags flags = {}, EnvVars env = {});
  // Stops a running server gracefully (SIGTERM, expecting exit 0) and starts it again with
  // the same flags, environment and data directory.
  ServerProcess& restart_server();
  // SIGTERM and wait up to 10 s; throws if it does not exit.
  ExitStatus stop_server();
  // kill -9.
  ExitStatus kill_server();
  // Sends `sig` (the server is expected to exit; TearDown no longer flags its exit).
  void signal_server(int sig);

  ServerProcess& server();
  std::uint16_t port();
  std::filesystem::path data_dir() const { return tmp_.path() / "data"; }
  std::filesystem::path work_dir() const { return tmp_.path(); }

  std::string token(std::string_view user, std::chrono::seconds ttl = std::chrono::hours(1)) const;
  // A connected client for `user` (token minted with kSecret unless opts carry one) whose
  // welcome has arrived; throws if the upgrade fails or no welcome comes.
  std::unique_ptr<WsClient> connect(std::string_view user, ConnectOptions opts = {});
  // Only the upgrade: the result tells the HTTP status.
  ConnectResult try_connect(WsClient& c, ConnectOptions opts);
  // The welcome a client got.
  static boost::json::object welcome_of(const WsClient& c);
  // Every presence change made before this call has reached `watcher`, a member of `room`:
  // presence leaves the server at its next tick, and a probe user's online, announced after
  // those changes, arrives with them or later. Each probe stays connected for the test.
  void await_presence(WsClient& watcher, std::string_view room);

private:
  TempDir tmp_;
  std::unique_ptr<ServerProcess> server_;
  Flags flags_;
  EnvVars env_;
  int starts_ = 0;
  int clients_ = 0;
  bool expect_running_ = false;
  std::vector<std::unique_ptr<WsClient>> probes_;
};

}  // namespace parley::test
