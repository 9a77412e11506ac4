// Production links (docs/cluster.md → "Secure links"): a Redis that speaks TLS only and wants
// AUTH (an ACL user, and requirepass for the default user), and a PostgreSQL that accepts the
// parley role only over TLS with a password. The secrets reach parleyd through *_file keys,
// so none shows in the process's command line or environment. A link the server refuses
// keeps the node unready and says why in its log, without the secret.
#include <fstream>

#include "cluster_test.hpp"
#include "tls_client.hpp"

namespace parley::test::cluster {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

const std::string kJwtSecret = "secure-links-jwt-secret-8c1d9e";
const std::string kRedisUserPassword = "redis-acl-pw-4f7a2b";
const std::string kRedisDefaultPassword = "redis-requirepass-91c3";
const std::string kPgPassword = "pg-role-pw-d2e6f0";

class SecureLinks : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_ = std::make_unique<TempDir>("parley-secure-");
    certs_ = write_self_signed(tmp_->path(), "server", "parley-links");
    RedisServer::Options ro;
    ro.tls_cert = certs_.cert;
    ro.tls_key = certs_.key;
    ro.args = {"--requirepass", kRedisDefaultPassword,
               "--user", "parley", "on", ">" + kRedisUserPassword, "~*", "&*", "+@all"};
    redis_ = std::make_unique<RedisServer>(tmp_->path() / "redis", ro);
    PostgresServer::Options po;
    po.tls_cert = certs_.cert;
    po.tls_key = certs_.key;
    // The parley role: over TLS with a password, never in the clear.
    po.hba_first = {"hostssl all parley 127.0.0.1/32 scram-sha-256", "host all parley 127.0.0.1/32 reject"};
    pg_ = std::make_unique<PostgresServer>(tmp_->path() / "pg", po);
    pg_->exec("CREATE ROLE parley LOGIN PASSWORD '" + kPgPassword + "'");
    pg_->exec("CREATE DATABASE chat OWNER parley");
    jwt_file_ = secret_file("jwt", kJwtSecret);
    pg_password_file_ = secret_file("pg-password", kPgPassword);
    redis_password_file_ = secret_file("redis-password", kRedisUserPassword);
  }

  void TearDown() override {
    if (HasFailure()) {
      for (auto& [name, log] : logs_) std::cerr << "---- " << name << "\n" << tail_file(log, 6000) << "\n";
      if (redis_) std::cerr << "---- redis\n" << tail_file(redis_->log_path(), 3000) << "\n";
      if (pg_) std::cerr << "---- postgres\n" << tail_file(pg_->log_path(), 3000) << "\n";
    }
  }

  fs::path secret_file(const std::string& name, const std::string& value) {
    const fs::path p = tmp_->path() / (name + ".secret");
    std::ofstream(p) << value << "\n";  // the trailing newline an editor leaves is dropped
    fs::permissions(p, fs::perms::owner_read | fs::perms::owner_write);
    return p;
  }

  std::string store_uri(const std::string& query = "sslmode=verify-full&sslrootcert=") const {
    std::string q = query;
    if (q.ends_with("sslrootcert=")) q += certs_.cert.string();
    return "postgres://parley@127.0.0.1:" + std::to_string(pg_->port()) + "/chat?" + q;
  }
  std::string redis_url(const std::string& userinfo = "parley@") const {
    return "rediss://" + userinfo + "127.0.0.1:" + std::to_string(redis_->port());
  }

  // The arguments of a node with every link secured and its secrets in files; `more`
  // replaces or adds flags.
  std::vector<std::string> node_args(const std::string& name, const std::map<std::string, std::string>& more = {}) {
    const fs::path dir = tmp_->path() / name;
    fs::create_directories(dir);
    std::map<std::string, std::string> flags{
        {"--host", "127.0.0.1"},
        {"--port", "0"},
        {"--node-id", name},
        {"--data-dir", dir.string()},
        {"--web-root", dir.string()},
        {"--jwt-secret-file", jwt_file_.string()},
        {"--store", store_uri()},
        {"--store-password-file", pg_password_file_.string()},
        {"--redis", redis_url()},
        {"--redis-password-file", redis_password_file_.string()},
        {"--redis-tls-ca", certs_.cert.string()},
    };
    for (auto& [k, v] : more) flags[k] = v;
    std::vector<std::string> args;
    for (auto& [k, v] : flags) {
      if (v.empty()) continue;  // "" removes a flag
      args.push_back(k);
      args.push_back(v);
    }
    return args;
  }

  ServerProcess& start_node(const std::string& name, const std::map<std::string, std::string>& more = {}) {
    ServerProcess::Options o;
    o.args = node_args(name, more);
    o.cwd = tmp_->path() / name;
    o.log_path = tmp_->path() / (name + ".log");
    o.start_timeout = 30s;
    logs_.emplace_back(name, o.log_path);
    nodes_.push_back(std::make_unique<ServerProcess>(std::move(o)));
    return *nodes_.back();
  }

  // Polls /readyz until it answers 503 naming the bus (the link stays refused).
  HttpResponse await_unready(ServerProcess& node) {
    const auto deadline = Clock::now() + 15s;
    HttpResponse r;
    // The node answers /readyz from its start; the bus is down until Redis accepts the link,
    // which it never does here. Wait until the first connect attempt has been made and logged.
    EXPECT_TRUE(wait_for_file(node.log_path(),
                              [](const std::string& log) { return log.find("redis 127.0.0.1") != std::string::npos; }, 15s));
    do {
      r = http_get(node.port(), "/readyz");
      if (r.status == 503) return r;
      std::this_thread::sleep_for(20ms);
    } while (Clock::now() < deadline);
    return r;
  }

  void expect_no_secret_in(const std::string& text, const std::string& what) {
    for (const auto& s : {kJwtSecret, kRedisUserPassword, kRedisDefaultPassword, kPgPassword}) {
      EXPECT_EQ(text.find(s), std::string::npos) << what << " shows a secret";
    }
  }

  std::unique_ptr<TempDir> tmp_;
  CertFiles certs_;
  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<PostgresServer> pg_;
  fs::path jwt_file_, pg_password_file_, redis_password_file_;
  std::vector<std::pair<std::string, fs::path>> logs_;
  std::vector<std::unique_ptr<ServerProcess>> nodes_;
};

