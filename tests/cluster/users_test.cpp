// The server API's users in a cluster: a revocation or a disabled account made through one
// node closes the user's connections on every node, and every node refuses the old tokens.
#include "api_client.hpp"
#include "cluster_test.hpp"

namespace parley::test::cluster {
namespace {

namespace json = boost::json;

const std::string kKey = "cluster-users-key-0c8e27b5";

class ClusterUsers : public ClusterTest {
protected:
  int upgrade_status(int target, const std::string& token) {
    WsClient c("probe");
    ConnectOptions o;
    o.token = token;
    return c.connect(port_of(target), o).status;
  }
};

TEST_F(ClusterUsers, RevokingAndDisablingReachEveryNode) {
  start_cluster({{"--api-keys", kKey}});
  ApiClient api1(node(0).port(), kKey);
  const std::string old = token("alice");
  std::vector<std::unique_ptr<WsClient>> alice;
  for (int n = 0; n < kNodes; ++n) alice.push_back(connect("alice", n));
  auto bob = connect("bob", 2);
  auto r = api1.post("/api/v1/users/alice/revoke", json::object{});
  ASSERT_EQ(r.status, 200) << r.body;
  for (int n = 0; n < kNodes; ++n) {
    auto closed = alice[static_cast<std::size_t>(n)]->wait_closed();
    EXPECT_EQ(closed.code, 4001) << "node " << n + 1 << ": " << closed.describe();
    EXPECT_EQ(upgrade_status(n, old), 401) << "node " << n + 1;
  }
  EXPECT_TRUE(bob->is_open());
  // A token of the new version, signed by node 3, works on node 2; disabling through node 2
  // closes it there and on node 1.
  ApiClient api3(node(2).port(), kKey), api2(node(1).port(), kKey);
  auto fresh = api3.post("/api/v1/users/alice/tokens", json::object{});
  ASSERT_EQ(fresh.status, 201) << fresh.body;
  const std::string tok(fresh.json().at("token").as_string());
  ConnectOptions o;
  o.token = tok;
  auto on2 = std::make_unique<WsClient>("alice@2");
  ASSERT_EQ(on2->connect(port_of(1), o).status, 101);
  auto on1 = std::make_unique<WsClient>("alice@1");
  ASSERT_EQ(on1->connect(port_of(0), o).status, 101);
  ASSERT_EQ(api2.post("/api/v1/users/alice/disable", json::object{}).status, 200);
  EXPECT_EQ(on2->wait_closed().code, 4003);
  EXPECT_EQ(on1->wait_closed().code, 4003);
  for (int n = 0; n < kNodes; ++n) EXPECT_EQ(upgrade_status(n, tok), 403) << "node " << n + 1;
}

}  // namespace
}  // namespace parley::test::cluster

namespace parley::test::cluster {
namespace {

TEST_F(ClusterUsers, APasswordChangeThroughOneNodeRevokesTheOldTokensOnEveryNode) {
  start_cluster();
  auto reg = http_post_json(node(0).port(), "/api/register", {{"user", "dora"}, {"password", "first-password"}});
  ASSERT_EQ(reg.status, 201) << reg.body;
  const std::string old(reg.json().at("token").as_string());
  ConnectOptions o;
  o.token = old;
  auto on3 = std::make_unique<WsClient>("dora@3");
  ASSERT_EQ(on3->connect(port_of(2), o).status, 101);
  auto r = http_request(node(1).port(), "POST", "/api/password",
                        R"({"password":"first-password","new_password":"second-password"})",
                        {{"Authorization", "Bearer " + old}, {"Content-Type", "application/json"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(on3->wait_closed().code, 4001);
  const std::string fresh(r.json().at("token").as_string());
  for (int n = 0; n < kNodes; ++n) {
    EXPECT_EQ(upgrade_status(n, old), 401) << "node " << n + 1;
    EXPECT_EQ(upgrade_status(n, fresh), 101) << "node " << n + 1;
  }
  EXPECT_EQ(http_post_json(node(2).port(), "/api/login", {{"user", "dora"}, {"password", "second-password"}}).status, 200);
}

TEST_F(ClusterUsers, ALogoutThroughOneNodeClosesThatTokensConnectionsOnEveryNode) {
  start_cluster();
  auto reg = http_post_json(node(0).port(), "/api/register", {{"user", "eli"}, {"password", "eli-password"}});
  ASSERT_EQ(reg.status, 201) << reg.body;
  const std::string gone(reg.json().at("token").as_string());
  auto login = http_post_json(node(0).port(), "/api/login", {{"user", "eli"}, {"password", "eli-password"}});
  ASSERT_EQ(login.status, 200) << login.body;
  const std::string kept(login.json().at("token").as_string());
  ConnectOptions with_gone, with_kept;
  with_gone.token = gone;
  with_kept.token = kept;
  auto on3 = std::make_unique<WsClient>("eli@3");
  auto other = std::make_unique<WsClient>("eli@3-kept");
  ASSERT_EQ(on3->connect(port_of(2), with_gone).status, 101);
  ASSERT_EQ(other->connect(port_of(2), with_kept).status, 101);
  auto r = http_request(node(1).port(), "POST", "/api/logout", "", {{"Authorization", "Bearer " + gone}});
  ASSERT_EQ(r.status, 200) << r.body;
  auto closed = on3->wait_closed();
  EXPECT_EQ(closed.code, 4001) << closed.describe();
  EXPECT_EQ(closed.reason, "logged out");
  for (int n = 0; n < kNodes; ++n) {
    EXPECT_EQ(upgrade_status(n, gone), 401) << "node " << n + 1;
    EXPECT_EQ(upgrade_status(n, kept), 101) << "node " << n + 1;
  }
  EXPECT_TRUE(other->is_open()) << "the other token's connection stays";
}

}  // namespace
}  // namespace parley::test::cluster
