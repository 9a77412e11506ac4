#include "config/options.hpp"

#include <CLI/CLI.hpp>
#include <toml++/toml.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "auth/api_keys.hpp"
#include "common/webhook_event.hpp"

namespace parley {
namespace {

// One configurable key: its snake_case name (TOML key, flag --kebab-case, env PARLEY_UPPER),
// the help text, and how to parse a textual value into Options.
struct Setting {
  std::string key;
  std::string help;
  std::function<void(Options&, const std::string&)> parse;
  std::function<std::string(const Options&)> show;
  bool secret = false;  // also settable as <key>_file
};

// A value that could not be used, with the reason (a file that cannot be read).
struct BadValue : std::runtime_error {
  using std::runtime_error::runtime_error;
};

Setting secret(Setting s) {
  s.secret = true;
  return s;
}

// The <key>_file form of a secret setting: reads the file named by the value.
Setting from_file(const Setting& s) {
  return {s.key + "_file", "file holding " + s.key + " (keeps it out of process listings)",
          [parse = s.parse](Options& o, const std::string& path) {
            std::ifstream in(path, std::ios::binary);
            if (!in) throw BadValue("cannot read " + path);
            std::string value((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
            if (value.empty()) throw BadValue(path + " is empty");
            parse(o, value);
          },
          [](const Options&) { return std::string(); }};
}

template <class T>
Setting number(std::string key, std::string help, T Options::*field) {
  return {std::move(key), std::move(help),
          [field](Options& o, const std::string& v) {
            std::size_t used = 0;
            long double x = std::stold(v, &used);
            if (used != v.size() || x < 0) throw std::invalid_argument("not a non-negative number");
            o.*field = static_cast<T>(x);
          },
          [field](const Options& o) {
            std::ostringstream s;
            s << o.*field;
            return s.str();
          }};
}

Setting text(std::string key, std::string help, std::string Options::*field) {
  return {std::move(key), std::move(help),
          [field](Options& o, const std::string& v) { o.*field = v; },
          [field](const Options& o) { return o.*field; }};
}

Setting list(std::string key, std::string help, std::vector<std::string> Options::*field) {
  return {std::move(key), std::move(help),
          [field](Options& o, const std::string& v) {
            (o.*field).clear();
            std::stringstream in(v);
            for (std::string item; std::getline(in, item, ',');) {
              if (!item.empty()) (o.*field).push_back(item);
            }
          },
          [field](const Options& o) {
            std::string out;
            for (auto& s : o.*field) out += (out.empty() ? "" : ",") + s;
            return out;
          }};
}

std::vector<Setting> settings() {
  using O = Options;
  const std::vector<Setting> table{
      text("host", "listen address", &O::host),
      number("port", "listen port; 0 picks a free one", &O::port),
      text("data_dir", "directory of the SQLite database and the generated JWT secret", &O::data_dir),
      secret(text("jwt_secret", "HS256 secret for tokens (default: generated, kept in data_dir)", &O::jwt_secret)),
      number("token_ttl_s", "lifetime in seconds of tokens from /api/register and /api/login", &O::token_ttl_s),
      number("reauth_before_ms", "send reauth this long before a connection's token expires", &O::reauth_before_ms),
      number("reauth_grace_ms", "close with 4001 if no valid auth answers a reauth within this", &O::reauth_grace_ms),
      number("threads", "I/O threads; 0 = number of cores", &O::threads),
      number("heartbeat_ms", "ping interval; a connection missing two pongs is closed", &O::heartbeat_ms),
      number("handshake_timeout_ms", "time from TCP accept to a completed upgrade", &O::handshake_timeout_ms),
      number("max_frame_bytes", "largest WebSocket message; larger closes with 1009", &O::max_frame_bytes),
      number("max_text_chars", "longest message text in characters (error too_large)", &O::max_text_chars),
      number("max_data_bytes", "largest message data object, serialized, in bytes (error too_large)", &O::max_data_bytes),
      number("max_upload_bytes", "largest uploaded file in bytes (HTTP 413)", &O::max_upload_bytes),
      list("upload_types", "comma-separated media types uploads may have, as libmagic sniffs them (others: HTTP 415)", &O::upload_types),
      number("upload_quota_bytes", "bytes of uploads (not deleted) each user may hold; 0 = no quota (HTTP 409 limit_exceeded)", &O::upload_quota_bytes),
      number("upload_ttl_s", "an upload not sent with a message within this many seconds is removed", &O::upload_ttl_s),
      number("upload_sweep_ms", "interval of the sweep that removes expired uploads and those of deleted messages", &O::upload_sweep_ms),
      number("max_attachments", "uploads one message may carry (error bad_request beyond)", &O::max_attachments),
      number("upload_concurrency", "uploads this node receives at once; more get HTTP 503 with Retry-After", &O::upload_concurrency),
      number("thumb_size", "image thumbnails fit in this many pixels on a side", &O::thumb_size),
      number("deflate_level", "permessage-deflate level 1-9 for clients that offer it; 0 disables it", &O::deflate_level),
      number("deflate_min_bytes", "frames smaller than this are sent uncompressed", &O::deflate_min_bytes),
      number("rate_per_sec", "messages per second per user (token bucket refill)", &O::rate_per_sec),
      number("rate_burst", "message burst per user (token bucket size)", &O::rate_burst),
      number("cork_frames", "when frames wait for a connection, write up to this many under one TCP_CORK; 0 = off", &O::cork_frames),
      number("queue_soft_bytes", "outbound queue size above which typing/presence are dropped", &O::queue_soft_bytes),
      number("queue_hard_bytes", "outbound queue size above which the connection closes with 1013", &O::queue_hard_bytes),
      number("max_conns_per_user", "concurrent connections per user; more get HTTP 429", &O::max_conns_per_user),
      number("max_conns_per_ip", "concurrent connections per client address; more get HTTP 429; 0 = no limit", &O::max_conns_per_ip),
      list("trusted_proxies", "comma-separated proxy addresses whose X-Forwarded-For gives the client address", &O::trusted_proxies),
      number("login_ip_burst", "failed logins a client address may make at once before HTTP 429", &O::login_ip_burst),
      number("login_ip_per_min", "failed logins per minute a client address may make after its burst", &O::login_ip_per_min),
      number("login_account_free", "failed logins in a row before each further login of the account is delayed", &O::login_account_free),
      number("login_account_max_delay_ms", "the longest delay of an account's next login after failures (it doubles from 1 s)", &O::login_account_max_delay_ms),
      number("register_ip_burst", "registrations a client address may make at once before HTTP 429", &O::register_ip_burst),
      number("register_ip_per_hour", "registrations per hour a client address may make after its burst", &O::register_ip_per_hour),
      number("password_hash_concurrency", "password hashes (Argon2id) at once; more logins and registrations get HTTP 503", &O::password_hash_concurrency),
      number("ping_rate_per_sec", "client pings per second per connection (refill)", &O::ping_rate_per_sec),
      number("ping_burst", "client ping burst; beyond it the connection is closed with 1008", &O::ping_burst),
      number("max_rooms_per_user", "rooms a user may be a member of (error limit_exceeded)", &O::max_rooms_per_user),
      number("typing_rate_per_sec", "typing changes (start, stop) per second per user and room; more get rate_limited", &O::typing_rate_per_sec),
      number("typing_burst", "typing changes per user and room at once", &O::typing_burst),
      number("typing_timeout_ms", "typing indicator cleared by the server after this without refresh", &O::typing_timeout_ms),
      number("presence_limit", "rooms with more members online get occupancy counts, not per-user presence", &O::presence_limit),
      number("edit_window_s", "authors may edit a message for this long after sending it", &O::edit_window_s),
      list("word_filter", "comma-separated words masked (or refused) in users' messages and edits", &O::word_filter),
      text("word_filter_mode", "mask (replace the word with *) or reject (error filtered)", &O::word_filter_mode),
      list("allowed_origins", "comma-separated Origin allow-list; empty = own origin; * = any", &O::allowed_origins),
      text("tls_cert", "PEM certificate chain; with tls_key the port serves https and wss only", &O::tls_cert),
      text("tls_key", "PEM private key of tls_cert; both are reloaded on SIGHUP", &O::tls_key),
      text("web_root", "directory of static files served at /", &O::web_root),
      text("store_sync", "SQLite durability: full (fsync per group commit) or normal", &O::store_sync),
      number("commit_batch", "most writes committed in one transaction", &O::commit_batch),
      number("store_backlog_ms", "refuse appends (unavailable, retry_after_ms) while the store's queue is this many ms behind; 0 = never", &O::store_backlog_ms),
      text("log_level", "trace, debug, info, warn or error", &O::log_level),
      secret(text("store", "message store: empty = SQLite in data_dir; postgres://user@host:port/db = PostgreSQL (libpq URI: ?sslmode=verify-full&sslrootcert=... for TLS)", &O::store)),
      secret(text("store_password", "PostgreSQL password; overrides the one in store", &O::store_password)),
      number("store_connections", "PostgreSQL connections of this node (2 or more): half write (a room's writes on one), the rest read", &O::store_connections),
      secret(list("redis", "comma-separated redis[s]://[user[:password]@]host:port[/db] instances for a cluster; rediss = TLS; empty = single node", &O::redis)),
      secret(text("redis_password", "Redis AUTH password for the instances whose URL has none", &O::redis_password)),
      text("redis_tls_ca", "CA bundle (PEM) that verifies rediss:// servers; empty = the system's", &O::redis_tls_ca),
      text("redis_tls_cert", "client certificate (PEM) for rediss://, when Redis asks for one", &O::redis_tls_cert),
      text("redis_tls_key", "private key (PEM) of redis_tls_cert", &O::redis_tls_key),
      text("node_id", "this node's name in a cluster, [A-Za-z0-9_.-]{1,64} (default: random)", &O::node_id),
      number("bus_write_version", "form of the events this node publishes: 2, or 1 while a rolling upgrade has version-1 nodes", &O::bus_write_version),
      list("webhooks", "comma-separated webhook endpoints, each 'name=URL [type ...]' (no types: every event type)", &O::webhooks),
      secret(text("webhook_secret", "key of the HMAC-SHA256 signature on every webhook request (16+ characters; required with webhooks)", &O::webhook_secret)),
      number("webhook_max_attempts", "attempts of one webhook delivery before it is dead", &O::webhook_max_attempts),
      number("webhook_timeout_ms", "time a webhook request may take, connect to response", &O::webhook_timeout_ms),
      number("webhook_backoff_ms", "first retry of a failed webhook delivery after about this; doubles per attempt, with jitter", &O::webhook_backoff_ms),
      number("webhook_backoff_max_ms", "longest wait between two attempts of a webhook delivery", &O::webhook_backoff_max_ms),
      number("webhook_poll_ms", "how often the webhook outbox is checked for new events", &O::webhook_poll_ms),
      number("webhook_keep_s", "delivered webhook deliveries are listed this long, then forgotten", &O::webhook_keep_s),
      text("connect_hook", "URL the backend authorizes WebSocket upgrades without a token at (answers the user)", &O::connect_hook),
      text("publish_hook", "URL the backend checks users' messages and edits at before they are stored (allow, reject, replace)", &O::publish_hook),
      number("hook_timeout_ms", "time the backend has to answer a hook", &O::hook_timeout_ms),
      text("publish_hook_failure", "when the publish hook does not answer: closed (refuse the message) or open (store it)", &O::publish_hook_failure),
      text("deleted_user_messages", "a deleted user's messages: keep (as written) or erase (tombstones)", &O::deleted_user_messages),
      secret(text("vapid_private_key", "Web Push VAPID private key, base64url of 32 bytes (default: data_dir/vapid.key)", &O::vapid_private_key)),
      text("vapid_subject", "Web Push VAPID contact: mailto: or https: URL", &O::vapid_subject),
      number("push_ttl_s", "seconds a push service keeps an undelivered push", &O::push_ttl_s),
      secret(list("api_keys", "comma-separated keys of the server API (/api/v1, header X-Parley-Api-Key), 16+ characters each; empty = API off", &O::api_keys)),
  };
  std::vector<Setting> out = table;
  for (auto& s : table) {
    if (s.secret) out.push_back(from_file(s));
  }
  return out;
}

std::string flag_of(const std::string& key) {
  std::string f = "--" + key;
  for (auto& c : f) if (c == '_') c = '-';
  return f;
}

std::string env_of(const std::string& key) {
  std::string e = "PARLEY_" + key;
  for (auto& c : e) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return e;
}

// A TOML value as the same text a flag would carry.
std::optional<std::string> toml_text(const toml::node& n) {
  if (auto s = n.value<std::string>()) return *s;
  if (auto i = n.value_exact<int64_t>()) return std::to_string(*i);
  if (auto d = n.value_exact<double>()) {
    std::ostringstream o;
    o << *d;
    return o.str();
  }
  if (auto b = n.value<bool>()) return *b ? "1" : "0";
  if (auto arr = n.as_array()) {
    std::string out;
    for (auto& el : *arr) {
      auto t = toml_text(el);
      if (!t) return std::nullopt;
      out += (out.empty() ? "" : ",") + *t;
    }
    return out;
  }
  return std::nullopt;
}

}  // namespace

std::optional<Options> load_options(int argc, char** argv, int& exit_code) {
  Options opts;
  const auto table = settings();

  CLI::App app{"parleyd — real-time chat server.\n"
               "Every flag can also be set as PARLEY_<NAME> in the environment or as <name> in the\n"
               "TOML file given by --config; flags override the environment, which overrides the file."};
  app.get_formatter()->column_width(34);
  std::string config_file;
  app.add_option("--config", config_file, "TOML configuration file (env PARLEY_CONFIG)");
  std::map<std::string, std::string> from_cli;
  for (auto& s : table) {
    app.add_option_function<std::string>(
           flag_of(s.key), [&from_cli, key = s.key](const std::string& v) { from_cli[key] = v; },
           s.help + " [" + env_of(s.key) + ", default: " + s.show(opts) + "]")
        ->type_name("");
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    exit_code = app.exit(e);
    return std::nullopt;
  }

  if (config_file.empty()) {
    if (const char* c = std::getenv("PARLEY_CONFIG")) config_file = c;
  }
  opts.config_file = config_file;

  auto apply = [&](const Setting& s, const std::string& value, const std::string& origin) {
    try {
      s.parse(opts, value);
    } catch (const BadValue& e) {
      std::cerr << "parleyd: " << s.key << " (" << origin << "): " << e.what() << "\n";
      return false;
    } catch (const std::exception&) {
      // A secret's value is not repeated into logs.
      std::cerr << "parleyd: invalid value " << (s.secret ? "" : "'" + value + "' ") << "for " << s.key << " (" << origin << ")\n";
      return false;
    }
    return true;
  };

  if (!config_file.empty()) {
    toml::table file;
    try {
      file = toml::parse_file(config_file);
    } catch (const toml::parse_error& e) {
      std::cerr << "parleyd: cannot read config " << config_file << ": " << e.description() << "\n";
      exit_code = 2;
      return std::nullopt;
    }
    for (auto&& [k, v] : file) {
      auto it = std::find_if(table.begin(), table.end(), [&](auto& s) { return s.key == k.str(); });
      auto value = toml_text(v);
      if (it == table.end() || !value) {
        std::cerr << "parleyd: unknown or ill-typed key '" << k.str() << "' in " << config_file << "\n";
        exit_code = 2;
        return std::nullopt;
      }
      if (!apply(*it, *value, config_file)) { exit_code = 2; return std::nullopt; }
    }
  }
  for (auto& s : table) {
    if (const char* e = std::getenv(env_of(s.key).c_str())) {
      if (!apply(s, e, env_of(s.key))) { exit_code = 2; return std::nullopt; }
    }
  }
  for (auto& s : table) {
    auto it = from_cli.find(s.key);
    if (it != from_cli.end() && !apply(s, it->second, flag_of(s.key))) { exit_code = 2; return std::nullopt; }
  }
  if (!opts.store.empty() && opts.store.rfind("postgres://", 0) != 0 && opts.store.rfind("postgresql://", 0) != 0) {
    std::cerr << "parleyd: store must be empty (SQLite) or a postgres:// URI\n";
    exit_code = 2;
    return std::nullopt;
  }
  for (char c : opts.node_id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') {
      std::cerr << "parleyd: node_id may hold only letters, digits, _ . -\n";
      exit_code = 2;
      return std::nullopt;
    }
  }
  if (opts.deflate_level > 9) {
    std::cerr << "parleyd: deflate_level is 0 (off) to 9\n";
    exit_code = 2;
    return std::nullopt;
  }
  if (opts.bus_write_version != 1 && opts.bus_write_version != 2) {
    std::cerr << "parleyd: bus_write_version must be 1 or 2\n";
    exit_code = 2;
    return std::nullopt;
  }
  if (opts.word_filter_mode != "mask" && opts.word_filter_mode != "reject") {
    std::cerr << "parleyd: word_filter_mode must be mask or reject\n";
    exit_code = 2;
    return std::nullopt;
  }
  if (opts.edit_window_s < 0) {
    std::cerr << "parleyd: edit_window_s must be >= 0\n";
    exit_code = 2;
    return std::nullopt;
  }
  if (opts.presence_limit < 1) {
    std::cerr << "parleyd: presence_limit must be >= 1\n";
    exit_code = 2;
    return std::nullopt;
  }
  if (opts.store_sync != "full" && opts.store_sync != "normal") {
    std::cerr << "parleyd: store_sync must be full or normal\n";
    exit_code = 2;
    return std::nullopt;
  }
  for (auto& key : opts.api_keys) {
    if (key.size() < ApiKeys::kMinLength) {
      std::cerr << "parleyd: every api_keys entry must have at least " << ApiKeys::kMinLength << " characters\n";
      exit_code = 2;
      return std::nullopt;
    }
  }
  std::vector<std::string> endpoint_names;
  for (auto& entry : opts.webhooks) {
    std::string why;
    auto spec = parse_webhook(entry, why);
    if (spec && std::find(endpoint_names.begin(), endpoint_names.end(), spec->name) != endpoint_names.end()) {
      why = "two endpoints are named " + spec->name;
      spec.reset();
    }
    if (!spec) {
      std::cerr << "parleyd: webhooks: " << why << "\n";
      exit_code = 2;
      return std::nullopt;
    }
    endpoint_names.push_back(spec->name);
  }
  const bool hooks = !opts.connect_hook.empty() || !opts.publish_hook.empty();
  for (const auto* url : {&opts.connect_hook, &opts.publish_hook}) {
    if (!url->empty() && !url->starts_with("http://") && !url->starts_with("https://")) {
      std::cerr << "parleyd: connect_hook and publish_hook must be http:// or https:// URLs\n";
      exit_code = 2;
      return std::nullopt;
    }
  }
  if (opts.deleted_user_messages != "keep" && opts.deleted_user_messages != "erase") {
    std::cerr << "parleyd: deleted_user_messages must be keep or erase\n";
    exit_code = 2;
    return std::nullopt;
  }
  if (opts.publish_hook_failure != "closed" && opts.publish_hook_failure != "open") {
    std::cerr << "parleyd: publish_hook_failure must be closed or open\n";
    exit_code = 2;
    return std::nullopt;
  }
  if ((!opts.webhooks.empty() || hooks) && opts.webhook_secret.size() < 16) {
    std::cerr << "parleyd: webhooks and hooks need a webhook_secret of at least 16 characters\n";
    exit_code = 2;
    return std::nullopt;
  }
  if (opts.webhook_max_attempts < 1 || opts.webhook_timeout_ms < 1 || opts.webhook_poll_ms < 1 || opts.hook_timeout_ms < 1) {
    std::cerr << "parleyd: webhook_max_attempts, webhook_timeout_ms, webhook_poll_ms and hook_timeout_ms must be >= 1\n";
    exit_code = 2;
    return std::nullopt;
  }
  if (opts.tls_cert.empty() != opts.tls_key.empty()) {
    std::cerr << "parleyd: tls_cert and tls_key go together: set both or neither\n";
    exit_code = 2;
    return std::nullopt;
  }
  exit_code = 0;
  return opts;
}

std::optional<WebhookSpec> parse_webhook(const std::string& entry, std::string& error) {
  std::istringstream in(entry);
  std::string head;
  in >> head;
  const auto eq = head.find('=');
  if (eq == std::string::npos || eq == 0) {
    error = "'" + entry + "' is not name=URL [type ...]";
    return std::nullopt;
  }
  WebhookSpec spec{head.substr(0, eq), head.substr(eq + 1), {}};
  if (spec.name.size() > 64 || spec.name.find_first_not_of(
          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") != std::string::npos) {
    error = "the endpoint name '" + spec.name + "' is not [A-Za-z0-9_.-]{1,64}";
    return std::nullopt;
  }
  if (!spec.url.starts_with("http://") && !spec.url.starts_with("https://")) {
    error = "the URL of " + spec.name + " must start with http:// or https://";
    return std::nullopt;
  }
  for (std::string type; in >> type;) {
    if (!webhook_type_from(type)) {
      error = "'" + type + "' is not an event type (docs/api.md lists them)";
      return std::nullopt;
    }
    spec.types.push_back(type);
  }
  return spec;
}

}  // namespace parley
