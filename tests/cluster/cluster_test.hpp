// The GoogleTest fixture of the cluster suite.
//
// Shared by the whole suite (started once by ClusterEnvironment, see main.cpp): two
// redis-server instances and one PostgreSQL. Per test: a fresh database (CREATE DATABASE),
// both Redis instances flushed, a temporary directory, then — when the test calls
// start_cluster() — three parleyd nodes on 127.0.0.1:0 sharing the database, both Redis
// instances and one JWT secret, and nginx load-balancing over them. Everything the test
// started is stopped when it ends; on failure the logs of every node, nginx, Redis and
// PostgreSQL are printed (always with PARLEY_TEST_LOG=1; PARLEY_TEST_KEEP=1 keeps the
// temporary directory of a failed test).
#pragma once

#include <array>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "http_client.hpp"
#include "jwt.hpp"
#include "protocol.hpp"
#include "server_process.hpp"
#include "services.hpp"
#include "temp_dir.hpp"
#include "ws_client.hpp"

namespace parley::test::cluster {

inline constexpr std::string_view kClusterSecret = "parley-cluster-secret-5b2e91f0";
inline constexpr int kNodes = 3;
inline constexpr int kLb = -1;  // connect through nginx instead of to a node
inline constexpr int kHeartbeatMs = 1000;

// parleyd flags by name ("--heartbeat-ms"); a nullopt value removes a default flag.
using NodeFlags = std::map<std::string, std::optional<std::string>>;

// The suite's shared servers.
struct SharedServices {
  std::unique_ptr<TempDir> dir;
  std::array<std::unique_ptr<RedisServer>, 2> redis;
  std::unique_ptr<PostgresServer> pg;
  std::string error;  // why they did not start

  static SharedServices& get();
  void start();
  void stop();
  std::string redis_urls() const;  // "redis://127.0.0.1:a,redis://127.0.0.1:b"
};

class ClusterEnvironment : public ::testing::Environment {
public:
  void SetUp() override;
  void TearDown() override;
};

class ClusterTest : public ::testing::Test {
public:
  // Polls the node's /readyz until it answers 200 (10 s at most).
  static void await_ready(std::uint16_t port);

protected:
  void SetUp() override;
  void TearDown() override;

  // Starts `n` nodes (node ids node1..nodeN) and nginx in front of them. Default flags:
  //   --host 127.0.0.1 --port 0 --data-dir <tmp>/nodeI --jwt-secret kClusterSecret
  //   --threads 1 --heartbeat-ms 1000 --rate-per-sec 100000 --rate-burst 100000
  //   --store <this test's database> --redis <both instances> --node-id nodeI
  // overridden by `flags`.
  void start_cluster(NodeFlags flags = {}, int n = kNodes);
  // Flags of node `i` alone (over start_cluster's), e.g. its Redis through a LinkProxy; call
  // before the node starts.
  void set_node_flags(int i, NodeFlags flags) { node_flags_[i] = std::move(flags); }
  // Starts one more node (node id node<N+1>, same flags as start_cluster's) that nginx does
  // not know; returns its index.
  int add_node();
  // When node `i` last printed its listening line.
  Clock::time_point started_at(int i) const { return started_.at(static_cast<std::size_t>(i)); }
  // Starts node `i` again (after it was stopped or killed) with the same flags and data dir;
  // nginx keeps pointing at the old port, so only direct connections reach it.
  ServerProcess& restart_node(int i);
  // The test means to stop or kill node `i`: its exit is not a failure.
  void expect_node_down(int i) { down_.insert(i); }

  ServerProcess& node(int i);
  NginxProxy& lb();
  std::uint16_t port_of(int target);  // node index or kLb
  std::string target_name(int target) const;

  RedisServer& redis(int i) { return *SharedServices::get().redis.at(static_cast<std::size_t>(i)); }
  PostgresServer& pg() { return *SharedServices::get().pg; }
  const std::string& db_name() const { return db_; }
  const std::filesystem::path& work_dir() const { return tmp_->path(); }

