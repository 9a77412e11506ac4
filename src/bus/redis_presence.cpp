#include "bus/redis_presence.hpp"

#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <chrono>

#include "bus/redis_client.hpp"

namespace parley {
namespace {

const std::string kNodes = "parley:nodes";
std::string presence_key(const std::string& user) { return "parley:presence:" + user; }
std::string urooms_key(const std::string& user) { return "parley:uroom:" + user; }
// A sorted set (every score 0, so in name order): pages of it cost O(log n + page).
std::string online_key(const std::string& room) { return "parley:roomonline:" + room; }
std::string node_key(const std::string& node) { return "parley:node:" + node; }

int64_t wall_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// KEYS: presence, urooms. ARGV: node, expiry, now, rooms... Marks the user online on node,
// drops other nodes' expired entries, returns how many other nodes hold the user.
constexpr const char* kOnline = R"lua(
local others = 0
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if all[i] ~= ARGV[1] then
    if tonumber(all[i + 1]) > tonumber(ARGV[3]) then others = others + 1
    else redis.call('HDEL', KEYS[1], all[i]) end
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
for i = 4, #ARGV do redis.call('SADD', KEYS[2], ARGV[i]) end
return others
)lua";

// KEYS: presence, urooms. ARGV: node, now. Takes the user offline on node; when no live
// node holds it any more, returns the user's rooms (and clears them), else nil.
constexpr const char* kOffline = R"lua(
redis.call('HDEL', KEYS[1], ARGV[1])
local live = 0
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if tonumber(all[i + 1]) > tonumber(ARGV[2]) then live = live + 1
  else redis.call('HDEL', KEYS[1], all[i]) end
end
if live > 0 then return nil end
local rooms = redis.call('SMEMBERS', KEYS[2])
redis.call('DEL', KEYS[2])
return rooms
)lua";

// KEYS: online. ARGV: min (a ZRANGE BYLEX bound), limit. How many are online, and a page.
constexpr const char* kPage = R"lua(
local page = {}
if tonumber(ARGV[2]) > 0 then
  page = redis.call('ZRANGE', KEYS[1], ARGV[1], '+', 'BYLEX', 'LIMIT', 0, ARGV[2])
end
return {redis.call('ZCARD', KEYS[1]), page}
)lua";

}  // namespace

RedisPresence::RedisPresence(RedisBus& bus, std::string node_id, int64_t heartbeat_ms)
    : bus_(bus), node_(std::move(node_id)), heartbeat_ms_(heartbeat_ms) {}

void RedisPresence::node_online(const std::string& user, const std::vector<std::string>& rooms,
                                std::function<void(bool)> done) {
  {
    std::lock_guard lock(mu_);
    local_users_[user].insert(rooms.begin(), rooms.end());
  }
  int64_t now = wall_ms();
  std::vector<std::string> args{"EVAL", kOnline, "2", presence_key(user), urooms_key(user), node_,
                                std::to_string(expiry(now)), std::to_string(now)};
  args.insert(args.end(), rooms.begin(), rooms.end());
  bus_.client_for(user)->command(std::move(args), [done = std::move(done)](redisReply* r) {
    // Redis unreachable: assume first, so that the user is announced rather than missed.
    done(!r || r->type != REDIS_REPLY_INTEGER || r->integer == 0);
  });
  for (auto& room : rooms) bus_.client_for(room)->command({"ZADD", online_key(room), "0", user});
  // The node's liveness goes in with its first user, not only on the next tick: a node that
  // dies right after must still be found and its users taken offline.
  bus_.client_for(kNodes)->command({"ZADD", kNodes, std::to_string(expiry(now)), node_});
  bus_.client_for(node_)->command({"SADD", node_key(node_), user});
}

void RedisPresence::node_offline(const std::string& user, std::function<void(bool)> done) {
  {
    std::lock_guard lock(mu_);
    local_users_.erase(user);
  }
  bus_.client_for(node_)->command({"SREM", node_key(node_), user});
  take_offline(user, node_, [done = std::move(done)](bool last, std::vector<std::string>) { done(last); });
}

void RedisPresence::take_offline(const std::string& user, const std::string& node,
                                 std::function<void(bool, std::vector<std::string>)> done) {
  bus_.client_for(user)->command(
      {"EVAL", kOffline, "2", presence_key(user), urooms_key(user), node, std::to_string(wall_ms())},
      [this, user, done = std::move(done)](redisReply* r) {
        if (!r || r->type != REDIS_REPLY_ARRAY) return done(!r, {});  // nil: still online elsewhere
        std::vector<std::string> rooms;
        for (std::size_t i = 0; i < r->elements; ++i) rooms.emplace_back(r->element[i]->str, r->element[i]->len);
        for (auto& room : rooms) bus_.client_for(room)->command({"ZREM", online_key(room), user});
        done(true, std::move(rooms));
      });
}

namespace {
// ZADD/ZREM answer how many members they added/removed: 1 to exactly one of several nodes
// racing on one change.
RedisClient::ReplyFn changed_reply(Presence::ChangedFn done) {
  if (!done) return {};
  return [done = std::move(done)](redisReply* r) { done(r && r->type == REDIS_REPLY_INTEGER && r->integer > 0); };
}
}  // namespace

