// parley-bench: an event-driven WebSocket load generator for parleyd, and for the Node peers
// in bench/peers (--protocol ws-redis | socketio), so that all three run the same scenarios.
//
// One io_context per worker thread (default 1), every connection owned by one worker, so the
// hot path takes no locks. Frames are built from pre-encoded templates; incoming `message`
// events are scanned by hand (seq, send timestamp) instead of being parsed as JSON.
// Latency = receipt time - the steady_clock timestamp the sender embedded in the text.
#include "bench_client.hpp"
#include "bench_state.hpp"

// ---------------------------------------------------------------- helpers
static double ms(uint64_t ns) { return double(ns) / 1e6; }

template <class Pred>
static bool wait_until(Pred p, double timeout_s, double poll_ms = 5) {
  auto end = Clock::now() + std::chrono::duration<double>(timeout_s);
  while (!p()) {
    if (Clock::now() >= end) return false;
    std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(poll_ms));
  }
  return true;
}

static const char* kHelpFooter = R"(
Scenarios (--scenario; every default below can be overridden by the flags above):
  room200    200 clients in one room, every client sends 1 msg/s x --rate-multiplier
             (200 members at 1 msg/s = 40,000 deliveries/s).
  broadcast  one room of --clients (default 1000) members, 4 of them broadcast at --rate
             (default 5 msg/s each).
  dm         --clients (default 2000) clients in two-member rooms, each sends 1 msg/s.
  idle       --clients (default 10000) connections held for --duration, no traffic; with
             --server-pid, reports the server's VmRSS growth per connection.
  history    like room200 with 50 clients, each also asking a history or sync page of 50
             at --history-rate (default 2/s); reports the page latency.
  persist    --clients (default 50) clients, each in its own room, sending at --rate
             (default 200 msg/s each): acked messages/s (store throughput).

Protocols (--protocol): parley (default); ws-redis and socketio speak the bench protocol of
bench/peers (welcome, join -> joined, message -> message + ack), socketio inside Engine.IO v4 /
Socket.IO v5 packets (upgrade to /socket.io/?EIO=4&transport=websocket&token=..., "40", events
42["name",{...}], server pings "2" answered "3"). The peers have no sync/history: the history
scenario is skipped for them (a message, exit status 0, "skipped": true in --json).

Several --target values (e.g. the nodes of a cluster, or the processes of a peer behind one
Redis) spread the connections round-robin: connection i goes to target i mod N.

Rate limits: parleyd allows 10 msg/s per user with a burst of 20 by default. Every bench
client is its own user, so any per-sender --rate above 10 (room200 with --rate-multiplier
> 10, persist) needs the server started with e.g. --rate-per-sec 100000 --rate-burst 100000;
otherwise rejected messages are reported as `server error: rate_limited`.
Targets must be loopback addresses (127.0.0.0/8, ::1). Source addresses are spread over
127.0.x.y (--source-addrs distinct ones), so the server must listen on 127.0.0.1 or 0.0.0.0.
Lost = acked messages missing at a member connection; duplicates = same seq twice at one
connection; expected deliveries = acked x members (the sender's own connection included).
)";