  std::string token(std::string_view user) const;
  // A client of `user` connected to node `target` (or kLb) whose welcome has arrived;
  // throws if the upgrade fails or no welcome comes.
  std::unique_ptr<WsClient> connect(std::string_view user, int target);
  static boost::json::object welcome_of(const WsClient& c);

  // Every log of the test, tails, for failure messages.
  std::string logs(std::size_t per_file = 12000) const;

private:
  std::unique_ptr<TempDir> tmp_;
  std::string db_, db_uri_;
  std::unique_ptr<ServerProcess> launch(const std::vector<std::string>& args, int i);
  std::vector<std::string> node_args(int i) const;

  NodeFlags flags_;
  std::map<int, NodeFlags> node_flags_;
  std::vector<std::unique_ptr<ServerProcess>> nodes_;
  std::vector<Clock::time_point> started_;
  std::vector<std::vector<std::string>> node_args_;
  std::unique_ptr<NginxProxy> lb_;
  std::set<int> down_;
  int clients_ = 0;
};

// ---- helpers over a client's inbox ------------------------------------------------------

// The first frame a client received (taken or not) that matches; nullopt if none.
std::optional<boost::json::object> find_received(const WsClient& c, const Pred& pred);
// The message events of `room` a client received, in arrival order.
std::vector<boost::json::object> messages_received(const WsClient& c, std::string_view room);
// id -> seq of every ack a client received.
std::map<std::string, std::int64_t> acks_received(const WsClient& c);
// Waits until the client holds message events for every id in `ids`; throws naming the
// missing ones.
void expect_messages(WsClient& c, const std::vector<std::string>& ids, std::chrono::milliseconds timeout);
// Sends probe messages from `sender` in `room` until one reaches every receiver (each probe
// waits up to 500 ms); false if none did within `timeout`. For when a node is still setting
// up its subscription (after a Redis restart, or on its first member of a room).
bool await_delivery(WsClient& sender, const std::vector<WsClient*>& receivers, std::string_view room,
                    std::chrono::milliseconds timeout = std::chrono::seconds(20));
// Waits (up to `timeout` in all) until the client holds message events for `ids`; returns
// those still missing at the deadline.
std::vector<std::string> missing_messages(WsClient& c, const std::vector<std::string>& ids,
                                          std::chrono::milliseconds timeout);
// Waits for the ack of every id; returns id -> seq. Throws on an error reply or a missing ack.
std::map<std::string, std::int64_t> expect_acks(WsClient& c, const std::vector<std::string>& ids,
                                                std::chrono::milliseconds timeout);

}  // namespace parley::test::cluster

namespace parley::test::cluster {

// A client-side outbox like the SDK's: every message gets its id before it is sent, stays
// "unacked" until an ack for it arrives on any connection, and is resent with the same id
// after a reconnect.
struct Outbox {
  std::string room;
  std::vector<std::string> ids;                 // in send order
  std::map<std::string, std::int64_t> acked;    // id -> seq

  // Posts `n` messages (pipelined, no waiting) on `c`.
  void post(WsClient& c, int n, std::string_view label);
  // Merges the acks `c` received.
  void collect(const WsClient& c);
  std::vector<std::string> unacked() const;
};

// Checks a room's full stored history (sync from 0 on `c`): seqs 1..n without a gap, every id
// once, every acked id at its acked seq, and exactly the messages of `outboxes`.
void expect_history_is_exactly(WsClient& c, std::string_view room, const std::vector<const Outbox*>& outboxes);

// Checks the message events a client got live: strictly increasing seqs and no id twice.
// With `gap_free`, also seq n+1 after seq n (from `first_seq`).
void expect_live_order(const WsClient& c, std::string_view room, bool gap_free, std::int64_t first_seq = 1);

}  // namespace parley::test::cluster
