#include "cluster_test.hpp"

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <thread>

#include "http_client.hpp"
#include "redis_client.hpp"

namespace parley::test::cluster {
namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

// ---- shared servers --------------------------------------------------------------------

SharedServices& SharedServices::get() {
  static SharedServices s;
  return s;
}

void SharedServices::start() {
  dir = std::make_unique<TempDir>("parley-cluster-");
  redis[0] = std::make_unique<RedisServer>(dir->path() / "redis1");
  redis[1] = std::make_unique<RedisServer>(dir->path() / "redis2");
  pg = std::make_unique<PostgresServer>(dir->path() / "pg");
}

void SharedServices::stop() {
  pg.reset();
  redis[1].reset();
  redis[0].reset();
  dir.reset();
}

std::string SharedServices::redis_urls() const { return redis[0]->url() + "," + redis[1]->url(); }

void ClusterEnvironment::SetUp() {
  auto& s = SharedServices::get();
  try {
    s.start();
  } catch (const std::exception& e) {
    s.error = e.what();
    s.stop();
  }
}

void ClusterEnvironment::TearDown() { SharedServices::get().stop(); }

// ---- fixture ---------------------------------------------------------------------------

void ClusterTest::SetUp() {
  auto& s = SharedServices::get();
  if (!s.pg) GTEST_FAIL() << "the shared Redis/PostgreSQL servers did not start:\n" << s.error;
  // A Redis instance a previous test stopped and failed to restart.
  for (auto& r : s.redis)
    if (!r->running()) r->start();
  for (auto& r : s.redis) redis_command(r->port(), {"FLUSHALL"});
  static std::atomic<int> counter{0};
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  db_ = "t" + std::to_string(++counter) + "_" + std::to_string(::getpid());
  db_uri_ = pg().create_database(db_);
  tmp_ = std::make_unique<TempDir>(std::string("parley-cluster-") + info->name() + "-");
}

void ClusterTest::TearDown() {
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i] && !down_.count(static_cast<int>(i)) && !nodes_[i]->running())
      ADD_FAILURE() << "node" << i + 1 << " exited during the test: "
                    << nodes_[i]->wait_exit(0ms)->describe();
  }
  if (HasFailure() || std::getenv("PARLEY_TEST_LOG") != nullptr) {
    std::cerr << logs();
    if (tmp_ && HasFailure() && std::getenv("PARLEY_TEST_KEEP") != nullptr) {
      tmp_->keep();
      std::cerr << "kept " << tmp_->path().string() << "\n";
    }
  }
  lb_.reset();
  nodes_.clear();  // SIGKILL whatever still runs
  tmp_.reset();
}

std::vector<std::string> ClusterTest::node_args(int i) const {
  auto& s = SharedServices::get();
  const std::string id = "node" + std::to_string(i + 1);
  NodeFlags all{{"--host", "127.0.0.1"},
                {"--port", "0"},
                {"--data-dir", (work_dir() / id).string()},
                {"--jwt-secret", std::string(kClusterSecret)},
                {"--threads", "1"},
                {"--heartbeat-ms", std::to_string(kHeartbeatMs)},
                {"--rate-per-sec", "100000"},
                {"--rate-burst", "100000"},
                {"--store", db_uri_},
                {"--redis", s.redis_urls()},
                {"--node-id", id}};
  for (const auto& [k, v] : flags_) all[k] = v;
  if (auto it = node_flags_.find(i); it != node_flags_.end())
    for (const auto& [k, v] : it->second) all[k] = v;
  std::vector<std::string> args;
  for (const auto& [k, v] : all)
    if (v) {
      args.push_back(k);
      args.push_back(*v);
    }
  return args;
}

std::unique_ptr<ServerProcess> ClusterTest::launch(const std::vector<std::string>& args, int i) {
  const std::string id = "node" + std::to_string(i + 1);
  fs::create_directories(work_dir() / id);
  ServerProcess::Options o;
  o.args = args;
  o.cwd = work_dir() / id;
  o.log_path = work_dir() / (id + ".log");
  o.start_timeout = 30s;
  auto p = std::make_unique<ServerProcess>(std::move(o));
  if (started_.size() <= static_cast<std::size_t>(i)) started_.resize(static_cast<std::size_t>(i) + 1);
  started_[static_cast<std::size_t>(i)] = Clock::now();
  return p;
}

void ClusterTest::start_cluster(NodeFlags flags, int n) {
  if (!nodes_.empty()) throw std::logic_error("start_cluster: already started");
  flags_ = std::move(flags);
  std::vector<std::uint16_t> ports;
  for (int i = 0; i < n; ++i) {
    node_args_.push_back(node_args(i));
    nodes_.push_back(launch(node_args_.back(), i));
    ports.push_back(nodes_.back()->port());
  }
  // As a load balancer would, wait until every node is ready: store and Redis links up.
  for (std::uint16_t port : ports) await_ready(port);
  lb_ = std::make_unique<NginxProxy>(work_dir() / "nginx", ports);
}

