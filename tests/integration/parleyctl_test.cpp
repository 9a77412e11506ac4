// parleyctl (tools/parleyctl, docs/parleyctl.md) against a real parleyd: the key from
// PARLEY_API_KEY or a file, tables and --json, rooms, members, roles, moderation, publish,
// history, users, search, connections, health; refusals exit 1 with the server's code, usage
// errors 2, no server 3.
#include <boost/json/parse.hpp>
#include <fstream>
#include <sstream>

#include "parley_test.hpp"

#ifndef PARLEYCTL_PATH
#error "PARLEYCTL_PATH must be defined by the build"
#endif

namespace parley::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

const std::string kKey = "parleyctl-test-key-61f0a2d4";

class Parleyctl : public ParleyTest {
protected:
  void SetUp() override { start_server({{"--api-keys", kKey}}); }
  std::string url() { return "http://127.0.0.1:" + std::to_string(port()); }

  // Runs parleyctl with the key in PARLEY_API_KEY (unless `env` says otherwise).
  RunResult ctl(std::vector<std::string> args, EnvVars env = {}, const std::string& input = {}) {
    env.emplace("PARLEY_URL", url());
    env.emplace("PARLEY_API_KEY", kKey);
    RunResult r = run_program(PARLEYCTL_PATH, args, env, work_dir(), 20s, input);
    if (!r.status) ADD_FAILURE() << "parleyctl did not exit within 20 s";
    return r;
  }
  // Runs it and expects exit 0; returns stdout.
  std::string ok(std::vector<std::string> args) {
    RunResult r = ctl(args);
    std::string joined;
    for (auto& a : args) joined += a + " ";
    EXPECT_TRUE(r.status && r.status->ok()) << "parleyctl " << joined << ": " << (r.status ? r.status->describe() : "")
                                            << "\n" << r.out << r.err;
    return r.out;
  }
  static int code(const RunResult& r) { return r.status && r.status->exited ? r.status->code : -1; }
  // A table's lines split into cells on runs of spaces (cells hold no double space here).
  static std::vector<std::vector<std::string>> table(const std::string& out) {
    std::vector<std::vector<std::string>> rows;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) {
      std::vector<std::string> cells;
      std::istringstream words(line);
      for (std::string w; words >> w;) cells.push_back(w);
      rows.push_back(std::move(cells));
    }
    return rows;
  }
};

using Rows = std::vector<std::vector<std::string>>;

TEST_F(Parleyctl, ManagesARoomItsMembersAndTheirMessages) {
  EXPECT_NE(ok({"rooms", "create", "general"}).find("created: true"), std::string::npos);
  ok({"members", "add", "general", "alice"});
  ok({"members", "add", "general", "bob"});
  ok({"members", "role", "general", "alice", "moderator"});
  EXPECT_EQ(table(ok({"members", "list", "general"})),
            (Rows{{"USER", "ROLE", "READ_SEQ"}, {"alice", "moderator", "0"}, {"bob", "member", "0"}}));
  // --json prints the server's answer as it is.
  ApiClient api(port(), kKey);
  EXPECT_EQ(json::parse(ok({"--json", "members", "list", "general"})), json::value(body_of(api.get("/api/v1/rooms/general/members"))));

  auto bob = connect("bob");
  ok({"messages", "publish", "general", "hello from the shell", "--user", "alice", "--id", "ctl-1"});
  bob->expect(has({{"type", "message"}, {"room", "general"}, {"user", "alice"}, {"text", "hello from the shell"}}));
  // The same id again publishes nothing new.
  EXPECT_NE(ok({"messages", "publish", "general", "hello from the shell", "--user", "alice", "--id", "ctl-1"}).find("duplicate: true"),
            std::string::npos);
  ok({"messages", "publish", "general", "line one\nline two", "--system"});
  Rows history = table(ok({"messages", "history", "general"}));
  ASSERT_EQ(history.size(), 3u) << ok({"messages", "history", "general"});
  EXPECT_EQ(history[0], (std::vector<std::string>{"SEQ", "TIME", "USER", "KIND", "TEXT"}));
  EXPECT_EQ(history[1].at(0), "1");
  EXPECT_EQ(history[1].at(2), "alice");
  EXPECT_EQ(history[2].at(2), "-");  // a system message has no user
  EXPECT_NE(history[2].back().find("two"), std::string::npos);
  EXPECT_NE(ok({"messages", "history", "general"}).find("line one\\nline two"), std::string::npos) << "a text stays on one line";

  ok({"members", "mute", "general", "bob", "60"});
  bob->expect(has({{"type", "member"}, {"user", "bob"}, {"action", "muted"}}));
  post_message(*bob, "general", "can I?");
  bob->expect(error_with("muted"), "bob is muted");
  ok({"members", "unmute", "general", "bob"});
  ok({"messages", "delete", "general", "1"});
  bob->expect(has({{"type", "deleted"}, {"room", "general"}, {"target", 1}}), "bob sees the deletion");
  ok({"members", "kick", "general", "bob"});
  bob->expect(has({{"type", "left"}, {"room", "general"}, {"reason", "kicked"}}));
  ok({"members", "ban", "general", "bob"});
  expect_api_error(api.put("/api/v1/rooms/general/members/bob"), 403, "forbidden");
  ok({"members", "unban", "general", "bob"});

  Rows rooms = table(ok({"rooms", "list"}));
  ASSERT_EQ(rooms.size(), 2u);
  EXPECT_EQ(rooms[0], (std::vector<std::string>{"ROOM", "KIND", "MEMBERS", "LAST_SEQ", "MSGS_1H", "SLOW_S"}));
  EXPECT_EQ(rooms[1], (std::vector<std::string>{"general", "public", "1", "3", "2", "0"}));
  ok({"rooms", "slow-mode", "general", "30"});
  EXPECT_EQ(body_of(api.get("/api/v1/rooms/general")).at("slow_mode_s"), 30);

  Rows conns = table(ok({"connections"}));
  ASSERT_GE(conns.size(), 3u);
  EXPECT_EQ(conns[1], (std::vector<std::string>{"bob", "1"}));
  EXPECT_EQ(conns.back().at(0), "total:");
}

