#include "app/node.hpp"

#include "app/lanes.hpp"
#include "app/webhook_setup.hpp"
#include "webhooks/push_sender.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <thread>

#include <sodium.h>

#include "auth/api_keys.hpp"
#include "auth/secret.hpp"
#include "bus/local_bus.hpp"
#include "bus/local_presence.hpp"
#include "bus/redis_bus.hpp"
#include "bus/redis_client.hpp"
#include "bus/redis_presence.hpp"
#include "store/blob_store.hpp"
#include "store/pg_store.hpp"
#include "hub/hub.hpp"
#include "metrics/metrics.hpp"
#include "net/frames.hpp"
#include "net/ip_limit.hpp"
#include "net/login_throttle.hpp"
#include "net/listener.hpp"
#include "net/tls.hpp"
#include "store/sqlite_store.hpp"

namespace parley {
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {
constexpr auto kTickInterval = 100ms;   // typing expiry resolution
constexpr auto kDrainDeadline = 6s;     // wait for clients to finish the close handshake
constexpr std::size_t kLanes = 64;      // lanes that store completions run on, keyed by room
}  // namespace

struct Node::Impl {
  // These two outlive the sessions, also those the io_context destroys last (a connection
  // still open when the drain deadline passed): a session counts into `metrics` and gives
  // its address slot back to `ip_limiter` in its destructor.
  Metrics metrics;
  std::unique_ptr<IpLimiter> ip_limiter;
  std::unique_ptr<LoginThrottle> login_throttle;
  // Declared first, destroyed last: everything below may hold sockets, timers or handlers
  // of these executors.
  asio::io_context ioc;
  // Password hashing and upload processing (sniffing, thumbnails).
  asio::thread_pool blocking{2};
  Options options;
  std::unique_ptr<ApiKeys> api_keys;
  std::unique_ptr<Store> store;
  WebhookOutbox* outbox = nullptr;  // the store's outbox
  std::unique_ptr<webhooks::Sender> webhook_sender;  // when endpoints are configured
  std::unique_ptr<webhooks::HttpHooks> hooks;         // when a hook URL is configured
  std::unique_ptr<webhooks::PushSender> push;         // Web Push for users without a connection
  std::unique_ptr<BlobStore> blobs;
  std::unique_ptr<Bus> bus;
  std::unique_ptr<Presence> presence;
  RedisBus* redis_bus = nullptr;            // set in cluster mode, owned by `bus`
  RedisPresence* redis_presence = nullptr;  // likewise, owned by `presence`
  std::unique_ptr<LaneSet> lanes;
  std::unique_ptr<ProtocolEncoder> encoder;
  std::unique_ptr<Hub> hub;
  std::unique_ptr<JwtCodec> jwt;
  std::unique_ptr<NetContext> net;
  std::unique_ptr<TlsConfig> tls;
  std::shared_ptr<Listener> listener;
  // The node's own timers and signals run on one strand: the tick, the signal handlers and the
  // drain that cancels the tick never run at the same time on two I/O threads.
  asio::strand<asio::io_context::executor_type> control = asio::make_strand(ioc);
  asio::steady_timer tick{control};
  asio::steady_timer upload_sweep{control};
  asio::signal_set signals{control, SIGINT, SIGTERM};
  asio::signal_set reload_signal{control, SIGHUP};
  bool draining = false;

  explicit Impl(Options o) : options(std::move(o)) {}

