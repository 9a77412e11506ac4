#include "hub/rate_limiter.hpp"

#include <gtest/gtest.h>

using parley::TokenBucket;

TEST(TokenBucket, BurstThenRefill) {
  TokenBucket b(10, 20, 0);
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(b.take(0)) << i;
  EXPECT_FALSE(b.take(0));
  EXPECT_FALSE(b.take(50));   // half a token
  EXPECT_TRUE(b.take(100));   // one token after 100 ms at 10/s
  EXPECT_FALSE(b.take(100));
}

TEST(TokenBucket, NeverExceedsBurst) {
  TokenBucket b(10, 5, 0);
  EXPECT_TRUE(b.full(60'000));
  int taken = 0;
  while (b.take(60'000)) ++taken;
  EXPECT_EQ(taken, 5);
  EXPECT_FALSE(b.full(60'000));
}

TEST(TokenBucket, ClockGoingBackwardsGrantsNothing) {
  TokenBucket b(10, 1, 1000);
  EXPECT_TRUE(b.take(1000));
  EXPECT_FALSE(b.take(500));
}
