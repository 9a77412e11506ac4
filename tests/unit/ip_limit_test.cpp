// Connections per client address: slots, and the client address behind trusted proxies.
#include "net/ip_limit.hpp"

#include <gtest/gtest.h>

namespace parley {
namespace {

TEST(IpLimiter, GivesUpToTheLimitPerAddressAndTakesPlacesBack) {
  IpLimiter limiter(2);
  IpSlot a = limiter.acquire("10.0.0.1");
  IpSlot b = limiter.acquire("10.0.0.1");
  EXPECT_TRUE(a.held());
  EXPECT_TRUE(b.held());
  EXPECT_FALSE(limiter.acquire("10.0.0.1").held());
  EXPECT_TRUE(limiter.acquire("10.0.0.2").held()) << "another address has its own places";
  EXPECT_EQ(limiter.count("10.0.0.1"), 2u);
  { IpSlot gone = std::move(a); }
  EXPECT_EQ(limiter.count("10.0.0.1"), 1u);
  IpSlot c = limiter.acquire("10.0.0.1");
  EXPECT_TRUE(c.held());
  c = IpSlot{};  // assigning an empty slot gives the place back
  EXPECT_EQ(limiter.count("10.0.0.1"), 1u);
  EXPECT_EQ(limiter.count("10.0.0.2"), 0u) << "a refused or released address leaves no entry";
}

TEST(IpLimiter, ZeroMeansUnlimited) {
  IpLimiter limiter(0);
  std::vector<IpSlot> slots;
  for (int i = 0; i < 1000; ++i) slots.push_back(limiter.acquire("10.0.0.1"));
  EXPECT_TRUE(slots.back().held());
}

TEST(ForwardedClient, TakesTheRightmostAddressThatIsNotATrustedProxy) {
  const std::vector<std::string> trusted = {"127.0.0.1", "10.0.0.9"};
  EXPECT_EQ(forwarded_client("203.0.113.7", trusted), "203.0.113.7");
  EXPECT_EQ(forwarded_client("198.51.100.1, 203.0.113.7", trusted), "203.0.113.7") << "a client-written entry on the left is not believed";
  EXPECT_EQ(forwarded_client("203.0.113.7, 10.0.0.9", trusted), "203.0.113.7") << "chained trusted proxies are skipped";
  EXPECT_EQ(forwarded_client(" 2001:db8::1 ", trusted), "2001:db8::1");
  EXPECT_EQ(forwarded_client("", trusted), "");
  EXPECT_EQ(forwarded_client("10.0.0.9", trusted), "") << "only proxies: no client address";
  EXPECT_EQ(forwarded_client("203.0.113.7, not-an-ip", trusted), "") << "garbage on the right: trust nothing";
}

TEST(IsTrustedProxy, ComparesAddressesNotText) {
  const std::vector<std::string> trusted = {"127.0.0.1", "2001:db8::0:1"};
  EXPECT_TRUE(is_trusted_proxy("127.0.0.1", trusted));
  EXPECT_TRUE(is_trusted_proxy("::ffff:127.0.0.1", trusted)) << "IPv4-mapped IPv6";
  EXPECT_TRUE(is_trusted_proxy("2001:db8::1", trusted));
  EXPECT_FALSE(is_trusted_proxy("127.0.0.2", trusted));
  EXPECT_FALSE(is_trusted_proxy("127.0.0.1", {}));
}

}  // namespace
}  // namespace parley
