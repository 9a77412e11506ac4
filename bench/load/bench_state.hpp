#pragma once
// parley-bench's shared state: the configuration, the run-wide counters (Bench), the
// per-thread statistics (Stats) and the worker threads that own the connections.
#include <CLI/CLI.hpp>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

#include <netinet/in.h>

#include <atomic>
#include <bit>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <future>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace json = boost::json;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

#include "bench_proto.hpp"
#include "bench_util.hpp"

inline int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

// ---------------------------------------------------------------- configuration
struct Config {
  std::vector<std::string> target_urls{"ws://127.0.0.1:8080/ws"};
  std::vector<Target> targets;  // connection i goes to targets[i % size]
  std::string protocol_name = "parley";
  Protocol protocol = Protocol::parley;
  std::string secret;
  std::string scenario = "room200";
  int clients = -1, room_size = -1, senders_per_room = -1;
  double rate = -1, rate_multiplier = 1;
  int text_bytes = 64;
  bool deflate = false;  // offer permessage-deflate (parley: compressed frames of ≥ deflate_min_bytes)
  double duration = 10, drain_timeout = 10, connect_timeout = 60;
  int threads = 1, connect_concurrency = 200;
  double history_rate = 0;  // history requests/s per client (scenario history)
  std::vector<int> server_pids;  // RSS is summed over these
  std::string json_path;
  int source_addrs = 2000;
};

// ---------------------------------------------------------------- shared state
struct Worker;
struct Client;

struct Bench {
  Config cfg;
  std::string runid;
  int nrooms = 0;
  std::vector<std::string> room_names;
  std::vector<std::shared_ptr<Client>> clients;
  std::vector<std::unique_ptr<Worker>> workers;
  std::atomic<int> connected{0}, connect_failed{0}, joined{0};
  std::atomic<bool> sending{false}, stop_sending{false};
  std::atomic<int64_t> inflight{0};
  std::atomic<uint64_t> expected_deliveries{0};
  std::vector<int> room_members;  // joined clients per room, fixed before sending starts
  std::atomic<int64_t> first_connect_ns{0}, last_connect_ns{0};
};

struct Stats {
  Histogram latency, ack_latency, history_latency;
  uint64_t deliveries = 0, duplicates = 0, sent = 0, acked = 0, rejected = 0, out_of_order = 0;
  uint64_t history_sent = 0, history_replies = 0, closed_during_run = 0, proto_errors = 0;
  std::map<std::string, uint64_t> errors;
  std::vector<std::pair<int, uint64_t>> acked_seqs;  // (room, seq)
};

struct Worker {
  net::io_context ioc{1};
  std::thread thread;
  Stats st;
  std::atomic<uint64_t> deliveries{0}, frames{0};
  std::vector<Client*> mine;
  size_t next_connect = 0;
  int connecting = 0;
  int limit = 1;
  void pump();
};

