#pragma once
// The cluster bus: Redis pub/sub. Each room has a channel `parley:room:<room>` and each user
// a channel `parley:user:<user>`; channels are spread over the configured Redis instances by
// consistent hashing. A node subscribes to a room's channel only while it has a local online
// member of the room and publishes each event once (bus/codec.hpp is its form); it drops
// its own events when Redis hands them back (the hub delivered them here already).
//
// Delivery is at most once (Redis pub/sub): events published while a link is down are lost
// for live delivery; clients recover messages with `sync`. After a reconnect the node
// re-subscribes everything it needs. A room's events reach the hub from one strand, in the
// order Redis delivered them; the hub restores seq order across publishers.
#include <boost/asio/io_context.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "bus/bus.hpp"
#include "bus/hash_ring.hpp"
#include "bus/redis_endpoint.hpp"

namespace parley {

class RedisClient;
class RedisTls;
struct Metrics;

class RedisBus final : public Bus {
 public:
  // `metrics` (PUBLISH round trips) outlives the bus.
  // `node_id`: this node's id, the origin of the events it publishes.
  // `tls`: the TLS settings of the rediss:// instances (null when there are none).
  RedisBus(boost::asio::io_context& ioc, std::vector<RedisEndpoint> instances, std::shared_ptr<RedisTls> tls,
           std::string node_id, Metrics& metrics);
  ~RedisBus() override;

  void start();
  void stop();
  // Unsubscribes channels no longer wanted for a few seconds. Call periodically. (Lazy on
  // purpose: a room whose last member comes and goes keeps its subscription.)
  void sweep(int64_t now_ms);

  void set_handler(BusHandler* handler) override { handler_ = handler; }
  void publish(const RoomEvent& event) override;
  void publish(const UserEvent& event) override;
  void publish(const UserEvent& event, std::function<void(bool)> done) override;
  void subscribe_room(const std::string& room) override;
  void unsubscribe_room(const std::string& room) override;
  void subscribe_user(const std::string& user) override;
  void unsubscribe_user(const std::string& user) override;

  // Publish in the version-1 form (bus/legacy_codec.hpp) while version-1 nodes are in the
  // cluster: `room`/`user` give each event's client frame. Call before start().
  void write_version_1(std::function<Frame(const RoomEvent&)> room, std::function<Frame(const UserEvent&)> user) {
    v1_room_ = std::move(room);
    v1_user_ = std::move(user);
  }

  // Commands sent and not yet answered, on every instance (drain waits for 0).
  int pending() const;
  // Empty when every connection (commands and subscriptions, on every instance) is up;
  // otherwise names the ones that are down. Any thread (readiness probe).
  std::string unavailable() const;
  // Called after a command connection reconnects (not on the first connect): state kept in
  // Redis may be gone (a restarted Redis) and should be written again.
  void on_reconnect(std::function<void()> fn) { on_reconnect_ = std::move(fn); }

  // The command connection of the instance that owns `key` (for presence and other state).
  std::shared_ptr<RedisClient> client_for(std::string_view key) const;
  std::size_t instance_for(std::string_view key) const { return ring_.instance_for(key); }
  std::shared_ptr<RedisClient> client(std::size_t instance) const { return shards_[instance].pub; }

 private:
  struct Shard {
    std::shared_ptr<RedisClient> pub;  // PUBLISH and other commands
    std::shared_ptr<RedisClient> sub;  // SUBSCRIBE only
    std::set<std::string> wanted;      // channels the hub needs
    std::set<std::string> subscribed;  // channels subscribed (re-issued after a reconnect)
    std::set<std::string> unsubscribing;  // UNSUBSCRIBE sent, reply not yet in
    std::map<std::string, int64_t> idle_since;  // subscribed but unwanted since (mono ms)
  };
  void want(const std::string& channel, std::string_view key);
  void unwant(const std::string& channel, std::string_view key);
  void send_subscribe(Shard& shard, const std::string& channel);
  void on_message(std::string_view channel, std::string_view payload);
  // PUBLISH, timing the round trip.
  void publish_timed(std::string_view key, std::string channel, std::string payload,
                     std::function<void(bool)> done = nullptr);

  HashRing ring_;
  const std::string node_id_;
  std::function<Frame(const RoomEvent&)> v1_room_;
  std::function<Frame(const UserEvent&)> v1_user_;
  std::vector<Shard> shards_;
  BusHandler* handler_ = nullptr;
  Metrics& metrics_;
  std::function<void()> on_reconnect_;
  std::mutex mu_;  // guards every Shard::wanted, subscribed, idle_since
};

}  // namespace parley
