// A user's own account beyond logging in, through the real binary: POST /api/logout refuses
// that one token from then on and closes the connections using it (4001) but no other;
// DELETE /api/account deletes the account given the current password (its connections close
// with 4003, its messages kept or erased as configured); GET /api/account/export pages
// through the user's rooms and own messages.
#include <boost/json.hpp>

#include <set>

#include "conversations.hpp"
#include "jwt.hpp"

namespace parley::test {
namespace {

namespace json = boost::json;

class MyAccount : public ParleyTest {
 protected:
  std::string sign_up(std::string_view user, std::string_view password) {
    auto r = http_post_json(port(), "/api/register", {{"user", user}, {"password", password}});
    if (r.status != 201) throw std::runtime_error("register: " + r.body);
    return std::string(r.json().at("token").as_string());
  }
  std::string log_in(std::string_view user, std::string_view password) {
    auto r = http_post_json(port(), "/api/login", {{"user", user}, {"password", password}});
    if (r.status != 200) throw std::runtime_error("login: " + r.body);
    return std::string(r.json().at("token").as_string());
  }
  static Headers bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }
  HttpResponse logout(const std::string& token) { return http_request(port(), "POST", "/api/logout", "", bearer(token)); }
  HttpResponse remove(const std::string& token, std::string_view password) {
    Headers h = bearer(token);
    h.emplace_back("Content-Type", "application/json");
    return http_request(port(), "DELETE", "/api/account", R"({"password":")" + std::string(password) + R"("})", h);
  }
  HttpResponse export_page(const std::string& token, const std::string& query = "") {
    return http_request(port(), "GET", "/api/account/export" + query, "", bearer(token));
  }
  int upgrade_status(const std::string& token) {
    WsClient c("probe");
    ConnectOptions o;
    o.token = token;
    return try_connect(c, o).status;
  }
};

TEST_F(MyAccount, LogoutRevokesThatTokenOnlyAndClosesItsConnections) {
  start_server();
  const std::string phone_token = sign_up("alice", "alice-password");
  const std::string laptop_token = log_in("alice", "alice-password");
  ASSERT_NE(phone_token, laptop_token);
  auto phone = connect("alice", {.token = phone_token});
  auto laptop = connect("alice", {.token = laptop_token});
  join(*laptop, "general");

  auto r = logout(phone_token);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("status"), "logged_out");
  auto closed = phone->wait_closed();
  EXPECT_EQ(closed.code, 4001) << closed.describe();
  EXPECT_EQ(closed.reason, "logged out");
  EXPECT_EQ(upgrade_status(phone_token), 401);
  EXPECT_EQ(logout(phone_token).status, 401) << "a logged-out token cannot log out again";
  // The other device is not touched.
  send_message(*laptop, "general", "still here");
  EXPECT_TRUE(laptop->is_open());
  EXPECT_EQ(upgrade_status(laptop_token), 101);
  // A logged-out token is refused as a reauth's fresh token too.
  laptop->send_json({{"type", "auth"}, {"token", phone_token}, {"ref", 7}});
  EXPECT_EQ(laptop->expect(is_type("error"), "auth refused").at("code"), "unauthorized");
  EXPECT_EQ(logout("").status, 401);
  EXPECT_EQ(http_request(port(), "GET", "/api/logout", "", bearer(laptop_token)).status, 405);
}

TEST_F(MyAccount, ATokenTheBackendSignedWithoutAnIdLogsOutByItsSignature) {
  start_server();
  const std::string one = mint_token(kSecret, "bob", unix_now() + 3600);
  const std::string other = mint_token(kSecret, "bob", unix_now() + 3601);
  auto conn = connect("bob", {.token = one});
  ASSERT_EQ(logout(one).status, 200);
  EXPECT_EQ(conn->wait_closed().code, 4001);
  EXPECT_EQ(upgrade_status(one), 401);
  EXPECT_EQ(upgrade_status(other), 101);
}

TEST_F(MyAccount, LogoutOutlivesARestart) {
  start_server();
  const std::string token = sign_up("carol", "carol-password");
  ASSERT_EQ(logout(token).status, 200);
  restart_server();
  EXPECT_EQ(upgrade_status(token), 401);
  EXPECT_EQ(upgrade_status(log_in("carol", "carol-password")), 101);
}