void RedisPresence::room_joined(const std::string& user, const std::string& room, ChangedFn done) {
  {
    std::lock_guard lock(mu_);
    if (auto it = local_users_.find(user); it != local_users_.end()) it->second.insert(room);
  }
  bus_.client_for(user)->command({"SADD", urooms_key(user), room});
  bus_.client_for(room)->command({"ZADD", online_key(room), "0", user}, changed_reply(std::move(done)));
}

void RedisPresence::room_left(const std::string& user, const std::string& room, ChangedFn done) {
  {
    std::lock_guard lock(mu_);
    if (auto it = local_users_.find(user); it != local_users_.end()) it->second.erase(room);
  }
  bus_.client_for(user)->command({"SREM", urooms_key(user), room});
  bus_.client_for(room)->command({"ZREM", online_key(room), user}, changed_reply(std::move(done)));
}

void RedisPresence::online_page(const std::string& room, const std::string& after, std::size_t limit,
                                std::function<void(OnlinePage)> done) {
  std::string min = after.empty() ? "-" : "(" + after;
  bus_.client_for(room)->command({"EVAL", kPage, "1", online_key(room), std::move(min), std::to_string(limit)},
                                 [done = std::move(done)](redisReply* r) {
                                   OnlinePage page;
                                   if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
                                     if (r->element[0]->type == REDIS_REPLY_INTEGER) {
                                       page.count = static_cast<std::size_t>(r->element[0]->integer);
                                     }
                                     const redisReply* users = r->element[1];
                                     for (std::size_t i = 0; users->type == REDIS_REPLY_ARRAY && i < users->elements; ++i) {
                                       page.users.emplace_back(users->element[i]->str, users->element[i]->len);
                                     }
                                   }
                                   done(std::move(page));
                                 });
}

void RedisPresence::tick(int64_t) {
  int64_t now = wall_ms();
  if (now < next_tick_ms_) return;
  next_tick_ms_ = now + std::max<int64_t>(100, heartbeat_ms_ / 3);
  std::vector<std::string> users;
  {
    std::lock_guard lock(mu_);
    for (auto& [user, rooms] : local_users_) users.push_back(user);
  }
  std::string until = std::to_string(expiry(now));
  bus_.client_for(kNodes)->command({"ZADD", kNodes, until, node_});
  for (auto& u : users) bus_.client_for(u)->command({"HSET", presence_key(u), node_, until});
  bus_.client_for(kNodes)->command({"ZRANGEBYSCORE", kNodes, "-inf", std::to_string(now)}, [this](redisReply* r) {
    if (!r || r->type != REDIS_REPLY_ARRAY) return;
    for (std::size_t i = 0; i < r->elements; ++i) {
      std::string node(r->element[i]->str, r->element[i]->len);
      if (node != node_) claim_dead_node(node);
    }
  });
}

void RedisPresence::claim_dead_node(const std::string& node) {
  bus_.client_for(kNodes)->command({"ZREM", kNodes, node}, [this, node](redisReply* r) {
    if (!r || r->type != REDIS_REPLY_INTEGER || r->integer != 1) return;  // another node claimed it
    spdlog::warn("presence: node {} stopped refreshing; taking its users offline", node);
    bus_.client_for(node)->command({"SMEMBERS", node_key(node)}, [this, node](redisReply* m) {
      if (!m || m->type != REDIS_REPLY_ARRAY) return;
      for (std::size_t i = 0; i < m->elements; ++i) {
        std::string user(m->element[i]->str, m->element[i]->len);
        take_offline(user, node, [this, user](bool last, std::vector<std::string> rooms) {
          if (last && expired_) expired_(user, rooms);
        });
      }
      bus_.client_for(node)->command({"DEL", node_key(node)});
    });
  });
}

void RedisPresence::reregister() {
  std::map<std::string, std::set<std::string>> users;
  {
    std::lock_guard lock(mu_);
    users = local_users_;
  }
  spdlog::info("presence: writing {} local users to Redis again", users.size());
  std::string until = std::to_string(expiry(wall_ms()));
  for (auto& [user, rooms] : users) {
    bus_.client_for(user)->command({"HSET", presence_key(user), node_, until});
    bus_.client_for(node_)->command({"SADD", node_key(node_), user});
    for (auto& room : rooms) {
      bus_.client_for(user)->command({"SADD", urooms_key(user), room});
      bus_.client_for(room)->command({"ZADD", online_key(room), "0", user});
    }
  }
}

void RedisPresence::is_online(const std::string& user, std::function<void(bool)> done) {
  // The user's hash holds each node that has them online, with that node's expiry.
  bus_.client_for(user)->command({"HVALS", presence_key(user)}, [now = wall_ms(), done = std::move(done)](redisReply* r) {
    bool online = false;
    if (r && r->type == REDIS_REPLY_ARRAY) {
      for (std::size_t i = 0; i < r->elements; ++i) {
        if (r->element[i]->str && std::strtoll(r->element[i]->str, nullptr, 10) > now) online = true;
      }
    }
    done(online);
  });
}

}  // namespace parley
