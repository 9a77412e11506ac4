#pragma once
// One benchmark connection: connect from a spread source address, upgrade with a minted
// token, join, send on schedule, and account every frame received into its worker's Stats.
#include "bench_state.hpp"

// ---------------------------------------------------------------- one connection
struct Client : std::enable_shared_from_this<Client> {
  Bench& b;
  Worker& w;
  int idx;
  int room = -1;  // -1: no room (idle)
  bool sender = false;
  std::string user, token;
  websocket::stream<beast::tcp_stream> ws;
  beast::flat_buffer buf;
  std::deque<std::string> outq;
  bool writing = false, open = false, ready = false, is_joined = false, failed = false;
  net::steady_timer timer, htimer;
  Clock::time_point next_send;
  uint64_t next_id = 1;
  MessageTemplate msg;
  std::unordered_map<uint64_t, int64_t> pending;      // id counter -> send ns
  std::unordered_map<int64_t, int64_t> pending_hist;  // ref -> send ns
  int64_t next_ref = 100;
  std::vector<bool> got;
  uint64_t last_seq = 0;

  Client(Bench& b, Worker& w, int idx)
      : b(b), w(w), idx(idx), ws(w.ioc), timer(w.ioc), htimer(w.ioc) {}

  void fail(const std::string& what) {
    if (failed) return;
    failed = true;
    w.st.errors[what]++;
    if (!ready) {
      b.connect_failed++;
      w.connecting--;
      w.pump();
    } else if (b.sending) {
      w.st.closed_during_run++;
    }
    open = false;
    // Messages of ours still waiting for an ack will never get one.
    b.inflight -= int64_t(pending.size());
    pending.clear();
    timer.cancel();
    htimer.cancel();
  }

