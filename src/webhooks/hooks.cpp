#include "webhooks/hooks.hpp"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <chrono>

#include "common/names.hpp"
#include "metrics/metrics.hpp"
#include "store/outbox.hpp"
#include "webhooks/http_post.hpp"
#include "webhooks/signature.hpp"

namespace parley::webhooks {

namespace json = boost::json;

namespace {

int64_t now_s() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

// The body as a JSON object; an empty body is an empty object.
std::optional<json::object> object_of(const std::string& body) {
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) return json::object{};
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.as_object());
}

std::string string_field(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

}  // namespace

Result<PublishVerdict> read_publish_answer(int status, const std::string& body) {
  if (status < 200 || status >= 300) {
    return Status::busy(status ? "the publish hook answered HTTP " + std::to_string(status) : "no answer", 1000);
  }
  auto o = object_of(body);
  if (!o) return Status::busy("the publish hook's answer is not a JSON object", 1000);
  const std::string action = string_field(*o, "action");
  PublishVerdict v;
  if (action.empty() || action == "allow") return v;
  if (action == "reject") {
    v.action = PublishVerdict::Action::reject;
    v.reason = string_field(*o, "reason");
    if (v.reason.empty()) v.reason = "refused by the application";
    return v;
  }
  if (action == "replace") {
    auto* text = o->if_contains("text");
    if (!text || !text->is_string() || text->as_string().empty()) {
      return Status::busy("the publish hook's replace carries no text", 1000);
    }
    v.action = PublishVerdict::Action::replace;
    v.text = text->as_string();
    return v;
  }
  return Status::busy("the publish hook answered an unknown action '" + action + "'", 1000);
}

Result<ConnectGrant> read_connect_answer(int status, const std::string& body, int64_t now, int64_t default_ttl_s) {
  auto o = object_of(body);
  if (status == 401 || status == 403) {
    std::string reason = o ? string_field(*o, "reason") : "";
    return Status::forbidden(reason.empty() ? "the application refused the connection" : reason);
  }
  if (status < 200 || status >= 300) {
    return Status::busy(status ? "the connect hook answered HTTP " + std::to_string(status) : "no answer", 1000);
  }
  if (!o) return Status::busy("the connect hook's answer is not a JSON object", 1000);
  ConnectGrant g;
  g.user = string_field(*o, "user");
  if (!valid_user_name(g.user)) return Status::busy("the connect hook named no valid user", 1000);
  int64_t ttl = default_ttl_s;
  if (auto* e = o->if_contains("expires_in_s"); e && e->is_int64() && e->as_int64() > 0) ttl = e->as_int64();
  g.expires_at_s = now + ttl;
  return g;
}

struct HttpHooks::Impl {
  Metrics& metrics;
  HookOptions o;
  HttpPoster poster;

  Impl(boost::asio::io_context& io, Metrics& m, HookOptions options)
      : metrics(m), o(std::move(options)), poster(io, o.ca_file) {}

  void call(const std::string& url, std::string_view type, json::object body, std::function<void(PostResult)> done) {
    const std::string id = "hook_" + new_event_id().substr(4);
    body["id"] = id;
    body["type"] = type;
    const int64_t ts = now_s();
    PostRequest req;
    req.url = url;
    req.timeout = o.timeout;
    req.body = json::serialize(body);
    req.headers = {{"webhook-id", id},
                   {"webhook-timestamp", std::to_string(ts)},
                   {"webhook-signature", signature(o.secret, id, ts, req.body)},
                   {"X-Parley-Event", std::string(type)}};
    const auto started = std::chrono::steady_clock::now();
    poster.post(std::move(req), [this, started, done = std::move(done)](PostResult r) {
      metrics.hook_latency.observe(static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count()));
      done(std::move(r));
    });
  }
};

HttpHooks::HttpHooks(boost::asio::io_context& io, Metrics& metrics, HookOptions options)
    : impl_(std::make_shared<Impl>(io, metrics, std::move(options))) {}
HttpHooks::~HttpHooks() = default;

bool HttpHooks::has_connect() const { return !impl_->o.connect_url.empty(); }
bool HttpHooks::has_publish() const { return !impl_->o.publish_url.empty(); }

void HttpHooks::connect(ConnectAttempt a, Callback<ConnectGrant> done) {
  json::object headers;
  for (auto& [k, v] : a.headers) headers[k] = v;
  json::object body{{"remote", a.remote}, {"headers", std::move(headers)}, {"query", a.query}};
  auto impl = impl_;
  impl->call(impl->o.connect_url, "connect", std::move(body), [impl, done = std::move(done)](PostResult r) {
    auto grant = read_connect_answer(r.status, r.body, now_s(), impl->o.default_ttl_s);
    if (grant.ok()) {
      impl->metrics.hook_calls.add("connect_ok");
    } else if (grant.status.code() == Status::Code::forbidden) {
      impl->metrics.hook_calls.add("connect_refused");
    } else {
      impl->metrics.hook_calls.add("connect_failed");
      spdlog::warn("connect hook: {}{}", grant.status.message(), r.error.empty() ? "" : " (" + r.error + ")");
    }
    done(std::move(grant));
  });
}

void HttpHooks::before_publish(PublishAttempt a, Callback<PublishVerdict> done) {
  json::object body{{"room", a.room},
                    {"user", a.user},
                    {"message_id", a.id},
                    {"kind", a.kind == EntryKind::edited ? "edit" : "message"},
                    {"text", a.text}};
  if (a.kind == EntryKind::edited) body["target"] = a.target;
  if (a.reply_to > 0) body["reply_to"] = a.reply_to;
  if (!a.data.empty()) {
    boost::system::error_code ec;
    auto data = json::parse(a.data, ec);
    if (!ec) body["data"] = std::move(data);
  }
  if (!a.attachments.empty()) {
    json::array files;
    for (auto& f : a.attachments) files.push_back(json::string(f));
    body["attachments"] = std::move(files);
  }
  auto impl = impl_;
  impl->call(impl->o.publish_url, "before_publish", std::move(body), [impl, done = std::move(done)](PostResult r) {
    auto verdict = read_publish_answer(r.status, r.body);
    if (!verdict.ok()) {
      impl->metrics.hook_calls.add("publish_failed");
      spdlog::warn("publish hook: {}{}; {}", verdict.status.message(), r.error.empty() ? "" : " (" + r.error + ")",
                   impl->o.publish_fail_open ? "allowed (fail open)" : "refused (fail closed)");
      if (impl->o.publish_fail_open) return done(PublishVerdict{});
      return done(Status::busy("the application could not check the message; send it again", 1000));
    }
    impl->metrics.hook_calls.add(verdict.value.action == PublishVerdict::Action::allow    ? "publish_allow"
                                 : verdict.value.action == PublishVerdict::Action::reject ? "publish_reject"
                                                                                          : "publish_replace");
    done(std::move(verdict));
  });
}

}  // namespace parley::webhooks