TEST_F(Parleyctl, UsersSearchAndHealth) {
  RunResult created = ctl({"users", "create", "dana", "--password-stdin"}, {}, "correct horse battery\n");
  ASSERT_TRUE(created.status && created.status->ok()) << created.err;
  HttpResponse login = http_post_json(port(), "/api/login", json::object{{"user", "dana"}, {"password", "correct horse battery"}});
  EXPECT_EQ(login.status, 200) << login.body;
  EXPECT_EQ(json::parse(ok({"--json", "users", "disable", "dana"})).at("disabled"), true);
  EXPECT_EQ(http_post_json(port(), "/api/login", json::object{{"user", "dana"}, {"password", "correct horse battery"}}).status, 403);
  ok({"users", "enable", "dana"});
  EXPECT_EQ(json::parse(ok({"--json", "users", "revoke", "dana"})).at("token_version"), 1);

  ok({"rooms", "create", "general"});
  ok({"members", "add", "general", "dana"});
  ok({"messages", "publish", "general", "where is the needle", "--user", "dana"});
  Rows found = table(ok({"search", "dana", "needle"}));
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[1].at(0), "general");
  Rows rooms = table(ok({"users", "rooms", "dana"}));
  ASSERT_EQ(rooms.size(), 2u);
  EXPECT_EQ(rooms[1].at(0), "general");

  std::string health = ok({"health"});
  EXPECT_NE(health.find("live: yes"), std::string::npos) << health;
  EXPECT_NE(health.find("ready: yes"), std::string::npos) << health;
  EXPECT_EQ(table(ok({"webhooks", "list"})).size(), 1u) << "no endpoint configured: the header only";
}

TEST_F(Parleyctl, RefusalsUsageErrorsAndNoServerEachHaveTheirExit) {
  RunResult missing = ctl({"rooms", "show", "nowhere"});
  EXPECT_EQ(code(missing), 1);
  EXPECT_NE(missing.err.find("HTTP 404 not_found"), std::string::npos) << missing.err;
  RunResult wrong_key = ctl({"rooms", "list"}, {{"PARLEY_API_KEY", "not-the-right-key-0000"}});
  EXPECT_EQ(code(wrong_key), 1);
  EXPECT_NE(wrong_key.err.find("HTTP 401 unauthorized"), std::string::npos) << wrong_key.err;
  EXPECT_EQ(code(ctl({"members", "role", "general", "alice", "king"})), 2);
  EXPECT_EQ(code(ctl({"messages", "publish", "general", "hi"})), 2) << "neither --user nor --system";
  EXPECT_EQ(code(ctl({"rooms"})), 2);
  EXPECT_EQ(code(ctl({"rooms", "list"}, {{"PARLEY_URL", "ftp://example"}})), 2);

  // The key from a file (its first line), named by flag or by PARLEY_API_KEY_FILE.
  const auto key_file = work_dir() / "api.key";
  std::ofstream(key_file) << kKey << "\n";
  EXPECT_EQ(code(ctl({"--key-file", key_file.string(), "rooms", "list"}, {{"PARLEY_API_KEY", ""}})), 0);
  EXPECT_EQ(code(ctl({"rooms", "list"}, {{"PARLEY_API_KEY", ""}, {"PARLEY_API_KEY_FILE", key_file.string()}})), 0);
  EXPECT_EQ(code(ctl({"--key-file", (work_dir() / "absent").string(), "rooms", "list"})), 2);

  const std::uint16_t gone = port();
  stop_server();
  RunResult down = ctl({"rooms", "list"}, {{"PARLEY_URL", "http://127.0.0.1:" + std::to_string(gone)}});
  EXPECT_EQ(code(down), 3);
  EXPECT_NE(down.err.find("no answer"), std::string::npos) << down.err;
}

}  // namespace
}  // namespace parley::test