void ClusterTest::await_ready(std::uint16_t port) {
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  for (;;) {
    try {
      if (http_get(port, "/readyz").status == 200) return;
    } catch (const std::exception&) {
      // not answering yet
    }
    if (Clock::now() > deadline) throw std::runtime_error("node on port " + std::to_string(port) + " never became ready");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

int ClusterTest::add_node() {
  const int i = static_cast<int>(nodes_.size());
  node_args_.push_back(node_args(i));
  nodes_.push_back(launch(node_args_.back(), i));
  return i;
}

ServerProcess& ClusterTest::restart_node(int i) {
  ServerProcess& old = node(i);
  if (old.running()) throw std::logic_error("restart_node: node" + std::to_string(i + 1) + " is running");
  std::vector<std::string> args = node_args_.at(static_cast<std::size_t>(i));
  for (std::size_t k = 0; k + 1 < args.size(); ++k)
    if (args[k] == "--port") args[k + 1] = std::to_string(old.port());  // nginx still points there
  nodes_[static_cast<std::size_t>(i)] = launch(args, i);
  down_.erase(i);
  return *nodes_[static_cast<std::size_t>(i)];
}

ServerProcess& ClusterTest::node(int i) {
  if (i < 0 || static_cast<std::size_t>(i) >= nodes_.size() || !nodes_[static_cast<std::size_t>(i)])
    throw std::logic_error("no node " + std::to_string(i));
  return *nodes_[static_cast<std::size_t>(i)];
}

NginxProxy& ClusterTest::lb() {
  if (!lb_) throw std::logic_error("nginx is not started");
  return *lb_;
}

std::uint16_t ClusterTest::port_of(int target) { return target == kLb ? lb().port() : node(target).port(); }

std::string ClusterTest::target_name(int target) const {
  return target == kLb ? "nginx" : "node" + std::to_string(target + 1);
}

std::string ClusterTest::token(std::string_view user) const {
  return mint_token(kClusterSecret, user, unix_now() + 3600);
}

std::unique_ptr<WsClient> ClusterTest::connect(std::string_view user, int target) {
  auto c = std::make_unique<WsClient>(std::string(user) + "@" + target_name(target) + "#" + std::to_string(++clients_));
  ConnectOptions opts;
  opts.token = token(user);
  ConnectResult r = c->connect(port_of(target), opts);
  if (!r.upgraded)
    throw std::runtime_error("connect " + c->name() + ": status " + std::to_string(r.status) + " " + r.body + " " +
                             r.error);
  c->expect(is_type("welcome"), "welcome", 10s);
  return c;
}

json::object ClusterTest::welcome_of(const WsClient& c) {
  for (const Received& r : c.received())
    if (r.obj.if_contains("type") && r.obj.at("type") == "welcome") return r.obj;
  throw std::runtime_error(c.name() + " has no welcome");
}

std::string ClusterTest::logs(std::size_t per_file) const {
  std::string out;
  auto add = [&](const std::string& title, const fs::path& p) {
    if (!fs::exists(p)) return;
    out += "---- " + title + " (" + p.string() + ") ----\n" + tail_file(p, per_file);
    if (!out.empty() && out.back() != '\n') out += '\n';
  };
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    if (nodes_[i]) add("node" + std::to_string(i + 1) + " stderr", nodes_[i]->log_path());
  if (lb_) add("nginx error log", lb_->error_log());
  auto& s = SharedServices::get();
  for (std::size_t i = 0; i < s.redis.size(); ++i)
    if (s.redis[i]) add("redis" + std::to_string(i + 1), s.redis[i]->log_path());
  if (s.pg) add("postgres", s.pg->log_path());
  out += "---- end of logs ----\n";
  return out;
}

// ---- helpers ---------------------------------------------------------------------------

std::optional<json::object> find_received(const WsClient& c, const Pred& pred) {
  for (const Received& r : c.received())
    if (pred(r.obj)) return r.obj;
  return std::nullopt;
}

std::vector<json::object> messages_received(const WsClient& c, std::string_view room) {
  std::vector<json::object> out;
  for (const Received& r : c.received())
    if (has({{"type", "message"}, {"room", room}})(r.obj)) out.push_back(r.obj);
  return out;
}

std::map<std::string, std::int64_t> acks_received(const WsClient& c) {
  std::map<std::string, std::int64_t> out;
  for (const Received& r : c.received())
    if (r.obj.if_contains("type") && r.obj.at("type") == "ack") out[get_str(r.obj, "id")] = get_int(r.obj, "seq");
  return out;
}

void expect_messages(WsClient& c, const std::vector<std::string>& ids, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (const auto& id : ids) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (!c.wait_for(message_with_id(id), std::max(left, 0ms))) {
      std::set<std::string> got;
      for (const Received& r : c.received())
        if (r.obj.if_contains("type") && r.obj.at("type") == "message") got.insert(get_str(r.obj, "id"));
      std::size_t missing = 0;
      for (const auto& i : ids) missing += got.count(i) ? 0 : 1;
      throw std::runtime_error(c.name() + ": " + std::to_string(missing) + " of " + std::to_string(ids.size()) +
                               " messages never arrived (first missing: " + id + "); " + c.close_info().describe());
    }
  }
}

bool await_delivery(WsClient& sender, const std::vector<WsClient*>& receivers, std::string_view room,
                    std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    const std::string id = get_str(send_message(sender, room, "probe"), "id");
    bool all = true;
    for (WsClient* r : receivers) all = r->wait_for(message_with_id(id), 500ms).has_value() && all;
    if (all) return true;
  }
  return false;
}

