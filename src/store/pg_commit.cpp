// PgStore's write path: group commit with the batch's keys locked up front in one order, and
// the appends of a batch in one call of the parley_append() function.
#include <algorithm>
#include <string_view>

#include "store/pg_store_impl.hpp"

namespace parley {

// parley_lock_keys(keys): the transaction's lock of each key (a room's name, "user:<name>"),
// taken in one global order (by a 64-bit hash of the key), so that two transactions never wait
// for each other's keys in a cycle. Advisory locks, not row locks: they also cover a room
// that a join is about to create. Every write transaction of parley takes them first.
//
// parley_append(rooms, users, ids, texts, ts, require_member, peers): one row out per message
// in, in order. It first locks the rooms' keys; per message it finds a
// stored original (same user and client id: o_code 1, the original's fields), checks
// membership (2: no such room; 3: not a member) and the peer's block list (4), then takes
// the next seq and inserts (0). An insert that meets a concurrent one of the same id (another
// node committed it since the lookup) gives its seq back and answers that original.
const char* const kAppendFunctionMigration = R"sql(
CREATE FUNCTION parley_lock_keys(p_keys text[]) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  k bigint;
BEGIN
  FOR k IN SELECT DISTINCT hashtextextended(x, 0) FROM unnest(p_keys) x ORDER BY 1 LOOP
    PERFORM pg_advisory_xact_lock(k);
  END LOOP;
END
$fn$;
CREATE FUNCTION parley_append(p_room text[], p_user text[], p_id text[], p_text text[], p_ts bigint[],
                              p_member boolean[], p_peer text[])
RETURNS TABLE(o_code int, o_room text, o_seq bigint, o_ts bigint, o_text text, o_kind int, o_target bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
  s bigint;
  d record;
BEGIN
  PERFORM parley_lock_keys(p_room);
  FOR k IN 1 .. coalesce(array_length(p_room, 1), 0) LOOP
    o_code := 0; o_room := p_room[k]; o_seq := 0; o_ts := p_ts[k]; o_text := ''; o_kind := 0; o_target := 0;
    SELECT m.room, m.seq, m.ts, m.text, m.kind, m.target INTO d FROM messages m
      WHERE m."user" = p_user[k] AND m.client_id = p_id[k];
    IF FOUND THEN
      o_code := 1; o_room := d.room; o_seq := d.seq; o_ts := d.ts; o_text := d.text; o_kind := d.kind; o_target := d.target;
      RETURN NEXT; CONTINUE;
    END IF;
    IF p_member[k] AND NOT EXISTS (SELECT 1 FROM members mb WHERE mb.room = p_room[k] AND mb."user" = p_user[k]) THEN
      o_code := CASE WHEN EXISTS (SELECT 1 FROM rooms r WHERE r.name = p_room[k]) THEN 3 ELSE 2 END;
      RETURN NEXT; CONTINUE;
    END IF;
    IF p_peer[k] <> '' AND EXISTS (SELECT 1 FROM blocks b WHERE b."user" = p_peer[k] AND b.blocked = p_user[k]) THEN
      o_code := 4; RETURN NEXT; CONTINUE;
    END IF;
    UPDATE rooms r SET last_seq = r.last_seq + 1 WHERE r.name = p_room[k] RETURNING r.last_seq INTO s;
    IF NOT FOUND THEN o_code := 2; RETURN NEXT; CONTINUE; END IF;
    INSERT INTO messages(room, seq, ts, "user", client_id, text, kind, target)
      VALUES (p_room[k], s, p_ts[k], p_user[k], p_id[k], p_text[k], 0, 0) ON CONFLICT ("user", client_id) DO NOTHING;
    IF NOT FOUND THEN
      UPDATE rooms r SET last_seq = r.last_seq - 1 WHERE r.name = p_room[k];
      SELECT m.room, m.seq, m.ts, m.text, m.kind, m.target INTO STRICT d FROM messages m
        WHERE m."user" = p_user[k] AND m.client_id = p_id[k];
      o_code := 1; o_room := d.room; o_seq := d.seq; o_ts := d.ts; o_text := d.text; o_kind := d.kind; o_target := d.target;
      RETURN NEXT; CONTINUE;
    END IF;
    o_seq := s; o_text := p_text[k];
    RETURN NEXT;
  END LOOP;
END
$fn$;
)sql";

namespace {

// A PostgreSQL array literal of text values: {"a","b \"c\""}.
std::string text_array(const std::vector<std::string_view>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

template <class T, class F>
std::string array_of(const std::vector<T>& items, F field) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += field(items[i]);
  }
  out += '}';
  return out;
}

}  // namespace

void prepare_append_statements(PgConn& db) {
  db.prepare("append_many", "SELECT * FROM parley_append($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], "
                            "$6::boolean[], $7::text[])");
  db.prepare("lock_keys", "SELECT parley_lock_keys($1::text[])");
}

void lock_keys(PgConn& db, const std::vector<std::string>& keys) {
  if (keys.empty()) return;
  db.run("lock_keys", {text_array({keys.begin(), keys.end()})});
}