TEST_F(SecureLinks, NodesChatOverTlsLinksWithPasswordsFromFiles) {
  ServerProcess& a = start_node("a");
  ServerProcess& b = start_node("b");
  ClusterTest::await_ready(a.port());
  ClusterTest::await_ready(b.port());

  WsClient alice("alice@a"), bob("bob@b");
  ConnectOptions oa, ob;
  oa.token = mint_token(kJwtSecret, "alice", unix_now() + 3600);
  ob.token = mint_token(kJwtSecret, "bob", unix_now() + 3600);
  ASSERT_TRUE(alice.connect(a.port(), oa).upgraded) << "the JWT secret from jwt_secret_file is used";
  ASSERT_TRUE(bob.connect(b.port(), ob).upgraded);
  alice.expect(is_type("welcome"), "welcome", 10s);
  bob.expect(is_type("welcome"), "welcome", 10s);
  join(alice, "vault");
  join(bob, "vault");
  // Across nodes only through Redis (TLS, the ACL user), stored in PostgreSQL (TLS, password).
  ASSERT_TRUE(await_delivery(alice, {&bob}, "vault")) << "a message from node a never reached node b";
  std::string from_bob = get_str(send_message(bob, "vault", "over tls"), "id");
  expect_messages(alice, {from_bob}, 10s);

  // Every connection of the parley role is encrypted.
  const std::string encrypted = pg_->query_value(
      "SELECT count(*) FILTER (WHERE s.ssl) || '/' || count(*) FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) "
      "WHERE a.usename = 'parley'");
  const auto slash = encrypted.find('/');
  ASSERT_NE(slash, std::string::npos);
  EXPECT_EQ(encrypted.substr(0, slash), encrypted.substr(slash + 1)) << "encrypted/all = " << encrypted;
  EXPECT_NE(encrypted, "0/0");
  // (Redis: the nodes have only the ACL user's password, and TLS is its only port.)

  for (ServerProcess* n : {&a, &b}) {
    const std::string proc = "/proc/" + std::to_string(n->pid());
    expect_no_secret_in(read_file(proc + "/cmdline"), "the command line");
    expect_no_secret_in(read_file(proc + "/environ"), "the environment");
    expect_no_secret_in(read_file(n->log_path()), "the log");
  }
}