std::vector<std::string> missing_messages(WsClient& c, const std::vector<std::string>& ids,
                                          std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::vector<std::string> missing;
  for (const auto& id : ids) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (!c.wait_for(message_with_id(id), std::max(left, 0ms))) missing.push_back(id);
  }
  return missing;
}

std::map<std::string, std::int64_t> expect_acks(WsClient& c, const std::vector<std::string>& ids,
                                                std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::map<std::string, std::int64_t> out;
  for (const auto& id : ids) {
    const Pred ack = has({{"type", "ack"}, {"id", id}});
    const Pred err = has({{"type", "error"}, {"id", id}});
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    auto r = c.wait_for([&](const json::object& o) { return ack(o) || err(o); }, std::max(left, 0ms));
    if (!r) throw std::runtime_error(c.name() + ": no ack for " + id + "; " + c.close_info().describe());
    if (!ack(r->obj)) throw std::runtime_error(c.name() + ": message " + id + " refused: " + to_string(r->obj));
    out[id] = get_int(r->obj, "seq");
  }
  return out;
}

}  // namespace parley::test::cluster

namespace parley::test::cluster {
namespace json = boost::json;

void Outbox::post(WsClient& c, int n, std::string_view label) {
  for (int i = 0; i < n; ++i) {
    const std::string id = new_id();
    ids.push_back(id);
    post_message(c, room, std::string(label) + " #" + std::to_string(ids.size()), id);
  }
}

void Outbox::collect(const WsClient& c) {
  for (const auto& [id, seq] : acks_received(c)) {
    auto [it, fresh] = acked.emplace(id, seq);
    EXPECT_EQ(it->second, seq) << "two acks for " << id << " with different seqs";
  }
}

std::vector<std::string> Outbox::unacked() const {
  std::vector<std::string> out;
  for (const auto& id : ids)
    if (!acked.count(id)) out.push_back(id);
  return out;
}

void expect_history_is_exactly(WsClient& c, std::string_view room, const std::vector<const Outbox*>& outboxes) {
  const std::vector<json::object> stored = all_messages(c, room);
  std::map<std::string, std::int64_t> stored_seq;
  for (std::size_t n = 0; n < stored.size(); ++n) {
    const std::int64_t seq = get_int(stored[n], "seq");
    EXPECT_EQ(seq, static_cast<std::int64_t>(n + 1)) << "stored seqs of " << room << " have a gap or are out of order";
    const std::string id = get_str(stored[n], "id");
    EXPECT_TRUE(stored_seq.emplace(id, seq).second) << "message " << id << " stored twice";
  }
  std::size_t expected = 0;
  for (const Outbox* o : outboxes) {
    expected += o->ids.size();
    for (const auto& id : o->ids) {
      auto it = stored_seq.find(id);
      if (it == stored_seq.end()) {
        ADD_FAILURE() << "message " << id << (o->acked.count(id) ? " (acked, seq " + std::to_string(o->acked.at(id)) + ")" : "")
                      << " is missing from the history of " << room;
        continue;
      }
      if (o->acked.count(id)) {
        EXPECT_EQ(it->second, o->acked.at(id)) << "message " << id << " stored at another seq than acked";
      }
    }
  }
  EXPECT_EQ(stored.size(), expected) << "the history of " << room << " holds other messages than those sent";
}

void expect_live_order(const WsClient& c, std::string_view room, bool gap_free, std::int64_t first_seq) {
  std::int64_t prev = first_seq - 1;
  std::set<std::string> seen;
  for (const json::object& m : messages_received(c, room)) {
    const std::int64_t seq = get_int(m, "seq");
    const std::string id = get_str(m, "id");
    EXPECT_TRUE(seen.insert(id).second) << c.name() << " received message " << id << " (seq " << seq << ") twice";
    if (gap_free) {
      EXPECT_EQ(seq, prev + 1) << c.name() << " received seq " << seq << " after " << prev;
    } else {
      EXPECT_GT(seq, prev) << c.name() << " received seq " << seq << " after " << prev;
    }
    prev = std::max(prev, seq);
  }
}

}  // namespace parley::test::cluster