void append_many(PgConn& db, const std::vector<PgAppendJob*>& jobs) {
  std::vector<std::string_view> rooms, users, ids, texts, peers;
  for (auto* j : jobs) {
    rooms.push_back(j->req.room);
    users.push_back(j->req.user);
    ids.push_back(j->req.id);
    texts.push_back(j->req.text);
    peers.push_back(j->req.peer);
  }
  auto r = db.run("append_many", {text_array(rooms), text_array(users), text_array(ids), text_array(texts),
                                  array_of(jobs, [](auto* j) { return std::to_string(j->req.ts); }),
                                  array_of(jobs, [](auto* j) { return std::string(j->req.require_member ? "t" : "f"); }),
                                  text_array(peers)});
  if (r.rows() != static_cast<int>(jobs.size())) throw PgError("parley_append: one row per message expected", "XX000");
  for (int i = 0; i < r.rows(); ++i) {
    PgAppendJob& j = *jobs[static_cast<std::size_t>(i)];
    const AppendRequest& q = j.req;
    j.threw = false;
    switch (r.int64(i, 0)) {
      case 0:
      case 1: {
        ChatMessage m{r.text(i, 1), r.int64(i, 2), r.int64(i, 3), q.user, q.id, r.text(i, 4)};
        m.kind = static_cast<EntryKind>(r.int64(i, 5));
        m.target = r.int64(i, 6);
        j.result = Appended{std::move(m), r.int64(i, 0) == 1};
        break;
      }
      case 2: j.result = Status::not_found("no room " + q.room); break;
      case 3: j.result = Status::forbidden(q.user + " is not a member of " + q.room); break;
      default: j.result = Status::forbidden(q.peer + " does not accept your messages"); break;
    }
  }
}

Status PgAppendJob::apply(PgConn& db) {
  threw = false;
  try {
    append_many(db, {this});
  } catch (...) {
    threw = true;
    result = PgGuard{}(std::current_exception());
  }
  return result.status;
}

bool PgStore::Impl::try_batch(PgConn& db, std::vector<std::unique_ptr<WriteJob<PgConn>>>& batch) {
  try {
    return run_batch(db, batch);
  } catch (const PgError& e) {
    if (e.retryable()) throw;
    note_failure(e);
    // A statement of the batch's appends failed (the transaction is aborted): the caller
    // runs each operation alone, so that only the one at fault fails.
    try { db.exec("ROLLBACK"); } catch (const PgError&) {}
    return false;
  }
}

bool PgStore::Impl::run_batch(PgConn& db, std::vector<std::unique_ptr<WriteJob<PgConn>>>& batch) {
  std::vector<PgAppendJob*> appends;
  for (auto& op : batch) {
    if (auto* a = dynamic_cast<PgAppendJob*>(op.get())) appends.push_back(a);
  }
  if (appends.size() == batch.size()) {
    // Appends only: parley_append() locks the rooms itself, and one statement is one
    // transaction.
    append_many(db, appends);
    return true;
  }
  std::vector<std::string> keys;
  for (auto& op : batch) {
    if (!op->key.empty()) keys.push_back(op->key);
  }
  db.exec("BEGIN");
  lock_keys(db, keys);
  // In queue order, each run of appends in one call.
  std::vector<PgAppendJob*> run;
  for (auto& op : batch) {
    if (auto* a = dynamic_cast<PgAppendJob*>(op.get())) {
      run.push_back(a);
      continue;
    }
    if (!run.empty()) append_many(db, run);
    run.clear();
    op->apply(db);
    if (op->broke()) {
      db.exec("ROLLBACK");
      return false;
    }
  }
  if (!run.empty()) append_many(db, run);
  db.exec("COMMIT");
  return true;
}

Status PgStore::Impl::commit_alone(PgConn& db, WriteJob<PgConn>& op) {
  try {
    db.exec("BEGIN");
    if (!op.key.empty()) lock_keys(db, {op.key});
    op.apply(db);
    db.exec(op.broke() ? "ROLLBACK" : "COMMIT");
    if (!op.broke()) health.committed();
    return Status::ok();  // a broken op reports its own error through its result
  } catch (const PgError& e) {
    note_failure(e);
    try { db.exec("ROLLBACK"); } catch (const PgError&) {}
    return Status::unavailable(e.what());
  }
}

void PgStore::Impl::commit_batch(PgConn& db, std::vector<std::unique_ptr<WriteJob<PgConn>>>& batch) {
  CommitTimer timer(metrics, batch.size());
  Status commit;
  bool broken = false;
  // A lost connection (PostgreSQL restarting, a broken link) is waited out for a while: the
  // batch goes as soon as the reconnect succeeds. Meanwhile the queue's backlog makes new
  // appends refused with a hint (refuse_when_behind), so nothing piles up unbounded.
  const auto give_up = std::chrono::steady_clock::now() + kPgReconnectPatience;
  for (int attempt = 1;; ++attempt) {
    try {
      if (!db.ok() && !db.reconnect()) throw PgError("postgres connection lost", "08006");
      broken = !try_batch(db, batch);
      if (!broken) health.committed();
      commit = Status::ok();
      break;
    } catch (const PgError& e) {
      try { db.exec("ROLLBACK"); } catch (const PgError&) {}
      const bool lost = e.sqlstate.rfind("08", 0) == 0;
      const bool again = e.retryable() && (lost ? std::chrono::steady_clock::now() < give_up : attempt < kPgBatchAttempts);
      if (!again) {
        spdlog::error("store: commit of {} writes failed: {}", batch.size(), e.what());
        note_failure(e);
        commit = Status::unavailable(e.what());
        break;
      }
      spdlog::warn("store: retrying a batch of {} writes ({}): {}", batch.size(), e.sqlstate, e.what());
      // On the writer's own thread: waiting here holds back only this writer's later writes.
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(20 * attempt, 500)));
    }
  }
  timer.stop();
  if (!broken) {
    for (auto& op : batch) op->complete(commit);
    return;
  }
  // One operation failed midway (a statement error aborts the whole transaction): each one
  // again in a transaction of its own, so that the broken one fails alone.
  for (auto& op : batch) op->complete(commit_alone(db, *op));
}

}  // namespace parley
