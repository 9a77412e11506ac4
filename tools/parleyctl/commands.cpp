#include "commands.hpp"

#include <boost/json.hpp>
#include <boost/url/url.hpp>
#include <iostream>
#include <random>

#include "output.hpp"

namespace parleyctl {

namespace json = boost::json;

namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

// A target with its query: parameters with an empty value are left out.
std::string target(const std::string& path, const Params& params = {}) {
  boost::urls::url u;
  u.set_encoded_path(path);
  for (const auto& [k, v] : params) {
    if (!v.empty()) u.params().append({k, v});
  }
  return std::string(u.buffer());
}

std::string rooms_path(const std::string& room) { return "/api/v1/rooms/" + segment(room); }
std::string member_path(const std::string& room, const std::string& user) {
  return rooms_path(room) + "/members/" + segment(user);
}
std::string users_path(const std::string& user) { return "/api/v1/users/" + segment(user); }
std::string number(int64_t n) { return n > 0 ? std::to_string(n) : std::string(); }

// Sends the request; a 2xx answer's JSON comes back, anything else is printed and Refused.
json::value call(Context& c, std::string_view method, const std::string& tgt, const std::optional<json::value>& body = {}) {
  Reply r = c.api.request(method, tgt, body ? std::optional<std::string>(json::serialize(*body)) : std::nullopt);
  boost::system::error_code ec;
  json::value v = json::parse(r.body, ec);
  if (r.status / 100 == 2) {
    if (ec) v = json::object{{"body", r.body}};
    return v;
  }
  const json::object* o = !ec && v.is_object() ? &v.as_object() : nullptr;
  const json::value* code = o ? o->if_contains("code") : nullptr;
  const json::value* error = o ? o->if_contains("error") : nullptr;
  c.err << "parleyctl: HTTP " << r.status;
  if (code && code->is_string()) c.err << ' ' << std::string_view(code->as_string());
  if (error && error->is_string()) c.err << ": " << std::string_view(error->as_string());
  else if (!o && !r.body.empty()) c.err << ": " << r.body.substr(0, 200);
  if (r.status == 404 && !o) c.err << " (is the server API on? see api_keys)";
  c.err << '\n';
  throw Refused{};
}

// The answer as its JSON, or as a table of `field`'s rows.
void show_list(Context& c, const json::value& v, const std::string& field, const std::vector<Column>& columns) {
  if (c.json) {
    c.out << json::serialize(v) << '\n';
    return;
  }
  print_table(c.out, columns, v.as_object().at(field).as_array());
}

void show_object(Context& c, const json::value& v) {
  if (c.json) c.out << json::serialize(v) << '\n';
  else if (v.is_object()) print_fields(c.out, v.as_object());
  else c.out << json::serialize(v) << '\n';
}

// Every page of a list whose answer names where the next one starts (`next_field`, null on
// the last), gathered into one answer.
json::value all_pages(Context& c, const std::string& path, Params params, const std::string& after_key,
                      const std::string& field, const std::string& next_field) {
  json::value first;
  json::array rows;
  for (;;) {
    json::value page = call(c, "GET", target(path, params));
    auto& o = page.as_object();
    for (auto& r : o.at(field).as_array()) rows.push_back(std::move(r));
    const json::value* next = o.if_contains(next_field);
    if (first.is_null()) first = page;
    if (!next || next->is_null()) break;
    std::string after = next->is_string() ? std::string(next->as_string()) : json::serialize(*next);
    bool replaced = false;
    for (auto& [k, v] : params) {
      if (k == after_key) v = after, replaced = true;
    }
    if (!replaced) params.emplace_back(after_key, after);
  }
  auto& o = first.as_object();
  o[field] = std::move(rows);
  o[next_field] = nullptr;
  return first;
}

std::string random_id() {
  std::random_device rd;
  std::uniform_int_distribution<int> hex(0, 15);
  std::string id = "ctl-";
  for (int i = 0; i < 32; ++i) id += "0123456789abcdef"[hex(rd)];
  return id;
}

// A leaf command: `fn` runs when it is the one chosen.
CLI::App* leaf(CLI::App& parent, const std::string& name, const std::string& about, Action& chosen, Action fn) {
  auto* sub = parent.add_subcommand(name, about);
  sub->callback([&chosen, fn = std::move(fn)] { chosen = fn; });
  return sub;
}

const std::vector<Column> kRoomColumns{{"ROOM", "room"},
                                      {"KIND", "kind"},
                                      {"MEMBERS", "members"},
                                      {"LAST_SEQ", "last_seq"},
                                      {"MSGS_1H", "messages_last_hour"},
                                      {"SLOW_S", "slow_mode_s"}};
const std::vector<Column> kMemberColumns{{"USER", "user"}, {"ROLE", "role"}, {"READ_SEQ", "read_seq"}};
const std::vector<Column> kMessageColumns{{"SEQ", "seq"}, {"TIME", "ts", Format::time}, {"USER", "user"},
                                          {"KIND", "kind"}, {"TEXT", "text", Format::text}};
const std::vector<Column> kSearchColumns{{"ROOM", "room"}, {"SEQ", "seq"}, {"TIME", "ts", Format::time},
                                         {"USER", "user"}, {"TEXT", "text", Format::text}};
const std::vector<Column> kUserRoomColumns{{"ROOM", "room"}, {"KIND", "kind"}, {"ROLE", "role"}, {"LAST_SEQ", "last_seq"},
                                           {"READ_SEQ", "read_seq"}, {"WITH", "with"}};
const std::vector<Column> kDeliveryColumns{{"SEQ", "seq"}, {"ENDPOINT", "endpoint"}, {"TYPE", "type"}, {"STATE", "state"},
                                           {"ATTEMPTS", "attempts"}, {"CREATED", "created_ms", Format::time},
                                           {"LAST_ERROR", "last_error", Format::text}};

void add_rooms(CLI::App& app, Action& chosen) {
  auto* rooms = app.add_subcommand("rooms", "list, create and inspect rooms")->require_subcommand(1);
  struct List { std::string after; int64_t limit = 0; bool all = false; };
  auto list = std::make_shared<List>();
  auto* ls = leaf(*rooms, "list", "every room with its member count and the last hour's messages", chosen, [list](Context& c) {
    Params p{{"after", list->after}, {"limit", number(list->limit)}};
    json::value v = list->all ? all_pages(c, "/api/v1/rooms", p, "after", "rooms", "next") : call(c, "GET", target("/api/v1/rooms", p));
    show_list(c, v, "rooms", kRoomColumns);
    if (!c.json && !v.at("next").is_null()) c.err << "more: --after " << std::string_view(v.at("next").as_string()) << '\n';
  });
  ls->add_option("--after", list->after, "start after this room name");
  ls->add_option("--limit", list->limit, "rooms per page (1-500, default 100)")->check(CLI::Range(1, 500));
  ls->add_flag("--all", list->all, "every page");

  auto room = std::make_shared<std::string>();
  auto priv = std::make_shared<bool>(false);
  auto* create = leaf(*rooms, "create", "create a room (public unless --private)", chosen, [room, priv](Context& c) {
    show_object(c, call(c, "POST", "/api/v1/rooms", json::object{{"room", *room}, {"kind", *priv ? "private" : "public"}}));
  });
  create->add_option("room", *room, "the room's name")->required();
  create->add_flag("--private", *priv, "joined only by invitation");

  auto* show = leaf(*rooms, "show", "a room's state", chosen, [room](Context& c) { show_object(c, call(c, "GET", rooms_path(*room))); });
  show->add_option("room", *room)->required();

  auto seconds = std::make_shared<int64_t>(0);
  auto* slow = leaf(*rooms, "slow-mode", "how far apart each member's messages must be (0: off)", chosen, [room, seconds](Context& c) {
    show_object(c, call(c, "PUT", rooms_path(*room) + "/slow_mode", json::object{{"seconds", *seconds}}));
  });
  slow->add_option("room", *room)->required();
  slow->add_option("seconds", *seconds)->required()->check(CLI::NonNegativeNumber);
}

void add_members(CLI::App& app, Action& chosen) {
  auto* members = app.add_subcommand("members", "a room's members, roles and moderation")->require_subcommand(1);
  struct Args { std::string room, user, role, after; int64_t n = 0; bool all = false; };
  auto a = std::make_shared<Args>();
  auto* ls = leaf(*members, "list", "the members with their roles and read positions", chosen, [a](Context& c) {
    Params p{{"after", a->after}, {"limit", number(a->n)}};
    const std::string path = rooms_path(a->room) + "/members";
    json::value v = a->all ? all_pages(c, path, p, "after", "members", "next") : call(c, "GET", target(path, p));
    show_list(c, v, "members", kMemberColumns);
    if (!c.json && !v.at("next").is_null()) c.err << "more: --after " << std::string_view(v.at("next").as_string()) << '\n';
  });
  ls->add_option("room", a->room)->required();
  ls->add_option("--after", a->after, "start after this user name");
  ls->add_option("--limit", a->n, "members per page (1-500, default 100)")->check(CLI::Range(1, 500));
  ls->add_flag("--all", a->all, "every page");

  // ROOM USER commands: method and path after the member's.
  struct Simple { const char* name; const char* about; const char* method; std::string tail; bool ban; };
  for (const Simple& s : {Simple{"add", "add a member", "PUT", "", false},
                          Simple{"remove", "remove a member", "DELETE", "", false},
                          Simple{"kick", "remove a member, who may join again", "POST", "/kick", false},
                          Simple{"unmute", "lift a mute", "DELETE", "/mute", false},
                          Simple{"ban", "remove and keep out until unbanned", "PUT", "", true},
                          Simple{"unban", "let a banned user back", "DELETE", "", true}}) {
    auto* cmd = leaf(*members, s.name, s.about, chosen, [a, s](Context& c) {
      const std::string path = s.ban ? rooms_path(a->room) + "/bans/" + segment(a->user) : member_path(a->room, a->user) + s.tail;
      show_object(c, call(c, s.method, path));
    });
    cmd->add_option("room", a->room)->required();
    cmd->add_option("user", a->user)->required();
  }
  auto* role = leaf(*members, "role", "give a member a role: owner, moderator or member", chosen, [a](Context& c) {
    show_object(c, call(c, "PUT", member_path(a->room, a->user) + "/role", json::object{{"role", a->role}}));
  });
  role->add_option("room", a->room)->required();
  role->add_option("user", a->user)->required();
  role->add_option("role", a->role)->required()->check(CLI::IsMember({"owner", "moderator", "member"}));
  auto* mute = leaf(*members, "mute", "keep a member from writing for SECONDS", chosen, [a](Context& c) {
    show_object(c, call(c, "PUT", member_path(a->room, a->user) + "/mute", json::object{{"seconds", a->n}}));
  });
  mute->add_option("room", a->room)->required();
  mute->add_option("user", a->user)->required();
  mute->add_option("seconds", a->n)->required()->check(CLI::PositiveNumber);
}

void add_messages(CLI::App& app, Action& chosen) {
  auto* messages = app.add_subcommand("messages", "publish, read and delete messages")->require_subcommand(1);
  struct Args { std::string room, text, user, id; bool system = false; int64_t before = 0, after = -1, limit = 0, seq = 0; };
  auto a = std::make_shared<Args>();
  auto* publish = messages->add_subcommand("publish", "publish as a member (--user) or as the system (--system)");
  publish->add_option("room", a->room)->required();
  publish->add_option("text", a->text)->required();
  auto* as_user = publish->add_option("--user", a->user, "the author, a member of the room");
  auto* as_system = publish->add_flag("--system", a->system, "a system message, from no user");
  as_user->excludes(as_system);
  publish->add_option("--id", a->id, "client id: a retry with the same id publishes nothing new");
  publish->callback([a, &chosen] {
    if (a->user.empty() && !a->system) throw CLI::ValidationError("publish", "give --user NAME or --system");
    chosen = [a](Context& c) {
      json::object body{{"text", a->text}, {"id", a->id.empty() ? random_id() : a->id}};
      if (a->system) body["system"] = true;
      else body["user"] = a->user;
      show_object(c, call(c, "POST", rooms_path(a->room) + "/messages", body));
    };
  });

  auto* history = leaf(*messages, "history", "a page of the room's history (the newest unless --before/--after)", chosen, [a](Context& c) {
    Params p{{"before", number(a->before)}, {"after", a->after >= 0 ? std::to_string(a->after) : ""}, {"limit", number(a->limit)}};
    json::value v = call(c, "GET", target(rooms_path(a->room) + "/messages", p));
    show_list(c, v, "messages", kMessageColumns);
  });
  history->add_option("room", a->room)->required();
  auto* before = history->add_option("--before", a->before, "the page before this seq")->check(CLI::PositiveNumber);
  history->add_option("--after", a->after, "messages after this seq")->check(CLI::NonNegativeNumber)->excludes(before);
  history->add_option("--limit", a->limit, "messages (1-200, default 50)")->check(CLI::Range(1, 200));

  auto* del = leaf(*messages, "delete", "delete a message (it becomes a tombstone)", chosen, [a](Context& c) {
    show_object(c, call(c, "DELETE", rooms_path(a->room) + "/messages/" + std::to_string(a->seq)));
  });
  del->add_option("room", a->room)->required();
  del->add_option("seq", a->seq)->required()->check(CLI::PositiveNumber);
}

void add_users(CLI::App& app, Action& chosen) {
  auto* users = app.add_subcommand("users", "accounts: create, look up, disable, revoke, delete")->require_subcommand(1);
  struct Args { std::string user; bool password_stdin = false, erase = false; int64_t ttl = 0; };
  auto a = std::make_shared<Args>();
  auto* create = leaf(*users, "create", "create an account (a password from stdin with --password-stdin)", chosen, [a](Context& c) {
    json::object body{{"user", a->user}};
    if (a->password_stdin) {
      std::string password;
      std::getline(std::cin, password);
      body["password"] = password;
    }
    show_object(c, call(c, "POST", "/api/v1/users", body));
  });
  create->add_option("user", a->user)->required();
  create->add_flag("--password-stdin", a->password_stdin, "read the password from the first line of stdin");

  struct Simple { const char* name; const char* about; const char* method; const char* tail; };
  for (const Simple& s : {Simple{"show", "a user's standing", "GET", ""},
                          Simple{"disable", "close their connections and refuse them (4003)", "POST", "/disable"},
                          Simple{"enable", "let a disabled user in again", "POST", "/enable"},
                          Simple{"revoke", "revoke every token signed so far (4001)", "POST", "/revoke"}}) {
    auto* cmd = leaf(*users, s.name, s.about, chosen, [a, s](Context& c) {
      show_object(c, call(c, s.method, users_path(a->user) + s.tail, std::string_view(s.method) == "POST"
                                                                        ? std::optional<json::value>(json::object{})
                                                                        : std::nullopt));
    });
    cmd->add_option("user", a->user)->required();
  }
  auto* rooms = leaf(*users, "rooms", "the rooms a user is a member of", chosen, [a](Context& c) {
    show_list(c, call(c, "GET", users_path(a->user) + "/rooms"), "rooms", kUserRoomColumns);
  });
  rooms->add_option("user", a->user)->required();
  auto* token = leaf(*users, "token", "sign a token for the user", chosen, [a](Context& c) {
    json::object body;
    if (a->ttl > 0) body["ttl_s"] = a->ttl;
    show_object(c, call(c, "POST", users_path(a->user) + "/tokens", body));
  });
  token->add_option("user", a->user)->required();
  token->add_option("--ttl", a->ttl, "seconds the token is valid")->check(CLI::PositiveNumber);
  auto* del = leaf(*users, "delete", "delete a user (the name stays taken)", chosen, [a](Context& c) {
    show_object(c, call(c, "DELETE", target(users_path(a->user), {{"messages", a->erase ? "erase" : ""}})));
  });
  del->add_option("user", a->user)->required();
  del->add_flag("--erase", a->erase, "erase the user's messages too (tombstones)");
}

void add_lookups(CLI::App& app, Action& chosen) {
  struct Args { std::string user, words, room; int64_t limit = 0; };
  auto a = std::make_shared<Args>();
  auto* search = leaf(app, "search", "what USER would find for WORDS in their rooms", chosen, [a](Context& c) {
    Params p{{"user", a->user}, {"q", a->words}, {"room", a->room}, {"limit", number(a->limit)}};
    show_list(c, call(c, "GET", target("/api/v1/search", p)), "results", kSearchColumns);
  });
  search->add_option("user", a->user)->required();
  search->add_option("words", a->words)->required();
  search->add_option("--room", a->room, "only this room");
  search->add_option("--limit", a->limit, "results")->check(CLI::PositiveNumber);

  auto* conns = leaf(app, "connections", "this node's live connections by user", chosen, [a](Context& c) {
    json::value v = call(c, "GET", target("/api/v1/connections", {{"limit", number(a->limit)}}));
    show_list(c, v, "users", {{"USER", "user"}, {"CONNECTIONS", "connections"}});
    if (!c.json) {
      c.out << "total: " << json::serialize(v.at("total")) << " connections, " << json::serialize(v.at("users_total"))
            << " users on " << std::string_view(v.at("node").as_string()) << '\n';
    }
  });
  conns->add_option("--limit", a->limit, "users shown (1-1000, default 100)")->check(CLI::Range(1, 1000));

  // The health endpoints need no key: /healthz (the process) and /readyz (its store and bus).
  leaf(app, "health", "whether the server is live and ready (exit 1 when not ready)", chosen, [](Context& c) {
    Reply live = c.api.request("GET", "/healthz");
    Reply ready = c.api.request("GET", "/readyz");
    boost::system::error_code ec;
    json::value r = json::parse(ready.body, ec);
    if (c.json) {
      c.out << json::serialize(json::object{{"live", live.status == 200}, {"ready", ec ? json::value(ready.body) : r}}) << '\n';
    } else {
      c.out << "live: " << (live.status == 200 ? "yes" : "no (HTTP " + std::to_string(live.status) + ")") << '\n';
      c.out << "ready: " << (ready.status == 200 ? "yes" : "no") << '\n';
      if (!ec && r.is_object()) {
        if (auto* failed = r.as_object().if_contains("failed"); failed && failed->is_object()) {
          for (const auto& [k, v] : failed->as_object()) c.out << "  " << std::string_view(k) << ": " << std::string_view(v.as_string()) << '\n';
        }
      }
    }
    if (live.status != 200 || ready.status != 200) throw Refused{};
  });
}

void add_webhooks(CLI::App& app, Action& chosen) {
  auto* hooks = app.add_subcommand("webhooks", "webhook endpoints, deliveries and dead letters")->require_subcommand(1);
  leaf(*hooks, "list", "the endpoints with their pending and dead deliveries", chosen, [](Context& c) {
    show_list(c, call(c, "GET", "/api/v1/webhooks"), "endpoints",
              {{"NAME", "name"}, {"URL", "url"}, {"PENDING", "pending"}, {"DEAD", "dead"}, {"OLDEST_PENDING", "oldest_pending_ms", Format::time}});
  });
  struct Args { std::string endpoint, state; int64_t before = 0, limit = 0; std::vector<int64_t> seqs; bool all = false; };
  auto a = std::make_shared<Args>();
  auto* deliveries = leaf(*hooks, "deliveries", "deliveries, newest first", chosen, [a](Context& c) {
    Params p{{"endpoint", a->endpoint}, {"state", a->state}, {"before", number(a->before)}, {"limit", number(a->limit)}};
    json::value v = a->all ? all_pages(c, "/api/v1/webhooks/deliveries", p, "before", "deliveries", "next_before")
                           : call(c, "GET", target("/api/v1/webhooks/deliveries", p));
    show_list(c, v, "deliveries", kDeliveryColumns);
  });
  deliveries->add_option("--endpoint", a->endpoint, "one endpoint's");
  deliveries->add_option("--state", a->state, "pending, delivered or dead")->check(CLI::IsMember({"pending", "delivered", "dead"}));
  deliveries->add_option("--before", a->before, "older than this delivery seq")->check(CLI::PositiveNumber);
  deliveries->add_option("--limit", a->limit, "deliveries per page (1-500)")->check(CLI::Range(1, 500));
  deliveries->add_flag("--all", a->all, "every page");
  auto* replay = leaf(*hooks, "replay", "send dead deliveries again (all, one endpoint's, or --seq N...)", chosen, [a](Context& c) {
    json::object body;
    if (!a->endpoint.empty()) body["endpoint"] = a->endpoint;
    if (!a->seqs.empty()) body["seqs"] = json::value_from(a->seqs);
    show_object(c, call(c, "POST", "/api/v1/webhooks/deliveries/replay", body));
  });
  replay->add_option("--endpoint", a->endpoint, "only this endpoint's");
  replay->add_option("--seq", a->seqs, "only these deliveries");
}

}  // namespace

void add_commands(CLI::App& app, Action& chosen) {
  add_rooms(app, chosen);
  add_members(app, chosen);
  add_messages(app, chosen);
  add_users(app, chosen);
  add_lookups(app, chosen);
  add_webhooks(app, chosen);
}

}  // namespace parleyctl
