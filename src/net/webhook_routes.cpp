#include "net/webhook_routes.hpp"

#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include "net/api_errors.hpp"
#include "net/api_values.hpp"
#include "store/outbox.hpp"

namespace parley {
namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

constexpr int kMaxLimit = 500;

json::object delivery_json(const WebhookDelivery& d) {
  json::object o{{"seq", d.seq},           {"id", d.id},
                 {"endpoint", d.endpoint}, {"type", d.type},
                 {"state", delivery_state_name(d.state)}, {"attempts", d.attempts},
                 {"created_ms", d.created_ms}};
  if (d.state == DeliveryState::pending) o["next_ms"] = d.next_ms;
  if (d.done_ms > 0) o["done_ms"] = d.done_ms;
  if (!d.last_error.empty()) o["last_error"] = d.last_error;
  boost::system::error_code ec;
  json::value body = json::parse(d.body, ec);
  if (!ec) o["event"] = std::move(body);
  return o;
}

void endpoints(NetContext& ctx, const HttpRequest& req, Responder respond) {
  ctx.outbox->backlog([&ctx, req, respond](Result<std::vector<EndpointBacklog>> r) {
    if (!r.ok()) return respond(status_error(req, r.status));
    json::array list;
    for (const auto& entry : ctx.options.webhooks) {
      std::string error;
      auto spec = parse_webhook(entry, error);
      if (!spec) continue;
      json::array types;
      for (auto& t : spec->types) types.push_back(json::string(t));
      json::object o{{"name", spec->name}, {"url", spec->url}, {"types", std::move(types)},
                     {"pending", 0}, {"dead", 0}};
      for (const auto& b : r.value) {
        if (b.endpoint != spec->name) continue;
        o["pending"] = b.pending;
        o["dead"] = b.dead;
        if (b.oldest_pending_ms > 0) o["oldest_pending_ms"] = b.oldest_pending_ms;
      }
      list.push_back(std::move(o));
    }
    respond(json_response(req, 200, json::serialize(json::object{{"endpoints", std::move(list)}})));
  });
}

void list(NetContext& ctx, const HttpRequest& req, Responder respond) {
  auto url = boost::urls::parse_origin_form(std::string_view(req.target().data(), req.target().size()));
  DeliveryQuery q;
  for (auto p : url->params()) {
    if (p.key == "endpoint") {
      q.endpoint = p.value;
    } else if (p.key == "state") {
      if (p.value == "pending") q.state = DeliveryState::pending;
      else if (p.value == "delivered") q.state = DeliveryState::delivered;
      else if (p.value == "dead") q.state = DeliveryState::dead;
      else return respond(api_error(req, 400, "bad_request", "state must be pending, delivered or dead"));
    } else if (p.key == "before" || p.key == "limit") {
      auto v = int_from_text(p.value);
      if (!v || *v < 1) return respond(api_error(req, 400, "bad_request", p.key + " must be a positive integer"));
      if (p.key == "before") q.before_seq = *v;
      else q.limit = static_cast<int>(std::min<int64_t>(*v, kMaxLimit));
    }
  }
  const int limit = q.limit;
  q.limit = limit + 1;  // one more: is there a next page?
  ctx.outbox->deliveries(std::move(q), [req, respond, limit](Result<std::vector<WebhookDelivery>> r) {
    if (!r.ok()) return respond(status_error(req, r.status));
    json::array out;
    const bool more = static_cast<int>(r.value.size()) > limit;
    if (more) r.value.resize(static_cast<std::size_t>(limit));
    for (const auto& d : r.value) out.push_back(delivery_json(d));
    json::object body{{"deliveries", std::move(out)}};
    // Deliveries of several endpoints share a seq: the next page starts below the last one
    // shown, so a page ends at a seq's last delivery.
    body["next_before"] = more && !r.value.empty() ? json::value(r.value.back().seq) : json::value(nullptr);
    respond(json_response(req, 200, json::serialize(body)));
  });
}

void replay(NetContext& ctx, const HttpRequest& req, Responder respond) {
  ReplayRequest r;
  if (!req.body().empty()) {
    boost::system::error_code ec;
    auto v = json::parse(req.body(), ec);
    if (ec || !v.is_object()) return respond(api_error(req, 400, "bad_request", "the body must be a JSON object"));
    const auto& o = v.as_object();
    if (auto* e = o.if_contains("endpoint")) {
      if (!e->is_string()) return respond(api_error(req, 400, "bad_request", "field 'endpoint' must be a string"));
      r.endpoint = e->as_string();
    }
    if (auto* s = o.if_contains("seqs")) {
      if (!s->is_array() || s->as_array().size() > 1000) {
        return respond(api_error(req, 400, "bad_request", "field 'seqs' must be an array of at most 1000 seqs"));
      }
      for (auto& x : s->as_array()) {
        if (!x.is_int64() || x.as_int64() < 1) {
          return respond(api_error(req, 400, "bad_request", "field 'seqs' must hold positive integers"));
        }
        r.seqs.push_back(x.as_int64());
      }
      if (r.seqs.empty()) return respond(api_error(req, 400, "bad_request", "field 'seqs' is empty"));
    }
  }
  r.now_ms = ctx.clock.wall_ms();
  ctx.outbox->replay(std::move(r), [req, respond](Result<int64_t> n) {
    if (!n.ok()) return respond(status_error(req, n.status));
    respond(json_response(req, 200, json::serialize(json::object{{"replayed", n.value}})));
  });
}

}  // namespace

void handle_webhook_routes(NetContext& ctx, const HttpRequest& req, const std::vector<std::string>& path,
                           Responder respond) {
  if (!ctx.outbox) return respond(api_error(req, 404, "not_found", "no such endpoint"));
  const bool get = req.method() == http::verb::get || req.method() == http::verb::head;
  if (path.empty()) {
    if (!get) return respond(not_allowed(req, "GET"));
    return endpoints(ctx, req, respond);
  }
  if (path.size() == 1 && path[0] == "deliveries") {
    if (!get) return respond(not_allowed(req, "GET"));
    return list(ctx, req, respond);
  }
  if (path.size() == 2 && path[0] == "deliveries" && path[1] == "replay") {
    if (req.method() != http::verb::post) return respond(not_allowed(req, "POST"));
    return replay(ctx, req, respond);
  }
  respond(api_error(req, 404, "not_found", "no such endpoint"));
}

}  // namespace parley