  void start() {
    auto self = shared_from_this();
    beast::error_code ec;
    auto& sock = beast::get_lowest_layer(ws).socket();
    sock.open(tcp::v4(), ec);
    if (ec) return fail("socket: " + ec.message());
    // Spread source addresses over 127.0.0.0/8 so ephemeral ports do not run out.
    int h = idx % b.cfg.source_addrs;
    std::string src = "127.0." + std::to_string(1 + (h / 250) % 250) + "." + std::to_string(1 + h % 250);
#ifdef IP_BIND_ADDRESS_NO_PORT
    sock.set_option(net::detail::socket_option::boolean<IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT>(true), ec);
#endif
    sock.bind(tcp::endpoint(net::ip::make_address_v4(src), 0), ec);
    if (ec) return fail("bind: " + ec.message());
    sock.set_option(tcp::no_delay(true), ec);
    beast::get_lowest_layer(ws).expires_after(std::chrono::seconds(30));
    const Target& tg = b.cfg.targets[size_t(idx) % b.cfg.targets.size()];
    tcp::endpoint ep(net::ip::make_address(tg.host), tg.port);
    beast::get_lowest_layer(ws).async_connect(ep, [this, self, &tg](beast::error_code ec) {
      if (ec) return fail("connect: " + ec.message());
      ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
      ws.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
        req.set(beast::http::field::user_agent, "parley-bench");
      }));
      ws.auto_fragment(false);
      if (b.cfg.deflate) {
        websocket::permessage_deflate pmd;
        pmd.client_enable = true;
        pmd.compLevel = 3;
        ws.set_option(pmd);
      }
      std::string host = tg.host + ":" + std::to_string(tg.port);
      ws.async_handshake(host, upgrade_target(b.cfg.protocol, tg, token), [this, self](beast::error_code ec) {
        beast::get_lowest_layer(ws).expires_never();
        if (ec) return fail("handshake: " + ec.message());
        open = true;
        read();
        // Socket.IO authenticates at its CONNECT packet, after the Engine.IO open.
        if (b.cfg.protocol != Protocol::socketio) session_ready();
      });
    });
  }

  // Authenticated: count the connection, let the next one start, join the room.
  void session_ready() {
    if (ready) return;
    ready = true;
    int64_t t = now_ns();
    int64_t z = 0;
    b.first_connect_ns.compare_exchange_strong(z, t);
    b.last_connect_ns = t;
    b.connected++;
    w.connecting--;
    w.pump();
    if (room >= 0) send(join_frame(b.cfg.protocol, b.room_names[room]));
  }

  void send(std::string frame) {
    outq.push_back(std::move(frame));
    if (!writing) write_next();
  }
  void write_next() {
    if (outq.empty() || !open) {
      writing = false;
      return;
    }
    writing = true;
    ws.async_write(net::buffer(outq.front()), [this, self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return fail("write: " + ec.message());
      outq.pop_front();
      write_next();
    });
  }

  void read() {
    ws.async_read(buf, [this, self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) {
        if (failed) return;
        if (ec == websocket::error::closed)
          return fail("closed by server: " + std::to_string(ws.reason().code));
        return fail("read: " + ec.message());
      }
      auto d = buf.cdata();
      on_frame(std::string_view(static_cast<const char*>(d.data()), d.size()));
      buf.consume(buf.size());
      read();
    });
  }

  static bool scan_uint(std::string_view s, std::string_view key, uint64_t& out) {
    auto p = s.find(key);
    if (p == std::string_view::npos) return false;
    p += key.size();
    uint64_t v = 0;
    bool any = false;
    while (p < s.size() && s[p] >= '0' && s[p] <= '9') v = v * 10 + uint64_t(s[p++] - '0'), any = true;
    out = v;
    return any;
  }

  void on_frame(std::string_view frame) {
    int64_t t = now_ns();
    w.frames.fetch_add(1, std::memory_order_relaxed);
    auto [kind, f] = unwrap(b.cfg.protocol, frame);
    switch (kind) {
      case Packet::event: break;
      case Packet::eio_open: return send("40");
      case Packet::sio_connected: return session_ready();
      case Packet::eio_ping: return send("3");
      case Packet::sio_refused: return fail("socket.io connect refused: " + std::string(f));
      case Packet::closed: return fail("closed by server (socket.io)");
      case Packet::ignored: return;
    }
    static constexpr std::string_view kMsg = R"({"type":"message",)";
    if (f.substr(0, kMsg.size()) == kMsg) {
      uint64_t seq = 0, sent_ns = 0;
      if (!scan_uint(f, R"("seq":)", seq) || !scan_uint(f, R"("text":")", sent_ns)) {
        w.st.proto_errors++;
        return;
      }
      if (seq >= got.size()) got.resize(std::max<size_t>(seq + 1, got.size() * 2), false);
      if (got[seq]) {
        w.st.duplicates++;
        return;
      }
      got[seq] = true;
      if (seq < last_seq) w.st.out_of_order++;
      last_seq = std::max(last_seq, seq);
      w.st.deliveries++;
      w.deliveries.fetch_add(1, std::memory_order_relaxed);
      w.st.latency.record(t - int64_t(sent_ns));
      return;
    }
    on_control(f, t);
  }

  // Everything but `message`: acks, joined, history pages, errors (parsed as JSON).
  void on_control(std::string_view f, int64_t t) {
    // Presence, typing, welcome…: counted as frames, not parsed (the join burst of a big
    // room is N^2 of them).
    static constexpr std::string_view kType = R"({"type":")";
    if (f.substr(0, kType.size()) == kType) {
      std::string_view ty = f.substr(kType.size(), 8);
      if (!ty.starts_with("ack\"") && !ty.starts_with("joined\"") && !ty.starts_with("history\"") &&
          !ty.starts_with("error\""))
        return;
    }
    boost::system::error_code ec;
    json::value v = json::parse(f, ec);
    if (ec || !v.is_object()) {
      w.st.proto_errors++;
      return;
    }
    auto& o = v.as_object();
    auto type = o.if_contains("type");
    if (!type || !type->is_string()) return;
    std::string_view ty = type->as_string();
    if (ty == "ack") {
      uint64_t n = id_counter(o);
      auto it = pending.find(n);
      if (it == pending.end()) return;
      w.st.ack_latency.record(t - it->second);
      pending.erase(it);
      w.st.acked++;
      uint64_t seq = o.at("seq").to_number<uint64_t>();
      w.st.acked_seqs.emplace_back(room, seq);
      b.expected_deliveries.fetch_add(uint64_t(b.room_members[room]), std::memory_order_relaxed);
      b.inflight--;
    } else if (ty == "joined") {
      // parley: our join carries ref 1; the peers echo no ref, but the room.
      bool ours = false;
      if (b.cfg.protocol == Protocol::parley) {
        auto ref = o.if_contains("ref");
        ours = ref && ref->is_int64() && ref->as_int64() == 1;
      } else if (auto r = o.if_contains("room"); r && r->is_string() && room >= 0) {
        ours = r->as_string() == b.room_names[room];
      }
      if (ours && !is_joined) {
        is_joined = true;
        b.joined++;
      }
    } else if (ty == "history") {
      auto ref = o.if_contains("ref");
      if (ref && ref->is_int64()) {
        auto it = pending_hist.find(ref->as_int64());
        if (it != pending_hist.end()) {
          w.st.history_latency.record(t - it->second);
          pending_hist.erase(it);
          w.st.history_replies++;
        }
      }
    } else if (ty == "error") {
      std::string code = "server error: ";
      if (auto c = o.if_contains("code"); c && c->is_string()) code += std::string(c->as_string());
      w.st.errors[code]++;
      if (o.if_contains("id")) {
        uint64_t n = id_counter(o);
        if (pending.erase(n)) {
          w.st.rejected++;
          b.inflight--;
        }
      }
    }
  }

  uint64_t id_counter(const json::object& o) {
    auto id = o.if_contains("id");
    if (!id || !id->is_string()) return 0;
    std::string_view s = id->as_string();
    auto dash = s.rfind('-');
    return dash == std::string_view::npos ? 0 : std::strtoull(std::string(s.substr(dash + 1)).c_str(), nullptr, 10);
  }

  // ---- sending (open loop: the schedule does not wait for acks)
  void start_sending(double rate, std::mt19937_64& rng) {
    if (!sender || !open || rate <= 0) return;
    auto period = std::chrono::nanoseconds(int64_t(1e9 / rate));
    std::uniform_int_distribution<int64_t> phase(0, period.count());
    next_send = Clock::now() + std::chrono::nanoseconds(phase(rng));
    msg = message_template(b.cfg.protocol, b.room_names[room], user);
    tick(period);
  }
  void tick(std::chrono::nanoseconds period) {
    timer.expires_at(next_send);
    timer.async_wait([this, self = shared_from_this(), period](beast::error_code ec) {
      if (ec || !open || b.stop_sending) return;
      send_message();
      next_send += period;
      tick(period);
    });
  }
  // Pads with words picked pseudo-randomly (seeded by the message number): text that
  // compresses like chat text, not like a run of one letter.
  static void append_words(std::string& f, int bytes, uint64_t seed) {
    static constexpr const char* kWords[32] = {
        "the", "meeting", "is", "moved", "to", "three", "tomorrow", "and", "please", "check",
        "deploy", "logs", "before", "lunch", "we", "shipped", "a", "fix", "for", "login",
        "can", "you", "review", "my", "change", "thanks", "great", "idea", "room", "later",
        "coffee", "ok"};
    uint64_t x = seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull;
    while (bytes > 0) {
      x ^= x >> 12;
      x ^= x << 25;
      x ^= x >> 27;
      std::string_view w = kWords[(x * 0x2545F4914F6CDD1Dull) >> 59];
      const int take = std::min<int>(bytes, int(w.size()) + 1);
      f.append(w.data(), size_t(std::min<int>(take, int(w.size()))));
      if (take > int(w.size())) f += ' ';
      bytes -= take;
    }
  }

  void send_message() {
    uint64_t n = next_id++;
    int64_t t = now_ns();
    std::string f;
    f.reserve(msg.prefix.size() + 64 + size_t(b.cfg.text_bytes));
    f += msg.prefix;
    f += std::to_string(n);
    f += msg.text_open;
    std::string ts = std::to_string(t);
    f += ts;
    f += ' ';
    append_words(f, std::max(0, b.cfg.text_bytes - int(ts.size()) - 1), n);
    f += msg.suffix;
    pending.emplace(n, t);
    b.inflight++;
    w.st.sent++;
    send(std::move(f));
  }

  void start_history(double rate, std::mt19937_64& rng) {
    if (!open || rate <= 0 || room < 0) return;
    auto period = std::chrono::nanoseconds(int64_t(1e9 / rate));
    std::uniform_int_distribution<int64_t> phase(0, period.count());
    htimer.expires_after(std::chrono::nanoseconds(phase(rng)));
    hist_tick(period);
  }
  void hist_tick(std::chrono::nanoseconds period) {
    htimer.async_wait([this, self = shared_from_this(), period](beast::error_code ec) {
      if (ec || !open || b.stop_sending) return;
      int64_t ref = next_ref++;
      pending_hist.emplace(ref, now_ns());
      w.st.history_sent++;
      // Alternate: a history page before the newest, and a sync from the start.
      send(history_frame(b.room_names[room], ref, ref % 2 == 0));
      htimer.expires_at(htimer.expiry() + period);
      hist_tick(period);
    });
  }

  void close_now() {
    open = false;
    beast::error_code ec;
    beast::get_lowest_layer(ws).socket().close(ec);
    timer.cancel();
    htimer.cancel();
  }
};

inline void Worker::pump() {
  while (connecting < limit && next_connect < mine.size()) {
    connecting++;
    mine[next_connect++]->start();
  }
}
