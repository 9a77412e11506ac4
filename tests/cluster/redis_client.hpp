// A minimal blocking Redis client (RESP2 over loopback TCP) for what the tests ask Redis
// directly: FLUSHALL between tests, PUBSUB CHANNELS / NUMSUB to see which instance carries
// a room's channel and how many nodes subscribe to it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace parley::test::cluster {

struct RedisReply {
  enum Kind { status, error, integer, bulk, nil, array } kind = nil;
  std::string str;                 // status, error, bulk
  std::int64_t num = 0;            // integer
  std::vector<RedisReply> items;   // array
  std::string describe() const;
};

// One command on a fresh connection; throws on a transport error or an error reply.
RedisReply redis_command(std::uint16_t port, const std::vector<std::string>& args,
                         std::chrono::milliseconds timeout = std::chrono::seconds(5));

// PUBSUB CHANNELS <pattern> as a list of names.
std::vector<std::string> redis_channels(std::uint16_t port, const std::string& pattern = "*");
// PUBSUB NUMSUB <channel>: how many connections subscribe to it.
std::int64_t redis_numsub(std::uint16_t port, const std::string& channel);

}  // namespace parley::test::cluster