int main(int argc, char** argv) {
  Bench b;
  Config& c = b.cfg;
  CLI::App app{"parley-bench: load generator for parleyd (WebSocket, loopback only)"};
  app.footer(kHelpFooter);
  app.add_option("--target", c.target_urls,
                 "ws://127.0.0.1:PORT/ws; repeat it (or give several) to spread connections round-robin")
      ->capture_default_str();
  app.add_option("--protocol", c.protocol_name, "parley | ws-redis | socketio (the peers in bench/peers)")
      ->capture_default_str();
  app.add_option("--jwt-secret", c.secret, "parleyd's HS256 secret (tokens are minted locally)")->required();
  app.add_option("--scenario", c.scenario, "room200 | broadcast | dm | idle | history | persist")
      ->capture_default_str();
  app.add_option("--clients", c.clients, "number of connections (scenario default)");
  app.add_option("--room-size", c.room_size, "members per room (scenario default)");
  app.add_option("--senders-per-room", c.senders_per_room, "0 = every member sends (scenario default)");
  app.add_option("--rate", c.rate, "messages/s per sender (scenario default)");
  app.add_option("--rate-multiplier", c.rate_multiplier, "multiplies --rate")->capture_default_str();
  app.add_option("--text-bytes", c.text_bytes, "message text size (timestamp + padding of words)")->capture_default_str();
  app.add_flag("--deflate", c.deflate, "offer permessage-deflate in the upgrade (the server decides)");
  app.add_option("--duration", c.duration, "seconds of sending (or holding, idle)")->capture_default_str();
  app.add_option("--drain-timeout", c.drain_timeout, "seconds to wait for outstanding acks/deliveries")
      ->capture_default_str();
  app.add_option("--connect-timeout", c.connect_timeout, "seconds for the connect+join phase")
      ->capture_default_str();
  app.add_option("--threads", c.threads, "worker threads (one io_context each)")->capture_default_str();
  app.add_option("--connect-concurrency", c.connect_concurrency, "connects in flight (total)")
      ->capture_default_str();
  app.add_option("--history-rate", c.history_rate, "history/sync requests/s per client");
  app.add_option("--server-pid", c.server_pids,
                 "the server's pid(s), to report its RSS per connection (summed over several)");
  app.add_option("--source-addrs", c.source_addrs, "distinct 127.0.x.y source addresses")->capture_default_str();
  app.add_option("--json", c.json_path, "write the results as JSON here");
  CLI11_PARSE(app, argc, argv);

  // ---- protocol, targets
  if (auto p = parse_protocol(c.protocol_name)) {
    c.protocol = *p;
  } else {
    std::cerr << "unknown protocol " << c.protocol_name << " (parley, ws-redis or socketio)\n";
    return 2;
  }
  for (const std::string& url : c.target_urls) {
    Target tg;
    tg.url = url;
    tg.path = "/ws";
    std::string t = url;
    if (t.rfind("ws://", 0) == 0) t = t.substr(5);
    else if (t.find("://") != std::string::npos) {
      std::cerr << "only ws:// targets are supported\n";
      return 2;
    }
    auto slash = t.find('/');
    if (slash != std::string::npos) tg.path = t.substr(slash), t = t.substr(0, slash);
    auto colon = t.rfind(':');
    if (colon == std::string::npos) {
      std::cerr << "target needs a port: ws://127.0.0.1:PORT/ws\n";
      return 2;
    }
    tg.host = t.substr(0, colon);
    tg.port = uint16_t(std::stoi(t.substr(colon + 1)));
    if (tg.host == "localhost") tg.host = "127.0.0.1";
    if (!tg.host.empty() && tg.host.front() == '[') tg.host = tg.host.substr(1, tg.host.size() - 2);
    if (!is_loopback(tg.host)) {
      std::cerr << "refusing non-loopback target " << tg.host << " (parley-bench is for loopback only)\n";
      return 2;
    }
    c.targets.push_back(std::move(tg));
  }
  if (c.targets.empty()) {
    std::cerr << "no --target\n";
    return 2;
  }
  if (std::string why = unsupported_reason(c.protocol, c.scenario); !why.empty()) {
    std::printf("parley-bench %s --protocol %s: skipped: %s\n", c.scenario.c_str(), protocol_name(c.protocol),
                why.c_str());
    if (!c.json_path.empty()) {
      std::ofstream f(c.json_path);
      f << json::serialize(json::object{{"scenario", c.scenario},
                                        {"protocol", protocol_name(c.protocol)},
                                        {"skipped", true},
                                        {"reason", why}})
        << "\n";
    }
    return 0;
  }

  // ---- scenario presets
  auto dflt = [](auto& v, auto d) {
    if (v < 0) v = d;
  };
  const std::string& s = c.scenario;
  if (s == "room200") {
    dflt(c.clients, 200), dflt(c.room_size, c.clients), dflt(c.senders_per_room, 0), dflt(c.rate, 1.0);
  } else if (s == "broadcast") {
    dflt(c.clients, 1000), dflt(c.room_size, c.clients), dflt(c.senders_per_room, 4), dflt(c.rate, 5.0);
  } else if (s == "dm") {
    dflt(c.clients, 2000), dflt(c.room_size, 2), dflt(c.senders_per_room, 0), dflt(c.rate, 1.0);
  } else if (s == "idle") {
    dflt(c.clients, 10000), dflt(c.room_size, 0), dflt(c.senders_per_room, 0), dflt(c.rate, 0.0);
  } else if (s == "history") {
    dflt(c.clients, 50), dflt(c.room_size, c.clients), dflt(c.senders_per_room, 0), dflt(c.rate, 1.0);
    if (c.history_rate <= 0) c.history_rate = 2;
  } else if (s == "persist") {
    dflt(c.clients, 50), dflt(c.room_size, 1), dflt(c.senders_per_room, 0), dflt(c.rate, 200.0);
  } else {
    std::cerr << "unknown scenario " << s << "\n";
    return 2;
  }
  double rate = c.rate * c.rate_multiplier;
  if (c.threads < 1) c.threads = 1;
  if (rate > 10 && c.protocol == Protocol::parley)
    std::cerr << "note: " << rate << " msg/s per sender is above parleyd's default limit (10/s, burst 20); "
              << "start parleyd with --rate-per-sec/--rate-burst raised\n";

  // ---- set up
  std::random_device rd;
  std::mt19937_64 rng(rd());
  {
    char id[16];
    std::snprintf(id, sizeof id, "%08x", unsigned(rng()));
    b.runid = id;
  }
  if (c.room_size > 0) {
    b.nrooms = (c.clients + c.room_size - 1) / c.room_size;
    for (int r = 0; r < b.nrooms; ++r) b.room_names.push_back("bench-" + b.runid + "-" + std::to_string(r));
  }
  b.room_members.assign(size_t(b.nrooms), 0);
  for (int i = 0; i < c.threads; ++i) {
    b.workers.push_back(std::make_unique<Worker>());
    b.workers.back()->limit = std::max(1, c.connect_concurrency / c.threads);
  }
  for (int i = 0; i < c.clients; ++i) {
    Worker& w = *b.workers[size_t(i % c.threads)];
    auto cl = std::make_shared<Client>(b, w, i);
    cl->user = "b" + b.runid + "_" + std::to_string(i);
    cl->token = mint_jwt(c.secret, cl->user, 3600 + int64_t(c.duration) * 2);
    if (c.room_size > 0) {
      cl->room = i / c.room_size;
      int pos = i % c.room_size;
      cl->sender = c.senders_per_room == 0 || pos < c.senders_per_room;
    }
    w.mine.push_back(cl.get());
    b.clients.push_back(cl);
  }
  auto server_rss = [&]() -> long {
    if (c.server_pids.empty()) return -1;
    long sum = 0;
    for (int pid : c.server_pids) {
      long r = read_rss_kib(pid);
      if (r < 0) return -1;
      sum += r;
    }
    return sum;
  };
  long rss_before = server_rss();
  auto server_cpu = [&]() -> double {
    double sum = 0;
    for (int pid : c.server_pids) sum += std::max(0.0, read_cpu_s(pid));
    return sum;
  };

  // ---- connect + join
  std::vector<std::unique_ptr<net::executor_work_guard<net::io_context::executor_type>>> guards;
  int64_t t_connect0 = now_ns();
  for (auto& w : b.workers) {
    guards.push_back(std::make_unique<net::executor_work_guard<net::io_context::executor_type>>(w->ioc.get_executor()));
    net::post(w->ioc, [wp = w.get()] { wp->pump(); });
    w->thread = std::thread([wp = w.get()] { wp->ioc.run(); });
  }
  bool all_conn = wait_until([&] { return b.connected + b.connect_failed >= c.clients; }, c.connect_timeout);
  int64_t t_connected = now_ns();
  double connect_s = double((b.last_connect_ns ? b.last_connect_ns.load() : t_connected) - t_connect0) / 1e9;
  int expect_join = (c.room_size > 0) ? b.connected.load() : 0;
  bool all_joined = wait_until([&] { return b.joined >= expect_join; }, c.connect_timeout);
  if (!all_conn || !all_joined)
    std::cerr << "warning: connect/join phase timed out (" << b.connected << " connected, " << b.joined
              << " joined of " << c.clients << ")\n";
  std::cerr << "connected " << b.connected << "/" << c.clients << " in " << connect_s << " s, joined " << b.joined
            << "\n";
  // Room membership is final now (joined clients only); read from the workers' threads.
  for (auto& w : b.workers) {
    std::promise<void> done;
    net::post(w->ioc, [&] {
      for (Client* cl : w->mine)
        if (cl->is_joined && cl->open) b.room_members[size_t(cl->room)]++;
      done.set_value();
    });
    done.get_future().wait();
  }
  // Let the join burst (N^2 presence events) drain before measuring: wait until no frame
  // arrived for 300 ms.
  int64_t t_settle0 = now_ns();
  {
    auto frames = [&] {
      uint64_t n = 0;
      for (auto& w : b.workers) n += w->frames.load(std::memory_order_relaxed);
      return n;
    };
    uint64_t last = frames();
    wait_until([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      uint64_t n = frames();
      bool quiet = n == last;
      last = n;
      return quiet;
    }, c.connect_timeout, 0);
  }
  std::cerr << "join burst settled in " << double(now_ns() - t_settle0) / 1e9 << " s\n";
  long rss_conn = server_rss();

  // ---- send phase
  b.sending = true;
  double cpu_bench0 = read_cpu_s(0), cpu_server0 = server_cpu();
  int64_t t_send0 = now_ns();
  for (auto& w : b.workers) {
    uint64_t seed = rng();
    net::post(w->ioc, [&b, wp = w.get(), seed, rate] {
      std::mt19937_64 r(seed);
      for (Client* cl : wp->mine) {
        if (cl->is_joined) cl->start_sending(rate, r);
        if (cl->is_joined && b.cfg.history_rate > 0) cl->start_history(b.cfg.history_rate, r);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(c.duration));
  b.stop_sending = true;
  int64_t t_send1 = now_ns();
  double cpu_bench1 = read_cpu_s(0), cpu_server1 = server_cpu();
  long rss_end = server_rss();
  auto total_deliveries = [&] {
    uint64_t n = 0;
    for (auto& w : b.workers) n += w->deliveries.load(std::memory_order_relaxed);
    return n;
  };
  bool drained = wait_until(
      [&] { return b.inflight.load() <= 0 && total_deliveries() >= b.expected_deliveries.load(); }, c.drain_timeout);
  int64_t t_drained = now_ns();
  b.sending = false;

  // ---- stop
  for (auto& w : b.workers) {
    net::post(w->ioc, [wp = w.get()] {
      for (Client* cl : wp->mine) cl->close_now();
      wp->ioc.stop();
    });
  }
  for (auto& w : b.workers) w->thread.join();

  // ---- tally
  Stats t;
  for (auto& w : b.workers) {
    Stats& s2 = w->st;
    t.latency.merge(s2.latency);
    t.ack_latency.merge(s2.ack_latency);
    t.history_latency.merge(s2.history_latency);
    t.deliveries += s2.deliveries, t.duplicates += s2.duplicates, t.sent += s2.sent, t.acked += s2.acked;
    t.rejected += s2.rejected, t.out_of_order += s2.out_of_order, t.history_sent += s2.history_sent;
    t.history_replies += s2.history_replies, t.closed_during_run += s2.closed_during_run;
    t.proto_errors += s2.proto_errors;
    for (auto& [k, v] : s2.errors) t.errors[k] += v;
    t.acked_seqs.insert(t.acked_seqs.end(), s2.acked_seqs.begin(), s2.acked_seqs.end());
  }
  std::vector<std::vector<uint64_t>> acked_by_room(size_t(b.nrooms));
  for (auto& [r, seq] : t.acked_seqs) acked_by_room[size_t(r)].push_back(seq);
  uint64_t lost = 0, expected = 0;
  for (auto& cl : b.clients) {
    if (!cl->is_joined || cl->room < 0) continue;
    for (uint64_t seq : acked_by_room[size_t(cl->room)]) {
      ++expected;
      if (seq >= cl->got.size() || !cl->got[seq]) ++lost;
    }
  }
  uint64_t errors_total = 0;
  for (auto& [k, v] : t.errors) errors_total += v;
  double send_s = double(t_send1 - t_send0) / 1e9;
  double drain_s = double(t_drained - t_send1) / 1e9;
  // CPU used during the send phase, in % of one core (so 200 = two cores busy).
  double bench_cpu_pct = 100 * (cpu_bench1 - cpu_bench0) / send_s;
  double server_cpu_pct = c.server_pids.empty() ? -1 : 100 * (cpu_server1 - cpu_server0) / send_s;
  double members_avg = b.nrooms ? double(b.joined) / b.nrooms : 0;

  // ---- human table
  auto row = [](const std::string& k, const std::string& v) {
    std::printf("  %-28s %s\n", k.c_str(), v.c_str());
  };
  auto fmt = [](const char* f, auto... a) {
    char out[128];
    std::snprintf(out, sizeof out, f, a...);
    return std::string(out);
  };
  std::string where;
  for (auto& tg : c.targets) where += (where.empty() ? "" : ", ") + tg.host + ":" + std::to_string(tg.port);
  std::printf("parley-bench %s (%s) -> %s (run %s)\n", c.scenario.c_str(), protocol_name(c.protocol), where.c_str(),
              b.runid.c_str());
  row("clients (connected/asked)", fmt("%d / %d", b.connected.load(), c.clients));
  row("rooms x members", fmt("%d x %.1f", b.nrooms, members_avg));
  row("senders rate", fmt("%.2f msg/s each", rate));
  row("connect rate", fmt("%.0f conn/s (%.2f s)", connect_s > 0 ? b.connected / connect_s : 0.0, connect_s));
  row("send phase", fmt("%.2f s (+%.2f s drain%s)", send_s, drain_s,
                        drained ? "" : ", TIMED OUT"));
  row("messages sent / acked", fmt("%llu / %llu", (unsigned long long)t.sent, (unsigned long long)t.acked));
  row("acked msg/s", fmt("%.0f", t.acked / send_s));
  row("deliveries", fmt("%llu (expected %llu)", (unsigned long long)t.deliveries, (unsigned long long)expected));
  row("deliveries/s", fmt("%.0f", t.deliveries / send_s));
  row("latency p50/p95/p99 (ms)",
      fmt("%.3f / %.3f / %.3f", ms(t.latency.percentile(50)), ms(t.latency.percentile(95)),
          ms(t.latency.percentile(99))));
  row("latency p99.9 / max (ms)", fmt("%.3f / %.3f", ms(t.latency.percentile(99.9)), ms(t.latency.max)));
  row("ack latency p50/p99 (ms)", fmt("%.3f / %.3f", ms(t.ack_latency.percentile(50)), ms(t.ack_latency.percentile(99))));
  if (t.history_sent)
    row("history pages p50/p99 (ms)", fmt("%.3f / %.3f (%llu replies)", ms(t.history_latency.percentile(50)),
                                          ms(t.history_latency.percentile(99)), (unsigned long long)t.history_replies));
  row("lost / duplicates", fmt("%llu / %llu", (unsigned long long)lost, (unsigned long long)t.duplicates));
  row("errors", fmt("%llu (rejected msgs %llu, closed mid-run %llu)", (unsigned long long)errors_total,
                    (unsigned long long)t.rejected, (unsigned long long)t.closed_during_run));
  for (auto& [k, v] : t.errors) row("  " + k, std::to_string(v));
  row("CPU while sending", c.server_pids.empty() ? fmt("bench %.0f %% of a core", bench_cpu_pct)
                                                  : fmt("bench %.0f %%, server %.0f %% of a core", bench_cpu_pct,
                                                        server_cpu_pct));
  double rss_per_conn = -1;
  if (!c.server_pids.empty()) {
    if (b.connected > 0 && rss_before >= 0 && rss_conn >= 0)
      rss_per_conn = double(rss_conn - rss_before) / b.connected;
    row("server RSS before/conn/end", fmt("%ld / %ld / %ld KiB", rss_before, rss_conn, rss_end));
    row("server RSS per connection", fmt("%.2f KiB", rss_per_conn));
  }

  // ---- JSON
  if (!c.json_path.empty()) {
    auto hist = [](const Histogram& h) {
      return json::object{{"count", h.total},
                          {"p50_ms", ms(h.percentile(50))},
                          {"p95_ms", ms(h.percentile(95))},
                          {"p99_ms", ms(h.percentile(99))},
                          {"p999_ms", ms(h.percentile(99.9))},
                          {"max_ms", ms(h.max)},
                          {"mean_ms", h.total ? double(h.sum / h.total) / 1e6 : 0.0}};
    };
    json::object errs;
    for (auto& [k, v] : t.errors) errs[k] = v;
    json::object out{
        {"scenario", c.scenario},
        {"protocol", protocol_name(c.protocol)},
        {"targets", json::value_from(c.target_urls)},
        {"run", b.runid},
        {"clients", c.clients},
        {"connected", b.connected.load()},
        {"connect_failed", b.connect_failed.load()},
        {"joined", b.joined.load()},
        {"rooms", b.nrooms},
        {"room_size", c.room_size},
        {"rate_per_sender", rate},
        {"text_bytes", c.text_bytes},
        {"deflate", c.deflate},
        {"duration_s", send_s},
        {"drain_s", drain_s},
        {"bench_cpu_pct", bench_cpu_pct},
        {"server_cpu_pct", server_cpu_pct},
        {"connect_s", connect_s},
        {"connect_rate", connect_s > 0 ? b.connected / connect_s : 0.0},
        {"sent", t.sent},
        {"acked", t.acked},
        {"acked_per_s", t.acked / send_s},
        {"rejected", t.rejected},
        {"deliveries", t.deliveries},
        {"expected_deliveries", expected},
        {"deliveries_per_s", t.deliveries / send_s},
        {"lost", lost},
        {"duplicates", t.duplicates},
        {"out_of_order", t.out_of_order},
        {"errors", errors_total},
        {"error_counts", errs},
        {"closed_during_run", t.closed_during_run},
        {"drained", drained},
        {"latency", hist(t.latency)},
        {"ack_latency", hist(t.ack_latency)},
        {"history_latency", hist(t.history_latency)},
        {"history_replies", t.history_replies},
        {"server_rss_kib_before", rss_before},
        {"server_rss_kib_connected", rss_conn},
        {"server_rss_kib_end", rss_end},
        {"server_rss_kib_per_conn", rss_per_conn},
    };
    std::ofstream f(c.json_path);
    f << json::serialize(out) << "\n";
  }
  bool ok = lost == 0 && t.duplicates == 0;
  // Exit without running destructors: the stopped io_contexts still own handlers that hold
  // the clients, whose sockets must not outlive their io_context.
  std::fflush(stdout);
  std::cout.flush();
  std::cerr.flush();
  std::_Exit(ok ? 0 : 1);
}
