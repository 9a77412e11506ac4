// PgStore's webhook outbox (store/outbox.hpp), shared by every node of a cluster: events
// recorded in the transaction of the change, their deliveries, and per endpoint a lease that
// lets one node at a time send.
//
// Order: an event's seq is taken when its transaction inserts it, so a room's events (written
// by one writer connection, one transaction after another) are in the order of the room's
// changes; events of different rooms committing at the same moment may interleave.
#include "store/pg_store_impl.hpp"

namespace parley {

namespace {
#define PARLEY_DELIVERY_COLUMNS                                                                              \
  "SELECT d.seq, e.id, d.endpoint, e.type, e.body, e.created_ms, d.state, d.attempts, d.next_ms, d.done_ms, " \
  "d.last_error FROM webhook_deliveries d JOIN webhook_events e ON e.seq = d.seq "

std::vector<WebhookDelivery> read_deliveries(const PgResult& r) {
  std::vector<WebhookDelivery> out;
  for (int i = 0; i < r.rows(); ++i) {
    WebhookDelivery d;
    d.seq = r.int64(i, 0);
    d.id = r.text(i, 1);
    d.endpoint = r.text(i, 2);
    d.type = r.text(i, 3);
    d.body = r.text(i, 4);
    d.created_ms = r.int64(i, 5);
    d.state = static_cast<DeliveryState>(r.int64(i, 6));
    d.attempts = static_cast<int>(r.int64(i, 7));
    d.next_ms = r.int64(i, 8);
    d.done_ms = r.int64(i, 9);
    d.last_error = r.text(i, 10);
    out.push_back(std::move(d));
  }
  return out;
}

std::string lease_key(const std::string& endpoint) { return "webhook:" + endpoint; }
}  // namespace

const char* const kOutboxMigration = R"sql(
CREATE TABLE webhook_events(
  seq BIGSERIAL PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  room TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  body TEXT NOT NULL);
CREATE TABLE webhook_deliveries(
  endpoint TEXT NOT NULL,
  seq BIGINT NOT NULL,
  state SMALLINT NOT NULL DEFAULT 0,
  attempts INT NOT NULL DEFAULT 0,
  next_ms BIGINT NOT NULL DEFAULT 0,
  done_ms BIGINT NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  PRIMARY KEY(endpoint, seq));
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries(endpoint, seq) WHERE state = 0;
CREATE INDEX webhook_deliveries_done ON webhook_deliveries(done_ms) WHERE state = 1;
CREATE TABLE webhook_leases(endpoint TEXT PRIMARY KEY, node TEXT NOT NULL, until_ms BIGINT NOT NULL);
)sql";

void prepare_outbox_statements(PgConn& db) {
  db.prepare("outbox_event",
             "INSERT INTO webhook_events(id, type, room, created_ms, body) VALUES($1,$2,$3,$4,$5) RETURNING seq");
  db.prepare("outbox_delivery", "INSERT INTO webhook_deliveries(endpoint, seq) VALUES($1,$2)");
  db.prepare("outbox_lease",
             "INSERT INTO webhook_leases(endpoint, node, until_ms) VALUES($1, $2, $3::bigint + $4::bigint) "
             "ON CONFLICT (endpoint) DO UPDATE SET node = EXCLUDED.node, until_ms = EXCLUDED.until_ms "
             "WHERE webhook_leases.node = EXCLUDED.node OR webhook_leases.until_ms < $3::bigint RETURNING 1");
  db.prepare("outbox_due", PARLEY_DELIVERY_COLUMNS "WHERE d.endpoint=$1 AND d.state=0 ORDER BY d.seq LIMIT $2");
  db.prepare("outbox_delivered",
             "UPDATE webhook_deliveries SET state=1, attempts=attempts+1, done_ms=$3, last_error='' "
             "WHERE endpoint=$1 AND seq=$2 AND state=0 RETURNING 1");
  db.prepare("outbox_failed",
             "UPDATE webhook_deliveries SET state=$3, attempts=attempts+1, next_ms=$4, done_ms=$5, last_error=$6 "
             "WHERE endpoint=$1 AND seq=$2 AND state=0 RETURNING 1");
  db.prepare("outbox_list", PARLEY_DELIVERY_COLUMNS
             "WHERE ($1='' OR d.endpoint=$1) AND ($2::int < 0 OR d.state=$2::int) AND ($3::bigint <= 0 OR d.seq < $3::bigint) "
             "ORDER BY d.seq DESC, d.endpoint LIMIT $4");
  db.prepare("outbox_replay",
             "UPDATE webhook_deliveries SET state=0, attempts=0, next_ms=$3, done_ms=0 "
             "WHERE state=2 AND ($1='' OR endpoint=$1) AND ($2::bigint <= 0 OR seq=$2::bigint) RETURNING 1");
  db.prepare("outbox_backlog",
             "SELECT d.endpoint, count(*) FILTER (WHERE d.state=0), count(*) FILTER (WHERE d.state=2), "
             "coalesce(min(e.created_ms) FILTER (WHERE d.state=0), 0) FROM webhook_deliveries d "
             "JOIN webhook_events e ON e.seq = d.seq WHERE d.state <> 1 GROUP BY d.endpoint ORDER BY d.endpoint");
  db.prepare("outbox_purge", "DELETE FROM webhook_deliveries WHERE state=1 AND done_ms < $1 RETURNING 1");
  db.prepare("outbox_purge_events",
             "DELETE FROM webhook_events e WHERE NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.seq = e.seq)");
}