  void schedule_tick() {
    tick.expires_after(kTickInterval);
    tick.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      hub->tick();
      if (redis_bus) {
        auto mono = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now().time_since_epoch()).count();
        redis_bus->sweep(mono);
        redis_presence->tick(mono);
      }
      schedule_tick();
    });
  }

  // Forgets uploads never sent (past upload_ttl_s) and those of deleted messages, and removes
  // their content. Every node sweeps; a record is forgotten by one of them.
  void schedule_upload_sweep() {
    upload_sweep.expires_after(std::chrono::milliseconds(std::max<int64_t>(100, options.upload_sweep_ms)));
    upload_sweep.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch()).count();
      store->expire_uploads(now_ms - options.upload_ttl_s * 1000, [this](Result<std::vector<std::string>> r) {
        if (!r.ok()) return spdlog::warn("upload sweep: {}", r.status.message());
        if (r.value.empty()) return;
        std::vector<std::string> keys;
        for (auto& id : r.value) {
          keys.push_back(id + std::string(kThumbSuffix));  // the thumbnail first: no thumbnail outlives its file
          keys.push_back(id);
        }
        spdlog::info("upload sweep: {} uploads removed", r.value.size());
        blobs->remove(std::move(keys), [](Result<bool> done) {
          if (!done.ok()) spdlog::warn("upload sweep: {}", done.status.message());
        });
      });
      schedule_upload_sweep();
    });
  }

  // SIGHUP: read the TLS certificate and key again (after a renewal).
  void wait_reload() {
    reload_signal.async_wait([this](boost::system::error_code ec, int) {
      if (ec) return;
      if (!tls) {
        spdlog::info("SIGHUP: nothing to reload (TLS is off)");
      } else if (auto st = tls->reload(); st.is_ok()) {
        spdlog::info("SIGHUP: TLS certificate reloaded from {}", options.tls_cert);
      } else {
        spdlog::error("SIGHUP: {}; the previous certificate stays in use", st.message());
      }
      wait_reload();
    });
  }

  void drain() {
    if (draining) return;
    draining = true;
    net->draining = true;
    listener->stop();
    if (webhook_sender) webhook_sender->stop();
    spdlog::info("shutting down: closing {} connections", hub->connection_count());
    for (auto& c : hub->clients()) c->close(1012, "server restarting");
    wait_for_clients(std::chrono::steady_clock::now() + kDrainDeadline);
  }

  // Waits (at most until the deadline) for the bus's last commands — presence updates of the
  // connections just closed — to be answered, then stops. Whatever does not make it is
  // cleaned up by the other nodes once this node's liveness expires.
  void flush_bus(std::chrono::steady_clock::time_point deadline) {
    if (!redis_bus || redis_bus->pending() == 0 || std::chrono::steady_clock::now() >= deadline) {
      if (redis_bus) redis_bus->stop();
      ioc.stop();
      return;
    }
    auto t = std::make_shared<asio::steady_timer>(control, 10ms);
    t->async_wait([this, t, deadline](boost::system::error_code) { flush_bus(deadline); });
  }

  // Polls the connection count until every session has finished or the deadline passed.
  void wait_for_clients(std::chrono::steady_clock::time_point deadline) {
    if (hub->connection_count() == 0 || std::chrono::steady_clock::now() >= deadline) {
      tick.cancel();
      upload_sweep.cancel();
      store->close();
      blobs->close();  // commits every accepted write; their completions are on the lanes
      lanes->after_all([this] { flush_bus(std::chrono::steady_clock::now() + 1s); });
      return;
    }
    auto t = std::make_shared<asio::steady_timer>(control, 20ms);
    t->async_wait([this, t, deadline](boost::system::error_code) { wait_for_clients(deadline); });
  }
};

