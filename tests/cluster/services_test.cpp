// Smoke test of the harness itself, without parleyd: Redis, PostgreSQL and nginx start on
// loopback from a temporary directory, answer, and are gone (process and port) when stopped.
#include <gtest/gtest.h>

#include "http_client.hpp"
#include "net_util.hpp"
#include "redis_client.hpp"
#include "services.hpp"
#include "temp_dir.hpp"

namespace parley::test::cluster {
namespace {

using namespace std::chrono_literals;

TEST(Services, RedisStartsAnswersRestartsOnItsPortAndStops) {
  TempDir dir("parley-cluster-smoke-");
  RedisServer r(dir.path() / "redis");
  EXPECT_EQ(redis_command(r.port(), {"PING"}).str, "PONG");
  redis_command(r.port(), {"SET", "k", "v"});
  EXPECT_EQ(redis_command(r.port(), {"GET", "k"}).str, "v");

  const std::uint16_t port = r.port();
  ExitStatus st = r.kill9();
  EXPECT_EQ(st.signal, SIGKILL) << st.describe();
  EXPECT_TRUE(port_closed(port));
  r.start();
  EXPECT_EQ(r.port(), port);
  EXPECT_EQ(redis_command(r.port(), {"PING"}).str, "PONG");
  EXPECT_EQ(redis_command(r.port(), {"GET", "k"}).kind, RedisReply::nil) << "no persistence: restarts empty";

  st = r.stop();
  EXPECT_TRUE(st.ok()) << st.describe();
  EXPECT_FALSE(r.running());
  EXPECT_TRUE(port_closed(port));
}

TEST(Services, PostgresInitdbStartsCreatesDatabasesAndStops) {
  TempDir dir("parley-cluster-smoke-");
  std::uint16_t port = 0;
  {
    PostgresServer pg(dir.path() / "pg");
    port = pg.port();
    EXPECT_EQ(pg.query_value("SELECT current_user"), "postgres");
    const std::string uri = pg.create_database("smoke");
    EXPECT_EQ(uri, "postgres://postgres@127.0.0.1:" + std::to_string(port) + "/smoke");
    pg.exec("CREATE TABLE t (x int); INSERT INTO t VALUES (41), (1)", "smoke");
    EXPECT_EQ(pg.query_value("SELECT sum(x) FROM t", "smoke"), "42");
    EXPECT_EQ(pg.query_value("SHOW server_version_num").substr(0, 2), "15");
    // Recreating drops the old one.
    pg.create_database("smoke");
    EXPECT_EQ(pg.query_value("SELECT count(*) FROM pg_tables WHERE tablename = 't'", "smoke"), "0");
    ExitStatus st = pg.stop();
    EXPECT_TRUE(st.ok()) << st.describe();
    EXPECT_FALSE(pg.running());
  }
  EXPECT_TRUE(port_closed(port));
}

TEST(Services, NginxProxiesToItsUpstreamAndStops) {
  TempDir dir("parley-cluster-smoke-");
  // An upstream nobody listens on: nginx itself answers 502 after trying it.
  const std::uint16_t dead = free_port();
  std::uint16_t port = 0;
  {
    NginxProxy lb(dir.path() / "nginx", {dead});
    port = lb.port();
    HttpResponse r = http_get(port, "/healthz");
    EXPECT_EQ(r.status, 502) << r.error << r.body;
    EXPECT_NE(r.header("Server").find("nginx"), std::string::npos);
    ExitStatus st = lb.stop();
    EXPECT_TRUE(st.exited || st.signal == SIGTERM) << st.describe();
    EXPECT_FALSE(lb.running());
  }
  EXPECT_TRUE(port_closed(port));
}

}  // namespace
}  // namespace parley::test::cluster