void pg_record(PgConn& db, const OutboxConfig& outbox, const WebhookEvent& event) {
  const WebhookMask bit = webhook_bit(event.type);
  if ((outbox.wanted() & bit) == 0) return;
  const std::string id = new_event_id();
  auto r = db.run("outbox_event",
                  {id, std::string(webhook_type_name(event.type)), event.room, event.ts, outbox.encode(event, id)});
  const int64_t seq = r.int64(0, 0);
  for (const auto& e : outbox.endpoints) {
    if ((e.types & bit) != 0) db.run("outbox_delivery", {e.name, seq});
  }
}

void PgStore::due(std::string endpoint, std::string node, int64_t now_ms, int64_t lease_ms, int limit,
                  Callback<std::vector<WebhookDelivery>> done) {
  const std::string key = lease_key(endpoint);
  impl_->write<std::vector<WebhookDelivery>>(
      key, std::move(done), [=](PgConn& db) -> Result<std::vector<WebhookDelivery>> {
        if (db.run("outbox_lease", {endpoint, node, now_ms, lease_ms}).empty()) return std::vector<WebhookDelivery>{};
        return read_deliveries(db.run("outbox_due", {endpoint, static_cast<int64_t>(limit)}));
      });
}

void PgStore::settle(DeliveryOutcome o, Callback<bool> done) {
  const std::string key = lease_key(o.endpoint);
  impl_->write<bool>(key, std::move(done), [o = std::move(o)](PgConn& db) -> Result<bool> {
    if (o.delivered) return !db.run("outbox_delivered", {o.endpoint, o.seq, o.now_ms}).empty();
    return !db.run("outbox_failed", {o.endpoint, o.seq,
                                     static_cast<int64_t>(o.dead ? DeliveryState::dead : DeliveryState::pending),
                                     o.next_ms, o.dead ? o.now_ms : int64_t{0}, o.error})
                .empty();
  });
}

void PgStore::deliveries(DeliveryQuery q, Callback<std::vector<WebhookDelivery>> done) {
  impl_->read<std::vector<WebhookDelivery>>(std::move(done), [q = std::move(q)](PgConn& db) -> Result<std::vector<WebhookDelivery>> {
    return read_deliveries(db.run("outbox_list", {q.endpoint, q.state ? static_cast<int64_t>(*q.state) : int64_t{-1},
                                                  q.before_seq, static_cast<int64_t>(q.limit)}));
  });
}

void PgStore::replay(ReplayRequest r, Callback<int64_t> done) {
  const std::string key = lease_key(r.endpoint);
  impl_->write<int64_t>(key, std::move(done), [r = std::move(r)](PgConn& db) -> Result<int64_t> {
    int64_t n = 0;
    if (r.seqs.empty()) n = db.run("outbox_replay", {r.endpoint, int64_t{0}, r.now_ms}).rows();
    for (int64_t seq : r.seqs) {
      if (seq > 0) n += db.run("outbox_replay", {r.endpoint, seq, r.now_ms}).rows();
    }
    return n;
  });
}

void PgStore::record(WebhookEvent event, Callback<bool> done) {
  Impl* impl = impl_.get();
  if (!impl->outbox.wants(event.type)) return done(false);
  const std::string key = "user:" + event.user;
  impl_->write<bool>(key, std::move(done), [impl, event = std::move(event)](PgConn& db) -> Result<bool> {
    pg_record(db, impl->outbox, event);
    return true;
  });
}

void PgStore::backlog(Callback<std::vector<EndpointBacklog>> done) {
  impl_->read<std::vector<EndpointBacklog>>(std::move(done), [](PgConn& db) -> Result<std::vector<EndpointBacklog>> {
    auto r = db.run("outbox_backlog");
    std::vector<EndpointBacklog> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back({r.text(i, 0), r.int64(i, 1), r.int64(i, 2), r.int64(i, 3)});
    return out;
  });
}

void PgStore::purge(int64_t before_ms, Callback<int64_t> done) {
  impl_->write<int64_t>("webhook:", std::move(done), [before_ms](PgConn& db) -> Result<int64_t> {
    const int64_t n = db.run("outbox_purge", {before_ms}).rows();
    if (n > 0) db.run("outbox_purge_events");
    return n;
  });
}

}  // namespace parley