Node::Node(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Node::~Node() {
  if (impl_->store) impl_->store->close();
  if (impl_->blobs) impl_->blobs->close();
  impl_->blocking.join();
}

Status Node::start() {
  auto& o = impl_->options;
  if (sodium_init() < 0) return Status::io_error("libsodium cannot initialise");
  std::error_code fec;
  std::filesystem::create_directories(o.data_dir, fec);
  if (fec) return Status::io_error("cannot create data dir " + o.data_dir + ": " + fec.message());

  std::string secret = o.jwt_secret;
  if (secret.empty()) {
    auto s = load_or_create_secret(o.data_dir);
    if (!s.ok()) return s.status;
    secret = s.value;
  }
  impl_->jwt = std::make_unique<JwtCodec>(secret);

  if (o.store.empty()) {
    auto store = SqliteStore::open({(std::filesystem::path(o.data_dir) / "parley.db").string(), o.store_sync, o.commit_batch,
                                    &impl_->metrics, std::chrono::milliseconds(o.store_backlog_ms), outbox_config(o)});
    if (!store.ok()) return store.status;
    impl_->outbox = store.value.get();
    impl_->store = std::move(store.value);
  } else {
    auto store = PgStore::open({o.store, o.store_password, o.commit_batch, &impl_->metrics, o.store_connections,
                                std::chrono::milliseconds(o.store_backlog_ms), outbox_config(o)});
    if (!store.ok()) return store.status;
    impl_->outbox = store.value.get();
    impl_->store = std::move(store.value);
  }
  // Uploads' content: beside the SQLite database, or in PostgreSQL for a cluster.
  auto blobs = o.store.empty() ? open_dir_blob_store((std::filesystem::path(o.data_dir) / "uploads").string())
                               : open_pg_blob_store(o.store, o.store_password, 2);
  if (!blobs.ok()) return blobs.status;
  impl_->blobs = std::move(blobs.value);

  std::string node_id = o.node_id;
  if (node_id.empty()) {
    unsigned char raw[6];
    randombytes_buf(raw, sizeof raw);
    char hex[sizeof raw * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
    node_id = std::string("node-") + hex;
  }
  if (o.redis.empty()) {
    impl_->bus = std::make_unique<LocalBus>();
    impl_->presence = std::make_unique<LocalPresence>();
  } else {
    std::vector<RedisEndpoint> endpoints;
    bool any_tls = false;
    for (auto& url : o.redis) {
      auto e = parse_redis_url(url);
      // Not the URL itself: it may hold a password.
      if (!e) return Status::invalid("bad redis address in redis (want redis[s]://[user[:password]@]host:port[/db])");
      if (e->password.empty()) e->password = o.redis_password;
      any_tls = any_tls || e->tls;
      endpoints.push_back(*e);
    }
    std::shared_ptr<RedisTls> tls;
    if (any_tls) {
      std::string error;
      tls = RedisTls::load({o.redis_tls_ca, o.redis_tls_cert, o.redis_tls_key}, error);
      if (!tls) return Status::invalid(error);
    }
    auto bus = std::make_unique<RedisBus>(impl_->ioc, std::move(endpoints), std::move(tls), node_id, impl_->metrics);
    auto presence = std::make_unique<RedisPresence>(*bus, node_id, o.heartbeat_ms);
    bus->on_reconnect([p = presence.get()] { p->reregister(); });
    impl_->redis_bus = bus.get();
    impl_->redis_presence = presence.get();
    impl_->bus = std::move(bus);
    impl_->presence = std::move(presence);
  }

  if (!o.webhooks.empty()) {
    impl_->webhook_sender =
        std::make_unique<webhooks::Sender>(impl_->ioc, *impl_->outbox, impl_->metrics, sender_options(o, node_id));
  }

  if (!o.connect_hook.empty() || !o.publish_hook.empty()) {
    impl_->hooks = std::make_unique<webhooks::HttpHooks>(impl_->ioc, impl_->metrics, hook_options(o));
  }

  // Web Push: the VAPID key from the configuration (a cluster shares it) or data_dir.
  std::string vapid_scalar;
  if (!o.vapid_private_key.empty()) {
    vapid_scalar = webhooks::from_b64url(o.vapid_private_key).value_or("");
  } else {
    auto hex = load_or_create_secret(o.data_dir, "vapid.key");
    if (!hex.ok()) return hex.status;
    vapid_scalar.resize(32);
    std::size_t len = 0;
    if (sodium_hex2bin(reinterpret_cast<unsigned char*>(vapid_scalar.data()), 32, hex.value.data(), hex.value.size(),
                       nullptr, &len, nullptr) != 0 || len != 32) {
      vapid_scalar.clear();
    }
  }
  auto vapid = webhooks::p256_from_private(vapid_scalar);
  if (!vapid) return Status::invalid("vapid_private_key is not a P-256 private key (base64url of 32 bytes)");
  webhooks::PushOptions push;
  push.vapid = *vapid;
  push.subject = o.vapid_subject;
  push.ttl_s = o.push_ttl_s;
  impl_->push = std::make_unique<webhooks::PushSender>(impl_->ioc, *impl_->store, o.webhooks.empty() ? nullptr : impl_->outbox,
                                                       impl_->metrics, std::move(push));

  HubOptions h;
  h.node_id = node_id;
  if (!o.webhooks.empty()) h.presence_webhooks = impl_->outbox;
  h.hooks = impl_->hooks.get();
  h.push = impl_->push.get();
  h.max_text_chars = o.max_text_chars;
  h.max_data_bytes = o.max_data_bytes;
  h.max_attachments = o.max_attachments;
  h.upload_quota_bytes = o.upload_quota_bytes;
  h.rate_per_sec = o.rate_per_sec;
  h.rate_burst = o.rate_burst;
  h.max_conns_per_user = o.max_conns_per_user;
  h.max_rooms_per_user = o.max_rooms_per_user;
  h.typing_timeout_ms = o.typing_timeout_ms;
  h.typing_rate_per_sec = o.typing_rate_per_sec;
  h.typing_burst = o.typing_burst;
  h.presence_limit = static_cast<std::size_t>(o.presence_limit);
  h.edit_window_ms = o.edit_window_s * 1000;
  h.word_filter = WordFilter(o.word_filter, o.word_filter_mode == "reject");
  impl_->encoder = std::make_unique<ProtocolEncoder>(o.heartbeat_ms);
  impl_->lanes = std::make_unique<LaneSet>(impl_->ioc, kLanes);
  Lanes lanes = [set = impl_->lanes.get()](uint64_t key, std::function<void()> fn) { set->post(key, std::move(fn)); };
  impl_->hub = std::make_unique<Hub>(h, *impl_->store, *impl_->bus, *impl_->presence, impl_->metrics, *impl_->encoder,
                                     std::move(lanes));
  impl_->bus->set_handler(impl_->hub.get());
  if (impl_->redis_bus && o.bus_write_version == 1) {
    const ProtocolEncoder* enc = impl_->encoder.get();
    impl_->redis_bus->write_version_1([enc](const RoomEvent& e) { return enc->room_event(e); },
                                      [enc](const UserEvent& e) { return enc->user_event(e); });
    spdlog::info("bus: publishing version-1 events (a rolling upgrade from version 1)");
  }
  if (impl_->redis_bus) impl_->redis_bus->start();

  Impl* p = impl_.get();
  impl_->net.reset(new NetContext{
      o, *impl_->hub, *impl_->store, *impl_->jwt, impl_->metrics,
      [p](std::function<void()> job) { asio::post(p->blocking, std::move(job)); },
      [p](std::chrono::milliseconds delay, std::function<void()> fn) {
        auto t = std::make_shared<asio::steady_timer>(p->ioc, delay);
        t->async_wait([t, fn = std::move(fn)](boost::system::error_code ec) {
          if (!ec) fn();
        });
      },
      [p]() -> std::string { return p->redis_bus ? p->redis_bus->unavailable() : std::string(); }});
  impl_->api_keys = std::make_unique<ApiKeys>(o.api_keys);
  impl_->net->api_keys = impl_->api_keys.get();
  impl_->net->blobs = impl_->blobs.get();
  impl_->net->outbox = impl_->outbox;
  impl_->net->hooks = impl_->hooks.get();
  impl_->net->node_id = node_id;
  impl_->net->vapid_public_key = webhooks::b64url(vapid->public_key);
  if (!o.tls_cert.empty()) {
    impl_->tls = std::make_unique<TlsConfig>(o.tls_cert, o.tls_key);
    if (auto st = impl_->tls->reload(); !st.is_ok()) return st;
    impl_->net->tls = impl_->tls.get();
  }
  impl_->ip_limiter = std::make_unique<IpLimiter>(static_cast<std::size_t>(std::max(0, o.max_conns_per_ip)));
  impl_->net->ip_limiter = impl_->ip_limiter.get();
  impl_->login_throttle = std::make_unique<LoginThrottle>(LoginThrottleOptions{
      o.login_ip_burst, o.login_ip_per_min, o.login_account_free, 1000, o.login_account_max_delay_ms,
      o.register_ip_burst, o.register_ip_per_hour});
  impl_->net->login_throttle = impl_->login_throttle.get();
  boost::system::error_code ec;
  auto address = asio::ip::make_address(o.host, ec);
  if (ec) return Status::invalid("bad host " + o.host);
  try {
    impl_->listener = std::make_shared<Listener>(impl_->ioc, *impl_->net, asio::ip::tcp::endpoint(address, o.port));
  } catch (const boost::system::system_error& e) {
    return Status::io_error("cannot listen on " + o.host + ":" + std::to_string(o.port) + ": " + e.what());
  }
  auto bound = impl_->listener->local_endpoint();
  std::string shown = bound.address().is_v6() ? "[" + bound.address().to_string() + "]" : bound.address().to_string();
  const char* scheme = impl_->tls ? "https" : "http";
  std::printf("parleyd listening on %s://%s:%u\n", scheme, shown.c_str(), static_cast<unsigned>(bound.port()));
  std::fflush(stdout);
  spdlog::info("listening on {}://{}:{}, node {}, store {}, bus {}", scheme, shown, bound.port(), h.node_id,
               o.store.empty() ? "sqlite in " + o.data_dir : "postgres", o.redis.empty() ? "local" : "redis");
  return Status::ok();
}

void Node::run() {
  auto& i = *impl_;
  i.listener->run();
  if (i.webhook_sender) i.webhook_sender->start();
  i.schedule_tick();
  i.schedule_upload_sweep();
  i.wait_reload();
  i.signals.async_wait([&i](boost::system::error_code ec, int sig) {
    if (ec) return;
    spdlog::info("signal {} received", sig);
    i.drain();
  });
  int n = i.options.threads > 0 ? i.options.threads : std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> threads;
  for (int k = 1; k < n; ++k) threads.emplace_back([&i] { i.ioc.run(); });
  i.ioc.run();
  for (auto& t : threads) t.join();
  spdlog::info("stopped");
}

int serve(const char* name, Options options) {
  auto logger = spdlog::stderr_color_mt(name);
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(options.log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  Node node(std::move(options));
  if (auto s = node.start(); !s.is_ok()) {
    spdlog::critical("{}", s.message());
    return 1;
  }
  node.run();
  return 0;
}

}  // namespace parley
