// SqliteStore's webhook outbox (store/outbox.hpp): events recorded in the transaction of the
// change, their deliveries, and the single node's lease.
#include <random>

#include "store/sqlite_store_impl.hpp"

namespace parley {

std::string new_event_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = "evt_";
  for (int half = 0; half < 2; ++half) {
    uint64_t bits = rng();
    for (int i = 0; i < 12; ++i, bits >>= 4) id += kHex[bits & 15];
  }
  return id;
}

void sqlite_record(SqliteDb& db, const OutboxConfig& outbox, const WebhookEvent& event) {
  const WebhookMask bit = webhook_bit(event.type);
  if ((outbox.wanted() & bit) == 0) return;
  const std::string id = new_event_id();
  db.prepare("INSERT INTO webhook_events(id, type, room, created_ms, body) VALUES(?1,?2,?3,?4,?5)")
      .bind(id, webhook_type_name(event.type), event.room, event.ts, outbox.encode(event, id))
      .step();
  const int64_t seq = db.last_insert_rowid();
  for (const auto& e : outbox.endpoints) {
    if ((e.types & bit) == 0) continue;
    db.prepare("INSERT INTO webhook_deliveries(endpoint, seq, next_ms) VALUES(?1,?2,0)").bind(e.name, seq).step();
  }
}

namespace {

constexpr const char* kDeliveryColumns =
    "SELECT d.seq, e.id, d.endpoint, e.type, e.body, e.created_ms, d.state, d.attempts, d.next_ms, d.done_ms, "
    "d.last_error FROM webhook_deliveries d JOIN webhook_events e ON e.seq = d.seq ";

WebhookDelivery read_delivery(Statement& st) {
  WebhookDelivery d;
  d.seq = st.int64(0);
  d.id = st.text(1);
  d.endpoint = st.text(2);
  d.type = st.text(3);
  d.body = st.text(4);
  d.created_ms = st.int64(5);
  d.state = static_cast<DeliveryState>(st.int64(6));
  d.attempts = static_cast<int>(st.int64(7));
  d.next_ms = st.int64(8);
  d.done_ms = st.int64(9);
  d.last_error = st.text(10);
  return d;
}

}  // namespace

void SqliteStore::due(std::string endpoint, std::string node, int64_t now_ms, int64_t lease_ms, int limit,
                      Callback<std::vector<WebhookDelivery>> done) {
  // A single node: the lease is always this node's, nothing to record or wait for.
  (void)node;
  (void)now_ms;
  (void)lease_ms;
  impl_->read<std::vector<WebhookDelivery>>(
      std::move(done), [endpoint = std::move(endpoint), limit](SqliteDb& db) -> Result<std::vector<WebhookDelivery>> {
        static const std::string sql =
            std::string(kDeliveryColumns) + "WHERE d.endpoint=?1 AND d.state=0 ORDER BY d.seq LIMIT ?2";
        auto& st = db.prepare(sql.c_str());
        st.bind(endpoint, limit);
        std::vector<WebhookDelivery> out;
        while (st.step()) out.push_back(read_delivery(st));
        st.bind();
        return out;
      });
}

void SqliteStore::settle(DeliveryOutcome o, Callback<bool> done) {
  impl_->write<bool>(std::move(done), [o = std::move(o)](SqliteDb& db) -> Result<bool> {
    if (o.delivered) {
      db.prepare(
            "UPDATE webhook_deliveries SET state=1, attempts=attempts+1, done_ms=?3, last_error='' "
            "WHERE endpoint=?1 AND seq=?2 AND state=0")
          .bind(o.endpoint, o.seq, o.now_ms)
          .step();
    } else {
      db.prepare(
            "UPDATE webhook_deliveries SET state=?3, attempts=attempts+1, next_ms=?4, done_ms=?5, last_error=?6 "
            "WHERE endpoint=?1 AND seq=?2 AND state=0")
          .bind(o.endpoint, o.seq, static_cast<int64_t>(o.dead ? DeliveryState::dead : DeliveryState::pending),
                o.next_ms, o.dead ? o.now_ms : int64_t{0}, o.error)
          .step();
    }
    return db.changes() > 0;
  });
}

