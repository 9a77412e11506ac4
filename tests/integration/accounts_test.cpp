// POST /api/register and /api/login: status codes, tokens that work on /ws, user name
// rules, and passwords stored as Argon2id hashes (never in clear).
#include "parley_test.hpp"

namespace parley::test {
namespace {

class Accounts : public ParleyTest {
protected:
  void SetUp() override { start_server({{"--token-ttl-s", "600"}}); }

  HttpResponse reg(std::string_view user, std::string_view password) {
    return http_post_json(port(), "/api/register", {{"user", user}, {"password", password}});
  }
  HttpResponse login(std::string_view user, std::string_view password) {
    return http_post_json(port(), "/api/login", {{"user", user}, {"password", password}});
  }
  static std::string token_in(const HttpResponse& r) {
    if (!r.json().is_object()) throw std::runtime_error("response is not a JSON object: " + r.body);
    return get_str(r.json().as_object(), "token");
  }
  // The token opens a WebSocket as `user`.
  void expect_token_works(const std::string& tok, std::string_view user) {
    auto c = connect(user, {.token = tok});
    EXPECT_EQ(get_str(welcome_of(*c), "user"), user);
  }
};

TEST_F(Accounts, RegisterReturns201WithAWorkingToken) {
  HttpResponse r = reg("alice", "correct horse battery");
  ASSERT_EQ(r.status, 201) << r.error << r.body;
  const std::string tok = token_in(r);
  expect_token_works(tok, "alice");
  // HS256, sub = user, exp = now + --token-ttl-s.
  EXPECT_EQ(jwt_header(tok).at("alg"), "HS256");
  auto claims = jwt_claims(tok);
  EXPECT_EQ(claims.at("sub"), "alice");
  const std::int64_t exp = get_int(claims, "exp");
  EXPECT_GE(exp, unix_now() + 600 - 30);
  EXPECT_LE(exp, unix_now() + 600 + 30);
}

TEST_F(Accounts, DuplicateUserIs409) {
  ASSERT_EQ(reg("bob", "pw-one-long").status, 201);
  HttpResponse again = reg("bob", "pw-two-long");
  EXPECT_EQ(again.status, 409) << again.body;
  // The original password still works: the duplicate did not overwrite it.
  EXPECT_EQ(login("bob", "pw-one-long").status, 200);
  EXPECT_EQ(login("bob", "pw-two-long").status, 401);
}

TEST_F(Accounts, BadUserNamesAre400) {
  for (std::string bad : {std::string(""), std::string("Alice"), std::string("al-ice"), std::string("al ice"),
                          std::string("al.ice"), std::string("élodie"), std::string(33, 'a')}) {
    HttpResponse r = reg(bad, "a fine password");
    EXPECT_EQ(r.status, 400) << "user name '" << bad << "': " << r.body;
  }
  // The boundaries of [a-z0-9_]{1,32} are accepted.
  for (std::string good : {std::string("a"), std::string("_"), std::string("user_42"), std::string(32, 'z')}) {
    HttpResponse r = reg(good, "a fine password");
    EXPECT_EQ(r.status, 201) << "user name '" << good << "': " << r.body;
  }
}

TEST_F(Accounts, MalformedBodiesAre400) {
  EXPECT_EQ(http_post(port(), "/api/register", "{not json").status, 400);
  EXPECT_EQ(http_post(port(), "/api/register", "[]").status, 400);
  EXPECT_EQ(http_post_json(port(), "/api/register", {{"user", "carol"}}).status, 400);
  EXPECT_EQ(http_post_json(port(), "/api/register", {{"password", "pw"}}).status, 400);
  EXPECT_EQ(http_post_json(port(), "/api/register", {{"user", 5}, {"password", "pw"}}).status, 400);
  EXPECT_EQ(http_post(port(), "/api/login", "{not json").status, 400);
}

TEST_F(Accounts, LoginReturns200WithAWorkingToken) {
  ASSERT_EQ(reg("dave", "s3cret-pass").status, 201);
  HttpResponse r = login("dave", "s3cret-pass");
  ASSERT_EQ(r.status, 200) << r.body;
  expect_token_works(token_in(r), "dave");
}

TEST_F(Accounts, WrongPasswordAndUnknownUserAre401) {
  ASSERT_EQ(reg("erin", "right-password").status, 201);
  EXPECT_EQ(login("erin", "wrong-password").status, 401);
  EXPECT_EQ(login("erin", "").status, 401);
  EXPECT_EQ(login("nobody", "right-password").status, 401);
  HttpResponse bad = login("erin", "wrong-password");
  EXPECT_EQ(bad.body.find("token"), std::string::npos) << "a failed login returned a token: " << bad.body;
}

TEST_F(Accounts, PasswordsAreStoredAsArgon2idHashes) {
  const std::string password = "plaintext-canary-1f7e";
  ASSERT_EQ(reg("frank", password).status, 201);
  // Stop the server so everything is in the database files.
  ASSERT_TRUE(stop_server().ok());
  std::string db;
  for (const auto& entry : std::filesystem::directory_iterator(data_dir()))
    if (entry.is_regular_file()) db += read_file(entry.path());
  EXPECT_EQ(db.find(password), std::string::npos) << "the password is stored in clear in " << data_dir();
  EXPECT_NE(db.find("$argon2id$"), std::string::npos) << "no Argon2id hash in " << data_dir();
}

TEST_F(Accounts, RegisteredUserSurvivesRestart) {
  ASSERT_EQ(reg("gina", "persisted-pw").status, 201);
  restart_server();
  EXPECT_EQ(login("gina", "persisted-pw").status, 200);
  EXPECT_EQ(reg("gina", "other-password").status, 409);
}

}  // namespace
}  // namespace parley::test
