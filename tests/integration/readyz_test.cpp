// GET /readyz: 200 {"status":"ready"} while the store answers (and, in a cluster, Redis is
// connected: tests/cluster/ops_test.cpp, with a stopped PostgreSQL and Redis); 503 naming
// "draining" once SIGTERM started the drain. /healthz stays a plain liveness check.
#include <csignal>

#include <boost/json/parse.hpp>

#include "parley_test.hpp"

namespace parley::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class Readyz : public ParleyTest {};

TEST_F(Readyz, ReadyWhenTheStoreAnswers) {
  start_server();
  HttpResponse r = http_get(port(), "/readyz");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json(), json::parse(R"({"status":"ready"})")) << r.body;
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  EXPECT_EQ(http_request(port(), "HEAD", "/readyz").status, 200);
  EXPECT_EQ(http_request(port(), "POST", "/readyz").status, 405);
  // Readiness reads the store; with rooms and messages in it, it still answers.
  auto alice = connect("alice");
  join(*alice, "general");
  send_message(*alice, "general", "hello");
  EXPECT_EQ(http_get(port(), "/readyz").status, 200);
}

TEST_F(Readyz, NotReadyWhileDraining) {
  start_server();
  // A client that never answers the close handshake keeps the drain going (for the close
  // grace of a few seconds), while a keep-alive HTTP connection opened before it asks.
  RawSocket stuck(port());
  ASSERT_EQ(stuck.upgrade("/ws?token=" + token("alice")), 101);
  RawSocket probe(port());
  const std::string get_readyz = "GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  std::string body;
  ASSERT_EQ(probe.http_exchange(get_readyz, body), 200) << body;

  signal_server(SIGTERM);
  ASSERT_TRUE(wait_for_file(server().log_path(),
                            [](const std::string& log) { return log.find("shutting down") != std::string::npos; }, 10s))
      << "no drain in the log";
  ASSERT_EQ(probe.http_exchange(get_readyz, body), 503) << probe.response_head() << "\n" << body;
  json::value v = json::parse(body);
  EXPECT_EQ(v.at("status"), "not_ready") << body;
  EXPECT_TRUE(v.at("failed").as_object().contains("draining")) << body;
  EXPECT_FALSE(v.at("failed").as_object().contains("store")) << body;
  auto st = server().wait_exit(10s);
  ASSERT_TRUE(st.has_value());
  EXPECT_TRUE(st->ok()) << st->describe();
}

TEST_F(Readyz, HealthzStaysALivenessCheck) {
  start_server();
  HttpResponse r = http_get(port(), "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.json(), json::parse(R"({"status":"ok"})"));
}

}  // namespace
}  // namespace parley::test
