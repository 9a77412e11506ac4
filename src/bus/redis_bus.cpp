#include "bus/redis_bus.hpp"

#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include <boost/url/parse.hpp>
#include <charconv>

#include "bus/codec.hpp"
#include "bus/legacy_codec.hpp"
#include "bus/redis_client.hpp"
#include "metrics/metrics.hpp"

namespace parley {
namespace {

constexpr std::string_view kRoomPrefix = "parley:room:";
constexpr std::string_view kUserPrefix = "parley:user:";

template <class T>
bool number(std::string_view s, T& out) {
  return std::from_chars(s.data(), s.data() + s.size(), out).ec == std::errc{};
}

}  // namespace

std::optional<RedisEndpoint> parse_redis_url(const std::string& url) {
  std::string text = url.find("://") == std::string::npos ? "redis://" + url : url;
  auto u = boost::urls::parse_uri(text);
  if (!u || (u->scheme() != "redis" && u->scheme() != "rediss") || u->host().empty()) return std::nullopt;
  RedisEndpoint e;
  e.host = std::string(u->host());
  e.tls = u->scheme() == "rediss";
  if (u->has_port() && !number(u->port(), e.port)) return std::nullopt;
  if (u->has_userinfo()) {
    // Decoded. "redis://:secret@host" is the default user's password; "redis://name@host" a
    // user whose password comes from redis_password(_file).
    e.user = u->user();
    e.password = u->password();
  }
  std::string_view path = u->encoded_path();
  if (!path.empty() && path != "/") {
    if (path.front() == '/') path.remove_prefix(1);
    if (!number(path, e.db) || e.db < 0) return std::nullopt;
  }
  return e;
}

RedisBus::RedisBus(boost::asio::io_context& ioc, std::vector<RedisEndpoint> instances, std::shared_ptr<RedisTls> tls,
                   std::string node_id, Metrics& metrics)
    : ring_(instances.size()), node_id_(std::move(node_id)), metrics_(metrics) {
  for (std::size_t i = 0; i < instances.size(); ++i) {
    const auto& e = instances[i];
    auto name = e.name();
    Shard shard;
    shard.pub = std::make_shared<RedisClient>(ioc, e, e.tls ? tls : nullptr, name + " (pub)");
    RedisEndpoint sub = e;
    sub.db = 0;  // pub/sub channels are global to the instance
    shard.sub = std::make_shared<RedisClient>(ioc, sub, e.tls ? tls : nullptr, name + " (sub)");
    shards_.push_back(std::move(shard));
  }
}

RedisBus::~RedisBus() = default;

void RedisBus::start() {
  for (auto& shard : shards_) {
    shard.pub->start([this, first = std::make_shared<bool>(true)] {
      if (!*first && on_reconnect_) on_reconnect_();
      *first = false;
    });
    shard.sub->start([this, &shard] {
      // (Re)connected: subscribe everything this node holds on this instance.
      std::lock_guard lock(mu_);
      for (auto& ch : shard.unsubscribing) {
        if (shard.wanted.count(ch)) shard.subscribed.insert(ch);
      }
      shard.unsubscribing.clear();
      for (auto& ch : shard.subscribed) send_subscribe(shard, ch);
    });
  }
}

void RedisBus::stop() {
  for (auto& s : shards_) {
    s.pub->stop();
    s.sub->stop();
  }
}

void RedisBus::sweep(int64_t now_ms) {
  constexpr int64_t kLinger = 5000;
  std::lock_guard lock(mu_);
  for (auto& shard : shards_) {
    for (auto it = shard.idle_since.begin(); it != shard.idle_since.end();) {
      if (shard.wanted.count(it->first)) {
        it = shard.idle_since.erase(it);
      } else if (it->second + kLinger <= now_ms) {
        shard.subscribed.erase(it->first);
        shard.unsubscribing.insert(it->first);
        shard.sub->command({"UNSUBSCRIBE", it->first});
        it = shard.idle_since.erase(it);
      } else {
        ++it;
      }
    }
  }
}

int RedisBus::pending() const {
  int n = 0;
  for (auto& s : shards_) n += s.pub->pending() + s.sub->pending();
  return n;
}

std::string RedisBus::unavailable() const {
  std::string down;
  for (auto& s : shards_) {
    for (auto* c : {s.pub.get(), s.sub.get()}) {
      if (!c->connected()) down += (down.empty() ? "redis " : ", ") + c->name();
    }
  }
  return down.empty() ? down : down + " not connected";
}

std::shared_ptr<RedisClient> RedisBus::client_for(std::string_view key) const { return shards_[ring_.instance_for(key)].pub; }

void RedisBus::publish(const RoomEvent& event) {
  publish_timed(event.room, std::string(kRoomPrefix) + event.room,
                v1_room_ ? bus_codec::legacy::encode(event, *v1_room_(event)) : bus_codec::encode(event));
}

void RedisBus::publish(const UserEvent& event) { publish(event, nullptr); }

void RedisBus::publish(const UserEvent& event, std::function<void(bool)> done) {
  // Events without a client frame (access changes, relayed input) have no version-1 form:
  // a version-1 node ignores them as an unknown kind.
  Frame v1 = v1_user_ ? v1_user_(event) : Frame();
  publish_timed(event.user, std::string(kUserPrefix) + event.user,
                v1 ? bus_codec::legacy::encode(event, *v1) : bus_codec::encode(event), std::move(done));
}

void RedisBus::publish_timed(std::string_view key, std::string channel, std::string payload,
                             std::function<void(bool)> done) {
  using namespace std::chrono;
  client_for(key)->command({"PUBLISH", std::move(channel), std::move(payload)},
                           [m = &metrics_, start = steady_clock::now(), done = std::move(done)](redisReply* r) {
                             if (done) done(r != nullptr && r->type != REDIS_REPLY_ERROR);
                             if (!r) return;  // not sent: the link is down
                             m->bus_publish_latency.observe(static_cast<uint64_t>(
                                 duration_cast<microseconds>(steady_clock::now() - start).count()));
                           });
}

void RedisBus::subscribe_room(const std::string& room) { want(std::string(kRoomPrefix) + room, room); }
void RedisBus::unsubscribe_room(const std::string& room) { unwant(std::string(kRoomPrefix) + room, room); }
void RedisBus::subscribe_user(const std::string& user) { want(std::string(kUserPrefix) + user, user); }
void RedisBus::unsubscribe_user(const std::string& user) { unwant(std::string(kUserPrefix) + user, user); }

void RedisBus::want(const std::string& channel, std::string_view key) {
  std::lock_guard lock(mu_);
  auto& shard = shards_[ring_.instance_for(key)];
  shard.wanted.insert(channel);
  shard.idle_since.erase(channel);
  if (shard.unsubscribing.count(channel)) return;  // resubscribed when the unsubscribe is through
  if (shard.subscribed.insert(channel).second) send_subscribe(shard, channel);
}

void RedisBus::unwant(const std::string& channel, std::string_view key) {
  using namespace std::chrono;
  std::lock_guard lock(mu_);
  auto& shard = shards_[ring_.instance_for(key)];
  if (shard.wanted.erase(channel)) {
    shard.idle_since[channel] = duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
  }
}

void RedisBus::send_subscribe(Shard& shard, const std::string& channel) {
  shard.sub->command({"SUBSCRIBE", channel}, [this, &shard, channel](redisReply* r) {
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 3) return;
    std::string_view kind(r->element[0]->str, r->element[0]->len);
    if (kind == "message") {
      on_message(std::string_view(r->element[1]->str, r->element[1]->len), std::string_view(r->element[2]->str, r->element[2]->len));
    } else if (kind == "subscribe") {
      if (handler_ && channel.starts_with(kRoomPrefix)) handler_->on_room_subscribed(channel.substr(kRoomPrefix.size()));
    } else if (kind == "unsubscribe") {
      // Wanted again since the sweep decided to drop it: subscribe afresh now that the
      // unsubscribe is through.
      std::lock_guard lock(mu_);
      shard.unsubscribing.erase(channel);
      if (shard.wanted.count(channel) && shard.subscribed.insert(channel).second) send_subscribe(shard, channel);
    }
  }, /*persistent=*/true);
}

void RedisBus::on_message(std::string_view channel, std::string_view payload) {
  if (!handler_) return;
  auto report = [&](bus_codec::Decoded d) {
    if (d == bus_codec::Decoded::ok) return true;
    if (d == bus_codec::Decoded::malformed) {
      spdlog::warn("redis bus: ignored a malformed event on {}", channel);
    } else {
      // A newer node's event: this node has nothing to do with it (docs/cluster.md).
      spdlog::debug("redis bus: ignored an event of an unknown kind or version on {}", channel);
    }
    return false;
  };
  if (channel.starts_with(kRoomPrefix)) {
    RoomEvent e;
    if (!report(bus_codec::decode(channel.substr(kRoomPrefix.size()), payload, e))) return;
    if (e.origin == node_id_) return;  // the hub delivered it here before publishing
    handler_->on_room_event(e);
  } else if (channel.starts_with(kUserPrefix)) {
    UserEvent e;
    if (!report(bus_codec::decode(channel.substr(kUserPrefix.size()), payload, e))) return;
    if (e.origin == node_id_) return;
    handler_->on_user_event(e);
  }
}

}  // namespace parley
