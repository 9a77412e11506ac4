#include "bus/hash_ring.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bus/redis_bus.hpp"

using namespace parley;

TEST(HashRing, SpreadsKeysAndIsStable) {
  HashRing ring(2);
  std::vector<int> counts(2);
  for (int i = 0; i < 2000; ++i) ++counts[ring.instance_for("room-" + std::to_string(i))];
  EXPECT_GT(counts[0], 700);
  EXPECT_GT(counts[1], 700);
  HashRing again(2);
  for (int i = 0; i < 100; ++i) {
    auto key = "user" + std::to_string(i);
    EXPECT_EQ(ring.instance_for(key), again.instance_for(key)) << "every node maps a key the same way";
  }
}

TEST(HashRing, AddingAnInstanceMovesAFewKeys) {
  HashRing two(2), three(3);
  int moved = 0;
  for (int i = 0; i < 3000; ++i) {
    auto key = "room-" + std::to_string(i);
    auto before = two.instance_for(key), after = three.instance_for(key);
    if (before != after) {
      ++moved;
      EXPECT_EQ(after, 2u) << "keys only move to the new instance";
    }
  }
  EXPECT_GT(moved, 600);
  EXPECT_LT(moved, 1400);
}

TEST(RedisUrl, Parses) {
  auto e = parse_redis_url("redis://127.0.0.1:6380");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->host, "127.0.0.1");
  EXPECT_EQ(e->port, 6380);
  EXPECT_EQ(parse_redis_url("localhost")->port, 6379);
  EXPECT_FALSE(parse_redis_url("http://x:1"));
  EXPECT_FALSE(parse_redis_url("redis://:1"));
  EXPECT_FALSE(parse_redis_url("redis://h:notaport"));
  EXPECT_FALSE(e->tls);
  EXPECT_TRUE(e->password.empty());
}

TEST(RedisUrl, CarriesTlsAuthAndDatabase) {
  auto e = parse_redis_url("rediss://parley:p%40ss%3Aword@redis.internal:6390/3");
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->tls);
  EXPECT_EQ(e->host, "redis.internal");
  EXPECT_EQ(e->port, 6390);
  EXPECT_EQ(e->user, "parley");
  EXPECT_EQ(e->password, "p@ss:word") << "percent-escapes are decoded";
  EXPECT_EQ(e->db, 3);
  EXPECT_EQ(e->name(), "redis.internal:6390") << "the name shown in logs has no password";

  auto d = parse_redis_url("redis://:only-a-password@h");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->user, "");
  EXPECT_EQ(d->password, "only-a-password");
  auto u = parse_redis_url("rediss://name@h:1");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->user, "name");
  EXPECT_EQ(u->password, "");
  EXPECT_FALSE(parse_redis_url("redis://h/notadb"));
  EXPECT_FALSE(parse_redis_url("redis://h/-1"));
}
