// Login throttling (net/login_throttle.hpp, docs/operations.md → Login throttling): failed
// logins per client address, then per account for guesses spread over addresses, capped so
// that the owner is never locked out for long; registrations per address; Argon2id work
// bounded by a concurrency limit. Requests come from other loopback addresses (127.0.0.x) to
// stand for other clients.
#include <future>

#include "parley_test.hpp"

namespace parley::test {
namespace {

using namespace std::chrono_literals;

class LoginThrottle : public ParleyTest {
 protected:
  HttpResponse login(std::string_view user, std::string_view password, std::string_view from = "127.0.0.1",
                     Headers headers = {}) {
    headers.emplace_back("Content-Type", "application/json");
    const std::string body = R"({"user":")" + std::string(user) + R"(","password":")" + std::string(password) + R"("})";
    return http_request(port(), "POST", "/api/login", body, headers, 10s, from);
  }
  HttpResponse sign_up(std::string_view user, std::string_view from = "127.0.0.1") {
    const std::string body = R"({"user":")" + std::string(user) + R"(","password":"right-password"})";
    return http_request(port(), "POST", "/api/register", body, {{"Content-Type", "application/json"}}, 10s, from);
  }
  // A throttled answer: 429 with Retry-After in whole seconds and retry_after_ms in the body.
  static int64_t retry_after_ms(const HttpResponse& r) {
    EXPECT_EQ(r.status, 429) << r.body;
    EXPECT_FALSE(r.header("Retry-After").empty());
    const int64_t ms = get_int(r.json().as_object(), "retry_after_ms");
    EXPECT_GT(ms, 0);
    EXPECT_EQ(std::stoll(r.header("Retry-After")), (ms + 999) / 1000);
    return ms;
  }
};

TEST_F(LoginThrottle, GuessesFromOneAddressGet429ThenAreAllowedAfterTheWait) {
  start_server({{"--login-ip-burst", "3"}, {"--login-ip-per-min", "60"}});
  ASSERT_EQ(sign_up("alice").status, 201);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(login("alice", "guess-" + std::to_string(i)).status, 401) << i;
  auto refused = login("alice", "guess-3");
  const int64_t wait = retry_after_ms(refused);
  EXPECT_LE(wait, 1000) << "one failure per second refills";
  // The right password from that address waits too: the address is throttled, not the guess.
  EXPECT_EQ(login("alice", "right-password").status, 429);
  // Waiting out Retry-After is the point of this test: no event would say it earlier.
  std::this_thread::sleep_for(std::chrono::milliseconds(wait + 50));
  EXPECT_EQ(login("alice", "right-password").status, 200);
}

TEST_F(LoginThrottle, TheOwnerStillLogsInFromAnotherAddress) {
  start_server({{"--login-ip-burst", "3"}});
  ASSERT_EQ(sign_up("alice").status, 201);
  for (int i = 0; i < 3; ++i) login("alice", "guess", "127.0.0.66");
  EXPECT_EQ(login("alice", "guess", "127.0.0.66").status, 429);
  EXPECT_EQ(login("alice", "right-password", "127.0.0.2").status, 200);
}

TEST_F(LoginThrottle, GuessesSpreadOverAddressesDelayTheAccountUpToTheCap) {
  start_server({{"--login-ip-burst", "100"}, {"--login-account-free", "3"}, {"--login-account-max-delay-ms", "2000"}});
  ASSERT_EQ(sign_up("alice").status, 201);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(login("alice", "guess", "127.0.1." + std::to_string(i + 1)).status, 401) << i;
  }
  // From a fresh address too: the account waits (1 s after the third failure).
  auto refused = login("alice", "right-password", "127.0.2.1");
  const int64_t first = retry_after_ms(refused);
  EXPECT_LE(first, 1000);
  std::this_thread::sleep_for(std::chrono::milliseconds(first + 50));
  EXPECT_EQ(login("alice", "guess", "127.0.1.9").status, 401);
  // Doubling, but never beyond the cap.
  const int64_t second = retry_after_ms(login("alice", "right-password", "127.0.2.2"));
  EXPECT_GT(second, first);
  EXPECT_LE(second, 2000);
  std::this_thread::sleep_for(std::chrono::milliseconds(second + 50));
  EXPECT_EQ(login("alice", "right-password", "127.0.2.3").status, 200);
  // The success reset the account: one more failure is a plain 401.
  EXPECT_EQ(login("alice", "guess", "127.0.1.10").status, 401);
  EXPECT_EQ(login("alice", "right-password", "127.0.2.4").status, 200);
}

TEST_F(LoginThrottle, BehindATrustedProxyTheForwardedAddressIsThrottled) {
  start_server({{"--login-ip-burst", "2"}, {"--trusted-proxies", "127.0.0.1"}});
  ASSERT_EQ(sign_up("alice").status, 201);
  const Headers attacker{{"X-Forwarded-For", "203.0.113.7"}};
  for (int i = 0; i < 2; ++i) login("alice", "guess", "127.0.0.1", attacker);
  EXPECT_EQ(login("alice", "guess", "127.0.0.1", attacker).status, 429);
  EXPECT_EQ(login("alice", "right-password", "127.0.0.1", {{"X-Forwarded-For", "198.51.100.4"}}).status, 200)
      << "another client behind the same proxy";
}

TEST_F(LoginThrottle, RegistrationFloodsFromOneAddressGet429) {
  start_server({{"--register-ip-burst", "2"}});
  EXPECT_EQ(sign_up("user1").status, 201);
  EXPECT_EQ(sign_up("user2").status, 201);
  auto third = sign_up("user3");
  const int64_t wait = retry_after_ms(third);
  EXPECT_GT(wait, 60000) << "ten an hour by default";
  EXPECT_EQ(sign_up("user3", "127.0.0.5").status, 201) << "another address";
  EXPECT_EQ(http_post_json(port(), "/api/login", {{"user", "user3"}, {"password", "right-password"}}).status, 200);
}

TEST_F(LoginThrottle, PasswordHashingIsBoundedByItsConcurrencyLimit) {
  start_server({{"--password-hash-concurrency", "1"}, {"--login-ip-burst", "1000"}, {"--register-ip-burst", "100"}});
  ASSERT_EQ(sign_up("alice").status, 201);
  // Many logins at once: one hashes at a time, the others are told to come back.
  std::vector<std::future<HttpResponse>> all;
  for (int i = 0; i < 12; ++i) all.push_back(std::async(std::launch::async, [&, i] {
    return login("alice", i % 2 ? "right-password" : "guess", "127.0.3." + std::to_string(i + 1));
  }));
  int busy = 0, answered = 0;
  for (auto& f : all) {
    auto r = f.get();
    if (r.status == 503) {
      ++busy;
      EXPECT_EQ(r.header("Retry-After"), "1");
    } else {
      ++answered;
      EXPECT_TRUE(r.status == 200 || r.status == 401) << r.status << " " << r.body;
    }
  }
  EXPECT_GT(busy, 0) << "twelve Argon2id hashes did not run at once";
  EXPECT_GT(answered, 0);
}

}  // namespace
}  // namespace parley::test
