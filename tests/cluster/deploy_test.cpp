// The example deployment files in deploy/ are the ones an operator copies: the node TOML
// files must be accepted by parleyd and form a cluster, and nginx must accept nginx.conf.
#include <fstream>

#include "cluster_test.hpp"

#ifndef PARLEY_SOURCE_DIR
#error "PARLEY_SOURCE_DIR must be defined by the build"
#endif

namespace parley::test::cluster {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

const fs::path kDeploy = fs::path(PARLEY_SOURCE_DIR) / "deploy";

class DeployExamples : public ClusterTest {};

TEST_F(DeployExamples, NodeTomlFilesFormAClusterWithTheirOwnSettings) {
  // Each node runs with its example file; only what points at this machine's test servers
  // (listen address and port, PostgreSQL, Redis, directories) is overridden by flags, and
  // the secret comes from the environment as docs/cluster.md says.
  std::vector<std::unique_ptr<ServerProcess>> nodes;
  for (int n = 1; n <= kNodes; ++n) {
    const fs::path dir = work_dir() / ("deploy-node" + std::to_string(n));
    fs::create_directories(dir);
    ServerProcess::Options o;
    o.args = {"--config", (kDeploy / ("node" + std::to_string(n) + ".toml")).string(),
              "--host", "127.0.0.1", "--port", "0",
              "--store", pg().uri(db_name()), "--redis", SharedServices::get().redis_urls(),
              "--data-dir", dir.string(), "--web-root", dir.string()};
    o.env = {{"PARLEY_JWT_SECRET", std::string(kClusterSecret)}};
    o.cwd = dir;
    o.log_path = work_dir() / ("deploy-node" + std::to_string(n) + ".log");
    o.start_timeout = 30s;
    nodes.push_back(std::make_unique<ServerProcess>(std::move(o)));
    // parleyd logs its node id on stderr right after the listening line on stdout.
    const std::string needle = "node node" + std::to_string(n) + ",";
    EXPECT_TRUE(wait_for_file(nodes.back()->log_path(),
                              [&](const std::string& log) { return log.find(needle) != std::string::npos; }, 10s))
        << "node_id from node" << n << ".toml not used:\n" << tail_file(nodes.back()->log_path());
  }
  std::vector<std::unique_ptr<WsClient>> clients;
  std::vector<std::string> ids;
  for (int n = 0; n < kNodes; ++n) {
    auto c = std::make_unique<WsClient>("deploy" + std::to_string(n));
    ConnectOptions opts;
    opts.token = token("deploy" + std::to_string(n));
    ASSERT_TRUE(c->connect(nodes[n]->port(), opts).upgraded);
    json::object welcome = c->expect(is_type("welcome"), "welcome", 10s);
    EXPECT_EQ(get_int(welcome, "heartbeat_ms"), 30000) << "heartbeat_ms from the TOML file";
    join(*c, "ops");
    clients.push_back(std::move(c));
  }
  for (auto& c : clients) ids.push_back(get_str(send_message(*c, "ops", "deployed"), "id"));
  for (auto& c : clients) expect_messages(*c, ids, 10s);
  // A browser from another origin than allowed_origins is refused (the file's list is used).
  WsClient stranger("stranger");
  ConnectOptions bad;
  bad.token = token("stranger");
  bad.origin = "https://evil.example.net";
  EXPECT_EQ(stranger.connect(nodes[0]->port(), bad).status, 403);
  for (auto& n : nodes) EXPECT_TRUE(n->running()) << tail_file(n->log_path());
}

TEST_F(DeployExamples, NginxConfIsValid) {
  // deploy/nginx.conf is an http-context file (conf.d/parley.conf): check it inside a
  // minimal main configuration, as Debian's nginx.conf includes it.
  const fs::path dir = work_dir() / "nginx-check";
  fs::create_directories(dir);
  const std::string p = dir.string();
  {
    std::ofstream out(dir / "main.conf");
    out << "daemon off; master_process off; pid " << p << "/nginx.pid; error_log " << p << "/error.log;\n"
        << "events {}\n"
        << "http {\n  access_log off;\n  client_body_temp_path " << p << "/cb; proxy_temp_path " << p
        << "/p; fastcgi_temp_path " << p << "/f; uwsgi_temp_path " << p << "/u; scgi_temp_path " << p << "/s;\n"
        << "  include " << (kDeploy / "nginx.conf").string() << ";\n}\n";
  }
  ChildProcess::Options o;
  o.argv = {"nginx", "-t", "-q", "-p", p + "/", "-c", (dir / "main.conf").string(), "-e", p + "/error.log"};
  o.log_path = dir / "check.log";
  EXPECT_NO_THROW(run_checked(std::move(o), 30s));
}

}  // namespace
}  // namespace parley::test::cluster
