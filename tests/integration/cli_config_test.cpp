// The process contract: --help, the listening line, /healthz, and configuration
// precedence (flag > PARLEY_* environment > TOML file > default), observed through
// heartbeat_ms in the welcome and through limits the server enforces.
#include <fstream>

#include "api_client.hpp"
#include "parley_test.hpp"

namespace parley::test {
namespace {

class CliConfig : public ParleyTest {
protected:
  std::string write_toml(std::string_view body) {
    const auto path = work_dir() / "parley.toml";
    std::ofstream(path) << body;
    return path.string();
  }
  std::int64_t welcome_heartbeat(std::string_view user = "alice") {
    auto c = connect(user);
    return get_int(welcome_of(*c), "heartbeat_ms");
  }
};

TEST_F(CliConfig, HelpExitsZeroAndListsEveryFlag) {
  RunResult r = run_parleyd({"--help"}, {}, work_dir(), std::chrono::seconds(10));
  ASSERT_TRUE(r.status.has_value()) << "parleyd --help did not exit within 10 s";
  EXPECT_TRUE(r.status->ok()) << r.status->describe() << "\n" << r.err;
  const std::string text = r.out + r.err;
  for (const char* flag :
       {"--config", "--host", "--port", "--data-dir", "--jwt-secret", "--token-ttl-s", "--threads", "--heartbeat-ms",
        "--handshake-timeout-ms", "--max-frame-bytes", "--max-text-chars", "--rate-per-sec", "--rate-burst",
        "--queue-soft-bytes", "--queue-hard-bytes", "--max-conns-per-user", "--max-rooms-per-user",
        "--typing-timeout-ms", "--allowed-origins", "--web-root", "--log-level"}) {
    EXPECT_NE(text.find(flag), std::string::npos) << "--help does not mention " << flag << ":\n" << text;
  }
  EXPECT_EQ(text.find("parleyd listening on"), std::string::npos) << "--help started a server";
}

TEST_F(CliConfig, UnknownFlagFailsWithoutServing) {
  RunResult r = run_parleyd({"--no-such-flag", "1"}, {}, work_dir(), std::chrono::seconds(10));
  ASSERT_TRUE(r.status.has_value()) << "parleyd with an unknown flag kept running";
  EXPECT_FALSE(r.status->ok()) << "an unknown flag was accepted";
  EXPECT_EQ(r.out.find("parleyd listening on"), std::string::npos);
}

TEST_F(CliConfig, PrintsListeningLineWithTheBoundEphemeralPort) {
  ServerProcess& s = start_server();
  EXPECT_EQ(s.host(), "127.0.0.1");
  EXPECT_NE(s.port(), 0);
  EXPECT_EQ(s.listening_line(), "parleyd listening on http://127.0.0.1:" + std::to_string(s.port()));
  // Exactly one line on stdout; logs go to stderr.
  auto h = http_get(port(), "/healthz");
  EXPECT_EQ(s.stdout_text(), s.listening_line() + "\n");
  EXPECT_EQ(h.status, 200);
}

TEST_F(CliConfig, HealthzAnswers200) {
  start_server();
  HttpResponse r = http_get(port(), "/healthz");
  EXPECT_EQ(r.status, 200) << r.error << " " << r.body;
}

TEST_F(CliConfig, DefaultHeartbeatIs30000) {
  start_server();
  EXPECT_EQ(welcome_heartbeat(), 30000);
}

TEST_F(CliConfig, TomlFileSetsValues) {
  start_server({{"--config", write_toml("heartbeat_ms = 1111\nmax_text_chars = 10\n")}});
  EXPECT_EQ(welcome_heartbeat(), 1111);
  auto c = connect("bob");
  join(*c, "general");
  send_message(*c, "general", std::string(10, 'x'));
  post_message(*c, "general", std::string(11, 'x'));
  c->expect(error_with("too_large"), "too_large for 11 chars with max_text_chars = 10 in the file");
}

TEST_F(CliConfig, EnvironmentOverridesFile) {
  start_server({{"--config", write_toml("heartbeat_ms = 1111\n")}}, {{"PARLEY_HEARTBEAT_MS", "2222"}});
  EXPECT_EQ(welcome_heartbeat(), 2222);
}

TEST_F(CliConfig, EnvironmentAloneSetsValue) {
  start_server({}, {{"PARLEY_HEARTBEAT_MS", "2345"}});
  EXPECT_EQ(welcome_heartbeat(), 2345);
}

TEST_F(CliConfig, FlagOverridesEnvironmentAndFile) {
  start_server({{"--config", write_toml("heartbeat_ms = 1111\n")}, {"--heartbeat-ms", "3333"}},
               {{"PARLEY_HEARTBEAT_MS", "2222"}});
  EXPECT_EQ(welcome_heartbeat(), 3333);
}

TEST_F(CliConfig, SecretsComeFromFilesWhichWinOverTheValue) {
  // The fixture passes --jwt-secret; --jwt-secret-file comes as a flag too, and within one
  // source the file wins. The API keys come from a file named in the environment.
  const auto jwt = work_dir() / "jwt.txt";
  std::ofstream(jwt) << "secret-from-a-file\n";
  const auto keys = work_dir() / "keys.txt";
  std::ofstream(keys) << "k1-5b7a0c2e9d4f61a9b,k2-0e4c8a1f3b5d7e9c\n";
  start_server({{"--jwt-secret-file", jwt.string()}}, {{"PARLEY_API_KEYS_FILE", keys.string()}});
  WsClient good("file-secret"), bad("flag-secret");
  EXPECT_EQ(good.connect(port(), {.token = mint_token("secret-from-a-file", "alice", unix_now() + 600)}).status, 101)
      << "the file's secret (its trailing newline dropped) is not the one in use";
  EXPECT_EQ(bad.connect(port(), {.token = token("alice")}).status, 401) << "the --jwt-secret value won over the file";
  EXPECT_EQ(ApiClient(port(), "k2-0e4c8a1f3b5d7e9c").post("/api/v1/rooms", boost::json::object{{"room", "lobby"}}).status, 201);
}

TEST_F(CliConfig, SecretFileKeysWorkInTheTomlFile) {
  const auto jwt = work_dir() / "jwt.txt";
  std::ofstream(jwt) << "toml-file-secret";
  start_server({{"--jwt-secret", std::nullopt}, {"--config", write_toml("jwt_secret_file = \"" + jwt.string() + "\"\n")}});
  WsClient good("toml-secret");
  EXPECT_EQ(good.connect(port(), {.token = mint_token("toml-file-secret", "alice", unix_now() + 600)}).status, 101);
}

TEST_F(CliConfig, AMissingOrEmptySecretFileStopsTheStartAndSaysWhich) {
  const auto empty = work_dir() / "empty.txt";
  std::ofstream(empty) << "\n";
  for (const auto& [path, says] : {std::pair{(work_dir() / "absent.txt").string(), std::string("cannot read")},
                                   std::pair{empty.string(), std::string("is empty")}}) {
    RunResult r = run_parleyd({"--port", "0", "--data-dir", (work_dir() / "data").string(), "--store-password-file", path},
                              {}, work_dir(), std::chrono::seconds(10));
    ASSERT_TRUE(r.status.has_value()) << "parleyd started without its secret";
    EXPECT_TRUE(r.status->exited && r.status->code == 2) << r.status->describe();
    EXPECT_NE(r.err.find("store_password_file"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(says), std::string::npos) << r.err;
  }
}

TEST_F(CliConfig, JwtSecretFromEnvironment) {
  start_server({{"--jwt-secret", std::nullopt}}, {{"PARLEY_JWT_SECRET", "secret-from-env"}});
  WsClient good("env-secret"), bad("flag-secret");
  EXPECT_EQ(good.connect(port(), {.token = mint_token("secret-from-env", "alice", unix_now() + 600)}).status, 101);
  EXPECT_EQ(bad.connect(port(), {.token = token("alice")}).status, 401);
}

TEST_F(CliConfig, GeneratedSecretIsKeptInDataDirAcrossRestart) {
  start_server({{"--jwt-secret", std::nullopt}});
  // Without a configured secret, our kSecret is not the server's.
  WsClient foreign("foreign");
  EXPECT_EQ(foreign.connect(port(), {.token = token("alice")}).status, 401);

  HttpResponse reg = http_post_json(port(), "/api/register", {{"user", "alice"}, {"password", "correct horse"}});
  ASSERT_EQ(reg.status, 201) << reg.body;
  const std::string tok = get_str(reg.json().as_object(), "token");
  EXPECT_TRUE(std::filesystem::exists(data_dir() / "jwt.secret")) << "no jwt.secret in the data dir";

  restart_server();
  WsClient after("after-restart");
  EXPECT_EQ(after.connect(port(), {.token = tok}).status, 101) << "token minted before the restart was refused";

  // Another data dir gets another secret: the generated secret is random, not a constant.
  stop_server();
  const auto other_dir = work_dir() / "other-data";
  std::filesystem::create_directories(other_dir);
  start_server({{"--jwt-secret", std::nullopt}, {"--data-dir", other_dir.string()}});
  WsClient other("other-dir");
  EXPECT_EQ(other.connect(port(), {.token = tok}).status, 401) << "two data dirs share one generated secret";
}

}  // namespace
}  // namespace parley::test
