#include "net/stream_routes.hpp"

#include <boost/json/serialize.hpp>
#include <charconv>

#include "common/events.hpp"
#include "hub/hub.hpp"
#include "metrics/metrics.hpp"
#include "net/upgrade_check.hpp"

namespace parley {
namespace http = boost::beast::http;

namespace {

std::string_view path_of(const HttpRequest& req) {
  std::string_view target = req.target();
  return target.substr(0, target.find('?'));
}

// "<node>.<conn>.<key>" (a node id may hold dots itself: the last two parts are the others).
bool parse_session(std::string_view id, SessionInput& out) {
  const std::size_t k = id.rfind('.');
  if (k == std::string_view::npos || k == 0) return false;
  const std::size_t c = id.rfind('.', k - 1);
  if (c == std::string_view::npos || c == 0) return false;
  std::string_view conn = id.substr(c + 1, k - c - 1);
  auto [end, ec] = std::from_chars(conn.data(), conn.data() + conn.size(), out.conn);
  if (ec != std::errc{} || end != conn.data() + conn.size() || out.conn == 0) return false;
  out.node = std::string(id.substr(0, c));
  out.key = std::string(id.substr(k + 1));
  return !out.key.empty();
}

std::size_t count_commands(std::string_view body) {
  std::size_t n = 0;
  while (!body.empty()) {
    const std::size_t end = body.find('\n');
    std::string_view line = body.substr(0, end);
    body = end == std::string_view::npos ? std::string_view() : body.substr(end + 1);
    if (line.find_first_not_of(" \t\r") != std::string_view::npos) ++n;
  }
  return n;
}

}  // namespace

bool is_stream_request(const HttpRequest& req) {
  return req.method() == http::verb::get && path_of(req) == kStreamPath;
}

void handle_stream_post(NetContext& ctx, const HttpRequest& req, Responder respond) {
  if (path_of(req) == kStreamPath) return respond(error_response(req, 405, "open the stream with GET"));
  if (req.method() != http::verb::post) return respond(error_response(req, 405, "use POST"));
  const std::string token = request_token(req, /*query=*/false);
  if (token.empty()) return respond(error_response(req, 401, "missing token (Authorization: Bearer)"));
  auto claims = ctx.jwt.verify(token, ctx.clock.wall_ms() / 1000);
  if (!claims.ok()) return respond(error_response(req, 401, claims.status.message()));
  SessionInput in;
  if (!parse_session(path_of(req).substr(kStreamPath.size() + 1), in)) {
    return respond(error_response(req, 404, "no such session"));
  }
  const std::size_t commands = count_commands(req.body());
  if (commands == 0) return respond(error_response(req, 400, "the body holds no command (one JSON command a line)"));
  if (commands > kMaxStreamCommands) {
    return respond(error_response(req, 413, "at most " + std::to_string(kMaxStreamCommands) + " commands a request"));
  }
  in.text = req.body();
  ctx.metrics.stream_posts.add();
  // The token's user: a session of someone else is not found.
  ctx.hub.relay(claims.value.sub, std::move(in), [req, respond, commands](Status s) {
    if (s.code() == Status::Code::not_found) return respond(error_response(req, 404, "no such session"));
    if (!s.is_ok()) return respond(error_response(req, 503, "cannot reach the session now, retry"));
    respond(json_response(req, 202, boost::json::serialize(boost::json::object{{"accepted", commands}})));
  });
}

}  // namespace parley