void SqliteStore::deliveries(DeliveryQuery q, Callback<std::vector<WebhookDelivery>> done) {
  impl_->read<std::vector<WebhookDelivery>>(std::move(done), [q = std::move(q)](SqliteDb& db) -> Result<std::vector<WebhookDelivery>> {
    static const std::string sql = std::string(kDeliveryColumns) +
                                   "WHERE (?1='' OR d.endpoint=?1) AND (?2<0 OR d.state=?2) AND (?3<=0 OR d.seq<?3) "
                                   "ORDER BY d.seq DESC, d.endpoint LIMIT ?4";
    auto& st = db.prepare(sql.c_str());
    st.bind(q.endpoint, q.state ? static_cast<int64_t>(*q.state) : int64_t{-1}, q.before_seq, q.limit);
    std::vector<WebhookDelivery> out;
    while (st.step()) out.push_back(read_delivery(st));
    st.bind();
    return out;
  });
}

void SqliteStore::replay(ReplayRequest r, Callback<int64_t> done) {
  impl_->write<int64_t>(std::move(done), [r = std::move(r)](SqliteDb& db) -> Result<int64_t> {
    constexpr const char* kReplay =
        "UPDATE webhook_deliveries SET state=0, attempts=0, next_ms=?3, done_ms=0 "
        "WHERE state=2 AND (?1='' OR endpoint=?1) AND (?2<=0 OR seq=?2)";
    int64_t n = 0;
    if (r.seqs.empty()) {
      db.prepare(kReplay).bind(r.endpoint, int64_t{0}, r.now_ms).step();
      n = db.changes();
    }
    for (int64_t seq : r.seqs) {
      if (seq <= 0) continue;
      db.prepare(kReplay).bind(r.endpoint, seq, r.now_ms).step();
      n += db.changes();
    }
    return n;
  });
}

void SqliteStore::record(WebhookEvent event, Callback<bool> done) {
  Impl* impl = impl_.get();
  if (!impl->outbox.wants(event.type)) return done(false);
  impl_->write<bool>(std::move(done), [impl, event = std::move(event)](SqliteDb& db) -> Result<bool> {
    sqlite_record(db, impl->outbox, event);
    return true;
  });
}

void SqliteStore::backlog(Callback<std::vector<EndpointBacklog>> done) {
  impl_->read<std::vector<EndpointBacklog>>(std::move(done), [](SqliteDb& db) -> Result<std::vector<EndpointBacklog>> {
    auto& st = db.prepare(
        "SELECT d.endpoint, sum(d.state=0), sum(d.state=2), coalesce(min(CASE WHEN d.state=0 THEN e.created_ms END), 0) "
        "FROM webhook_deliveries d JOIN webhook_events e ON e.seq = d.seq WHERE d.state<>1 GROUP BY d.endpoint "
        "ORDER BY d.endpoint");
    st.bind();
    std::vector<EndpointBacklog> out;
    while (st.step()) out.push_back(EndpointBacklog{st.text(0), st.int64(1), st.int64(2), st.int64(3)});
    st.bind();
    return out;
  });
}

void SqliteStore::purge(int64_t before_ms, Callback<int64_t> done) {
  impl_->write<int64_t>(std::move(done), [before_ms](SqliteDb& db) -> Result<int64_t> {
    db.prepare("DELETE FROM webhook_deliveries WHERE state=1 AND done_ms < ?1").bind(before_ms).step();
    const int64_t n = db.changes();
    if (n > 0) {
      db.prepare("DELETE FROM webhook_events WHERE NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.seq = webhook_events.seq)")
          .bind()
          .step();
    }
    return n;
  });
}

}  // namespace parley