TEST_F(SecureLinks, ALinkRedisRefusesKeepsTheNodeUnreadyAndSaysWhy) {
  const fs::path wrong = secret_file("wrong", "not-the-password-3a9f");
  const fs::path other_ca = write_self_signed(tmp_->path(), "other", "someone-else").cert;
  ServerProcess& wrong_password = start_node("wrongpw", {{"--redis-password-file", wrong.string()}});
  ServerProcess& no_password = start_node("nopw", {{"--redis-password-file", ""}});
  ServerProcess& untrusted = start_node("untrusted", {{"--redis-tls-ca", other_ca.string()}});
  ServerProcess& plain = start_node("plain", {{"--redis", "redis://parley@127.0.0.1:" + std::to_string(redis_->port())}});

  struct Case {
    ServerProcess* node;
    std::string log_says;
  };
  for (const Case& c : {Case{&wrong_password, "AUTH refused: WRONGPASS"}, Case{&no_password, "PING refused: NOAUTH"},
                        Case{&untrusted, "TLS handshake"}, Case{&plain, "cannot connect"}}) {
    HttpResponse r = await_unready(*c.node);
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_NE(r.body.find("redis"), std::string::npos) << r.body;
    EXPECT_TRUE(wait_for_file(c.node->log_path(), [&](const std::string& log) { return log.find(c.log_says) != std::string::npos; },
                              10s))
        << "log lacks '" << c.log_says << "':\n" << tail_file(c.node->log_path());
    expect_no_secret_in(read_file(c.node->log_path()), "the log");
    EXPECT_TRUE(c.node->running());
  }
  EXPECT_EQ(read_file(wrong_password.log_path()).find("not-the-password-3a9f"), std::string::npos);
}

TEST_F(SecureLinks, TheDefaultUserAuthenticatesWithRequirepass) {
  ServerProcess::Options o;
  o.args = node_args("default", {{"--redis", redis_url("")}, {"--redis-password-file", ""}});
  o.env = {{"PARLEY_REDIS_PASSWORD", kRedisDefaultPassword}};
  o.cwd = tmp_->path() / "default";
  o.log_path = tmp_->path() / "default.log";
  logs_.emplace_back("default", o.log_path);
  ServerProcess node(std::move(o));
  ClusterTest::await_ready(node.port());
}

TEST_F(SecureLinks, PostgresRefusingTheLinkStopsTheNodeWithAClearError) {
  const fs::path wrong = secret_file("wrong", "not-the-pg-password-77e1");
  struct Case {
    std::map<std::string, std::string> flags;
    std::string stderr_says;
  };
  for (const Case& c : {Case{{{"--store-password-file", wrong.string()}}, "password authentication failed for user \"parley\""},
                        Case{{{"--store", store_uri("sslmode=disable")}}, "no encryption"},
                        Case{{{"--store", store_uri("sslmode=verify-full&sslrootcert=" +
                                                    write_self_signed(tmp_->path(), "pgother", "x").cert.string())}},
                             "certificate verify failed"}}) {
    RunResult r = run_parleyd(node_args("refused", c.flags), {}, tmp_->path(), 30s);
    ASSERT_TRUE(r.status) << "parleyd kept running without its store";
    EXPECT_FALSE(r.status->ok());
    EXPECT_NE(r.err.find(c.stderr_says), std::string::npos) << r.err;
    expect_no_secret_in(r.err, "stderr");
    EXPECT_EQ(r.err.find("not-the-pg-password-77e1"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace parley::test::cluster