TEST_F(MyAccount, DeletingTheAccountNeedsThePasswordAndClosesEveryConnection) {
  start_server();
  const std::string token = sign_up("dora", "dora-password");
  auto dora = connect("dora", {.token = token});
  auto eve = connect("eve");
  join(*dora, "general");
  join(*eve, "general");
  send_message(*dora, "general", "dora was here");
  auto wrong = remove(token, "not-the-password");
  EXPECT_EQ(wrong.status, 403) << wrong.body;
  EXPECT_TRUE(dora->is_open()) << "a wrong password deletes nothing";
  EXPECT_EQ(http_request(port(), "DELETE", "/api/account", "{}", bearer(token)).status, 400);

  auto r = remove(token, "dora-password");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("status"), "deleted");
  EXPECT_EQ(r.json().at("messages"), "kept");
  auto closed = dora->wait_closed();
  EXPECT_EQ(closed.code, 4003) << closed.describe();
  eve->expect(presence("general", "dora", "offline"), "dora goes offline");
  EXPECT_EQ(upgrade_status(token), 403);
  EXPECT_EQ(http_post_json(port(), "/api/login", {{"user", "dora"}, {"password", "dora-password"}}).status, 401);
  EXPECT_EQ(http_post_json(port(), "/api/register", {{"user", "dora"}, {"password", "new-password"}}).status, 409);
  EXPECT_EQ(history(*eve, "general", std::nullopt).at("messages").as_array()[0].at("text"), "dora was here");
}

TEST_F(MyAccount, DeletingWithEraseLeavesTombstones) {
  start_server({{"--deleted-user-messages", "erase"}});
  const std::string token = sign_up("fay", "fay-password");
  auto fay = connect("fay", {.token = token});
  auto gus = connect("gus");
  join(*fay, "general");
  join(*gus, "general");
  send_message(*fay, "general", "erase me");
  auto r = remove(token, "fay-password");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("messages"), "erased");
  auto page = history(*gus, "general", std::nullopt).at("messages").as_array();
  ASSERT_EQ(page.size(), 1u);
  EXPECT_TRUE(page[0].as_object().at("deleted").as_bool());
}

TEST_F(MyAccount, ExportPagesThroughTheUsersRoomsAndOwnMessages) {
  start_server();
  const std::string token = sign_up("hana", "hana-password");
  auto hana = connect("hana", {.token = token});
  auto ian = connect("ian");
  join(*hana, "general");
  join(*hana, "random");
  join(*ian, "general");
  std::set<std::string> sent;
  for (int i = 0; i < 5; ++i) {
    const std::string id = "m" + std::to_string(i);
    send_message(*hana, i % 2 ? "random" : "general", "hana " + std::to_string(i), id);
    sent.insert(id);
  }
  send_message(*ian, "general", "not hana's");
  // A deleted message is not exported.
  auto regret = send_message(*hana, "general", "regret");
  ASSERT_EQ(entry(*hana, "delete", "general", regret.at("seq").as_int64()).at("type"), "ack");

  std::set<std::string> seen;
  std::string after;
  int pages = 0;
  for (;;) {
    auto r = export_page(token, "?limit=2" + (after.empty() ? "" : "&after=" + after));
    ASSERT_EQ(r.status, 200) << r.body;
    auto body = r.json();
    EXPECT_EQ(body.at("user"), "hana");
    if (pages == 0) {
      std::set<std::string> rooms;
      for (auto& room : body.at("rooms").as_array()) rooms.insert(std::string(room.at("room").as_string()));
      EXPECT_EQ(rooms, (std::set<std::string>{"general", "random"}));
    } else {
      EXPECT_TRUE(body.at("rooms").as_array().empty()) << "rooms come on the first page";
    }
    for (auto& m : body.at("messages").as_array()) {
      EXPECT_EQ(m.at("user"), "hana");
      EXPECT_TRUE(seen.insert(std::string(m.at("id").as_string())).second) << "no message twice";
      EXPECT_TRUE(m.as_object().contains("room"));
    }
    ++pages;
    ASSERT_LT(pages, 10);
    if (body.at("next").is_null()) break;
    after = std::string(body.at("next").as_string());
  }
  EXPECT_EQ(seen, sent);
  EXPECT_EQ(export_page(token, "?limit=0").status, 400);
  EXPECT_EQ(export_page(token, "?limit=501").status, 400);
  EXPECT_EQ(export_page("").status, 401);
}

}  // namespace
}  // namespace parley::test
