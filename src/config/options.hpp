#pragma once
// Every tunable of parleyd with its default. Loaded by load_options(): defaults, then the TOML
// file (--config), then PARLEY_* environment variables, then command-line flags.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace parley {

// One entry of Options::webhooks, parsed.
struct WebhookSpec {
  std::string name;                 // [A-Za-z0-9_.-]{1,64}
  std::string url;                  // http:// or https://
  std::vector<std::string> types;   // empty: every type
};
// The endpoint an entry names, or why it is not one (the message).
std::optional<WebhookSpec> parse_webhook(const std::string& entry, std::string& error);

struct Options {
  std::string config_file;
  std::string host = "0.0.0.0";
  uint16_t port = 8080;
  std::string data_dir = "./data";
  std::string jwt_secret;            // empty: generated once and kept in data_dir/jwt.secret
  int64_t token_ttl_s = 86400;       // lifetime of tokens minted by /api/register and /api/login
  int64_t reauth_before_ms = 60000;  // ask a connection for a fresh token this long before expiry
  int64_t reauth_grace_ms = 30000;   // then close it with 4001 if no valid token came within this
  int threads = 0;                   // I/O threads; 0 = number of cores
  int64_t heartbeat_ms = 30000;      // ping interval; two unanswered pings close the connection
  int64_t handshake_timeout_ms = 10000;
  std::size_t max_frame_bytes = 64 * 1024;
  std::size_t max_text_chars = 4000;
  std::size_t max_data_bytes = 8192;
  // Uploads (docs/api.md "Uploads").
  std::size_t max_upload_bytes = 10 * 1024 * 1024;
  std::vector<std::string> upload_types{
      "image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain", "audio/mpeg",
      "audio/ogg", "audio/x-wav", "video/mp4", "video/webm", "application/zip"};
  int64_t upload_quota_bytes = 1024LL * 1024 * 1024;  // per user, uploads not deleted; 0: none
  int64_t upload_ttl_s = 86400;      // uploads never sent with a message are forgotten after this
  int64_t upload_sweep_ms = 60000;   // how often expired and deleted uploads are removed
  int max_attachments = 10;          // uploads one message may carry
  int upload_concurrency = 8;        // uploads received at once per node; more get 503
  int thumb_size = 320;              // thumbnails fit in this many pixels on a side
  int deflate_level = 3;             // permessage-deflate zlib level when a client offers it; 0 = off
  std::size_t deflate_min_bytes = 1024;  // frames below this go uncompressed
  double rate_per_sec = 10;          // message token bucket refill per user
  double rate_burst = 20;            // bucket capacity
  int cork_frames = 64;              // frames written under one TCP_CORK when several wait; 0 = off
  std::size_t queue_soft_bytes = 64 * 1024;    // above: typing/presence dropped
  std::size_t queue_hard_bytes = 1024 * 1024;  // above: close 1013
  int max_conns_per_user = 16;
  int max_conns_per_ip = 256;        // concurrent TCP connections per client address; 0 = no limit
  std::vector<std::string> trusted_proxies;  // peers whose X-Forwarded-For names the client address
  // Login throttling (net/login_throttle.hpp, docs/operations.md).
  double login_ip_burst = 5;                 // failed logins per client address at once
  double login_ip_per_min = 5;               // and then per minute
  int login_account_free = 10;               // failures in a row before an account's logins are delayed
  int64_t login_account_max_delay_ms = 60000;  // the longest such delay
  double register_ip_burst = 5;              // registrations per client address at once
  double register_ip_per_hour = 10;          // and then per hour
  int password_hash_concurrency = 2;         // Argon2id hashes at once per node; more get 503
  double ping_rate_per_sec = 10;     // client pings (and unsolicited pongs) per connection per second
  double ping_burst = 50;            // over this burst: close 1008
  int max_rooms_per_user = 500;
  int64_t typing_timeout_ms = 5000;
  double typing_rate_per_sec = 4;    // typing changes (on/off) per user and room; refreshes are free
  double typing_burst = 20;
  int presence_limit = 100;          // rooms with more members online tell occupancy counts
  int64_t edit_window_s = 900;       // authors may edit a message this long after sending it
  std::vector<std::string> word_filter;  // words masked (or refused) in users' texts
  std::string word_filter_mode = "mask";  // mask or reject
  std::vector<std::string> allowed_origins;  // empty: the server's own origin; "*": any
  std::string tls_cert;              // PEM certificate chain: set with tls_key to serve https/wss only
  std::string tls_key;               // PEM private key; both files are read again on SIGHUP
  std::string web_root = "./web/dist";
  std::string store_sync = "full";   // SQLite synchronous mode: full or normal
  std::size_t commit_batch = 1024;   // most writes in one group commit
  int64_t store_backlog_ms = 2000;   // appends refused (unavailable + retry_after_ms) while the store is this far behind; 0: never
  std::string log_level = "info";
  // Cluster (docs/cluster.md): empty store = embedded SQLite; empty redis = single node.
  std::string store;                 // postgres://user@host:port/db (libpq URI: sslmode=... for TLS)
  std::string store_password;        // overrides the URI's password
  std::size_t store_connections = 4; // PostgreSQL connections per node: half write, half read
  std::vector<std::string> redis;    // redis[s]://[user[:password]@]host:port[/db], several: rooms spread by consistent hashing
  std::string redis_password;        // AUTH password of the instances whose URL has none
  std::string redis_tls_ca;          // CA bundle verifying rediss:// servers; empty: the system's
  std::string redis_tls_cert;        // client certificate for rediss:// (Redis tls-auth-clients)
  std::string redis_tls_key;         // its private key
  std::string node_id;               // unique per node; empty: random
  int bus_write_version = 2;         // 1 while version-1 nodes are in the cluster (a rolling upgrade)
  // Server API (docs/api.md): keys the application backend presents; empty = API off.
  std::vector<std::string> api_keys;
  // Webhooks (docs/api.md "Webhooks"): endpoints told of events, each "name=URL [type ...]"
  // (no types: every type); the requests are signed with webhook_secret.
  std::vector<std::string> webhooks;
  std::string webhook_secret;
  int webhook_max_attempts = 10;       // the last failing attempt makes the delivery dead
  int64_t webhook_timeout_ms = 5000;   // one request, connect to the end of the response
  int64_t webhook_backoff_ms = 1000;   // first retry after about this; doubles per attempt (with jitter)
  int64_t webhook_backoff_max_ms = 600000;
  int64_t webhook_poll_ms = 250;       // how often the outbox is looked at for new events
  int64_t webhook_keep_s = 86400;      // delivered deliveries are listed this long, then forgotten
  // Hooks (docs/api.md "Hooks"): the backend decides, signed with webhook_secret.
  std::string connect_hook;            // URL asked to authorize an upgrade without a token
  std::string publish_hook;            // URL asked before a user's message or edit is stored
  int64_t hook_timeout_ms = 2000;
  std::string publish_hook_failure = "closed";  // no answer in time: closed (refuse) or open (allow)
  std::string deleted_user_messages = "keep";   // what deleting a user does to their messages: keep or erase
  // Web Push: the VAPID private key (base64url of 32 bytes; every node of a cluster needs the
  // same one; empty: generated into data_dir/vapid.key), its contact, and the push TTL.
  std::string vapid_private_key;
  std::string vapid_subject = "mailto:admin@localhost";
  int push_ttl_s = 86400;
  // Not an option: set only by the conformance tests' server (tests/conformance/), never read
  // from flags, environment or file. Non-empty: WebSocket upgrades to this path echo every
  // message back, without a token, a user or the hub.
  std::string test_echo_path;
};

// Every secret setting (jwt_secret, api_keys, store, store_password, redis, redis_password) can
// also be given as <key>_file: the path of a file holding the value (trailing newlines are
// dropped), so the secret shows in no process listing or environment dump. Where a source
// gives both, the file wins.
//
// Parses argv, the environment and the config file. Returns the options, or nullopt after
// printing help (exit code 0) or an error (exit code 2) into `exit_code`.
std::optional<Options> load_options(int argc, char** argv, int& exit_code);

}  // namespace parley
