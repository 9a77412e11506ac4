#include "store/pg_store.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "store/pg_conn.hpp"
#include "store/sql_jobs.hpp"

namespace parley {
namespace {

constexpr int kBatchAttempts = 6;

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// Schema migrations, applied in order under an advisory lock; schema_version records how
// many have run. Never edit a migration that has shipped: append a new one.
constexpr const char* kMigrations[] = {
    R"sql(
    CREATE TABLE users(
      name TEXT PRIMARY KEY,
      pw_hash TEXT NOT NULL,
      created_ms BIGINT NOT NULL);
    CREATE TABLE rooms(
      name TEXT PRIMARY KEY,
      last_seq BIGINT NOT NULL DEFAULT 0,
      created_ms BIGINT NOT NULL);
    CREATE TABLE members(
      room TEXT NOT NULL,
      "user" TEXT NOT NULL,
      read_seq BIGINT NOT NULL DEFAULT 0,
      joined_ms BIGINT NOT NULL,
      PRIMARY KEY(room, "user"));
    CREATE INDEX members_by_user ON members("user", room);
    CREATE TABLE messages(
      room TEXT NOT NULL,
      seq BIGINT NOT NULL,
      ts BIGINT NOT NULL,
      "user" TEXT NOT NULL,
      client_id TEXT NOT NULL,
      text TEXT NOT NULL,
      PRIMARY KEY(room, seq));
    CREATE UNIQUE INDEX messages_dedup ON messages("user", client_id);
    )sql",
};

constexpr int64_t kMigrationLock = 0x7061726c6579;  // "parley"

void migrate(PgConn& db) {
  db.exec("SELECT pg_advisory_lock(" + std::to_string(kMigrationLock) + ")");
  try {
    db.exec("CREATE TABLE IF NOT EXISTS schema_version(version INT NOT NULL)");
    db.prepare("schema_version", "SELECT coalesce(max(version), 0) FROM schema_version");
    int64_t done = db.run("schema_version").int64(0, 0);
    constexpr int64_t total = sizeof kMigrations / sizeof kMigrations[0];
    for (int64_t i = done; i < total; ++i) {
      db.exec("BEGIN");
      db.exec(kMigrations[i]);
      db.exec("INSERT INTO schema_version(version) VALUES(" + std::to_string(i + 1) + ")");
      db.exec("COMMIT");
    }
  } catch (...) {
    try { db.exec("ROLLBACK"); } catch (const PgError&) {}
    db.exec("SELECT pg_advisory_unlock(" + std::to_string(kMigrationLock) + ")");
    throw;
  }
  db.exec("SELECT pg_advisory_unlock(" + std::to_string(kMigrationLock) + ")");
}

void prepare_statements(PgConn& db) {
  db.prepare("dedup", R"(SELECT room, seq, ts, text FROM messages WHERE "user"=$1 AND client_id=$2)");
  db.prepare("next_seq", "UPDATE rooms SET last_seq = last_seq + 1 WHERE name=$1 RETURNING last_seq");
  db.prepare("insert_message",
             R"(INSERT INTO messages(room, seq, ts, "user", client_id, text) VALUES($1,$2,$3,$4,$5,$6)
                ON CONFLICT ("user", client_id) DO NOTHING RETURNING seq)");
  db.prepare("member_state",
             R"(SELECT r.last_seq, m.read_seq FROM members m JOIN rooms r ON r.name = m.room
                WHERE m.room=$1 AND m."user"=$2)");
  db.prepare("count_rooms", R"(SELECT count(*) FROM members WHERE "user"=$1)");
  db.prepare("ensure_room", "INSERT INTO rooms(name, last_seq, created_ms) VALUES($1, 0, $2) ON CONFLICT DO NOTHING");
  db.prepare("add_member", R"(INSERT INTO members(room, "user", read_seq, joined_ms) VALUES($1,$2,0,$3) ON CONFLICT DO NOTHING)");
  db.prepare("last_seq", "SELECT last_seq FROM rooms WHERE name=$1");
  db.prepare("is_member", R"(SELECT 1 FROM members WHERE room=$1 AND "user"=$2)");
  db.prepare("create_room", "INSERT INTO rooms(name, last_seq, created_ms) VALUES($1, 0, $2) ON CONFLICT DO NOTHING RETURNING 1");
  db.prepare("ping", "SELECT 1");
  db.prepare("del_member", R"(DELETE FROM members WHERE room=$1 AND "user"=$2 RETURNING 1)");
  db.prepare("set_read", R"(UPDATE members SET read_seq=$3 WHERE room=$1 AND "user"=$2 AND read_seq < $3 RETURNING 1)");
  db.prepare("rooms_of",
             R"(SELECT m.room, r.last_seq, m.read_seq FROM members m JOIN rooms r ON r.name = m.room
                WHERE m."user"=$1 ORDER BY m.room COLLATE "C")");
  db.prepare("after", R"(SELECT seq, ts, "user", client_id, text FROM messages WHERE room=$1 AND seq>$2 ORDER BY seq LIMIT $3)");
  db.prepare("before", R"(SELECT seq, ts, "user", client_id, text FROM messages WHERE room=$1 AND seq<$2 ORDER BY seq DESC LIMIT $3)");
  db.prepare("create_user", "INSERT INTO users(name, pw_hash, created_ms) VALUES($1,$2,$3) ON CONFLICT DO NOTHING RETURNING 1");
  db.prepare("pw_hash", "SELECT pw_hash FROM users WHERE name=$1");
}

// Up to `limit` of the rows (the query asks for limit + 1), stopping at kMaxPageTextBytes.
MessagePage page_of(const PgResult& r, const std::string& room, std::size_t limit) {
  MessagePage page;
  std::size_t bytes = 0;
  for (int i = 0; i < r.rows(); ++i) {
    if (page.messages.size() == limit || (bytes >= kMaxPageTextBytes && !page.messages.empty())) {
      page.has_more = true;
      break;
    }
    page.messages.push_back(ChatMessage{room, r.int64(i, 0), r.int64(i, 1), r.text(i, 2), r.text(i, 3), r.text(i, 4)});
    bytes += page.messages.back().text.size();
  }
  return page;
}

// Deadlocks, serialization failures and lost connections retry (rethrown); any other
// failed statement fails its own operation.
struct PgGuard {
  Status operator()(std::exception_ptr e) const {
    try {
      std::rethrow_exception(e);
    } catch (const PgError& x) {
      if (x.retryable()) throw;
      return Status::io_error(x.what());
    }
  }
};

}  // namespace

struct PgStore::Impl {
  std::unique_ptr<PgConn> write_db;
  std::unique_ptr<PgConn> read_db;
  std::unique_ptr<WriteQueue<PgConn>> writer;
  std::unique_ptr<ReadQueue<PgConn>> reader;
  Metrics* metrics = nullptr;

  void commit_batch(std::vector<std::unique_ptr<WriteJob<PgConn>>>& batch) {
    CommitTimer timer(metrics, batch.size());
    Status commit;
    for (int attempt = 1;; ++attempt) {
      try {
        if (!write_db->ok() && !write_db->reconnect()) throw PgError("postgres connection lost", "08006");
        write_db->exec("BEGIN");
        for (auto& op : batch) {
          write_db->exec("SAVEPOINT op");
          if (op->apply(*write_db).is_ok()) {
            write_db->exec("RELEASE op");
          } else {
            write_db->exec("ROLLBACK TO op; RELEASE op");
          }
        }
        write_db->exec("COMMIT");
        commit = Status::ok();
        break;
      } catch (const PgError& e) {
        try { write_db->exec("ROLLBACK"); } catch (const PgError&) {}
        if (!e.retryable() || attempt == kBatchAttempts) {
          spdlog::error("store: commit of {} writes failed: {}", batch.size(), e.what());
          commit = Status::unavailable(e.what());
          break;
        }
        spdlog::warn("store: retrying a batch of {} writes ({}): {}", batch.size(), e.sqlstate, e.what());
        // On the store's own thread: waiting here holds back only later writes.
        std::this_thread::sleep_for(std::chrono::milliseconds(20 * attempt));
      }
    }
    timer.stop();
    for (auto& op : batch) op->complete(commit);
  }

  template <class T>
  void write(Store::Callback<T> done, std::function<Result<T>(PgConn&)> run) {
    queue_write<PgGuard>(*writer, std::move(done), std::move(run));
  }

  template <class T>
  void read(Store::Callback<T> done, std::function<Result<T>(PgConn&)> run) {
    queue_read<PgGuard>(*reader, std::move(done),
                        std::function<Result<T>(PgConn&)>([run = std::move(run)](PgConn& db) -> Result<T> {
                          if (!db.ok() && !db.reconnect()) throw PgError("postgres connection lost", "08006");
                          return run(db);
                        }),
                        /*attempts=*/3);
  }
};

Result<std::unique_ptr<PgStore>> PgStore::open(const PgStoreOptions& o) {
  auto impl = std::make_unique<Impl>();
  auto w = PgConn::connect(o.conninfo);
  if (!w.ok()) return w.status;
  auto r = PgConn::connect(o.conninfo);
  if (!r.ok()) return r.status;
  try {
    migrate(*w.value);
    prepare_statements(*w.value);
    prepare_statements(*r.value);
  } catch (const PgError& e) {
    return Status::io_error(std::string("postgres schema: ") + e.what());
  }
  impl->write_db = std::move(w.value);
  impl->read_db = std::move(r.value);
  impl->metrics = o.metrics;
  Impl* p = impl.get();
  impl->writer = std::make_unique<WriteQueue<PgConn>>(
      std::max<std::size_t>(1, o.commit_batch), [p](auto& batch) { p->commit_batch(batch); });
  impl->reader = std::make_unique<ReadQueue<PgConn>>(64, [p](auto& batch) {
    for (auto& job : batch) job(*p->read_db);
  });
  return std::unique_ptr<PgStore>(new PgStore(std::move(impl)));
}

PgStore::PgStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PgStore::~PgStore() { close(); }

void PgStore::close() {
  impl_->writer->stop();
  impl_->reader->stop();
}

void PgStore::append(AppendRequest req, Callback<Appended> done) {
  impl_->write<Appended>(std::move(done), [req = std::move(req)](PgConn& db) -> Result<Appended> {
    auto original = [&]() -> std::optional<Appended> {
      auto d = db.run("dedup", {req.user, req.id});
      if (d.empty()) return std::nullopt;
      return Appended{ChatMessage{d.text(0, 0), d.int64(0, 1), d.int64(0, 2), req.user, req.id, d.text(0, 3)}, true};
    };
    if (auto dup = original()) return *dup;
    if (req.require_member && db.run("is_member", {req.room, req.user}).empty()) {
      if (db.run("last_seq", {req.room}).empty()) return Status::not_found("no room " + req.room);
      return Status::forbidden(req.user + " is not a member of " + req.room);
    }
    auto next = db.run("next_seq", {req.room});
    if (next.empty()) return Status::not_found("no room " + req.room);
    int64_t seq = next.int64(0, 0);
    auto inserted = db.run("insert_message", {req.room, seq, req.ts, req.user, req.id, req.text});
    if (inserted.empty()) {
      // Another node stored this (user, id) since our lookup: undo our seq, answer with theirs.
      db.exec("ROLLBACK TO op");
      if (auto dup = original()) return *dup;
      return Status::io_error("message id conflict without a stored original");
    }
    return Appended{ChatMessage{req.room, seq, req.ts, req.user, req.id, req.text}, false};
  });
}

void PgStore::create_room(std::string room, Callback<bool> done) {
  impl_->write<bool>(std::move(done), [=](PgConn& db) -> Result<bool> {
    return !db.run("create_room", {room, now_ms()}).empty();
  });
}

void PgStore::room(std::string room, Callback<RoomState> done) {
  impl_->read<RoomState>(std::move(done), [=](PgConn& db) -> Result<RoomState> {
    auto r = db.run("last_seq", {room});
    if (r.empty()) return Status::not_found("no room " + room);
    return RoomState{room, r.int64(0, 0), 0};
  });
}

void PgStore::ping(Callback<bool> done) {
  impl_->read<bool>(std::move(done), [](PgConn& db) -> Result<bool> {
    db.run("ping");
    return true;
  });
}

void PgStore::join(std::string room, std::string user, int max_rooms, Callback<RoomState> done) {
  impl_->write<RoomState>(std::move(done), [=](PgConn& db) -> Result<RoomState> {
    auto state = db.run("member_state", {room, user});
    if (!state.empty()) return RoomState{room, state.int64(0, 0), state.int64(0, 1)};
    if (db.run("count_rooms", {user}).int64(0, 0) >= max_rooms) {
      return Status::limit_exceeded("a user may be in at most " + std::to_string(max_rooms) + " rooms");
    }
    int64_t now = now_ms();
    db.run("ensure_room", {room, now});
    db.run("add_member", {room, user, now});
    return RoomState{room, db.run("last_seq", {room}).int64(0, 0), 0};
  });
}

void PgStore::leave(std::string room, std::string user, Callback<bool> done) {
  impl_->write<bool>(std::move(done), [=](PgConn& db) -> Result<bool> {
    if (db.run("del_member", {room, user}).empty()) return Status::not_found("not a member of " + room);
    return true;
  });
}

void PgStore::set_read(std::string room, std::string user, int64_t seq, Callback<bool> done) {
  impl_->write<bool>(std::move(done), [=](PgConn& db) -> Result<bool> {
    auto state = db.run("member_state", {room, user});
    if (state.empty()) return Status::not_found("not a member of " + room);
    int64_t last = state.int64(0, 0);
    if (seq > last) {
      return Status::invalid("seq " + std::to_string(seq) + " is past the room's last seq " + std::to_string(last));
    }
    return !db.run("set_read", {room, user, seq}).empty();
  });
}

void PgStore::rooms_of(std::string user, Callback<std::vector<RoomState>> done) {
  impl_->read<std::vector<RoomState>>(std::move(done), [=](PgConn& db) -> Result<std::vector<RoomState>> {
    auto r = db.run("rooms_of", {user});
    std::vector<RoomState> rooms;
    for (int i = 0; i < r.rows(); ++i) rooms.push_back(RoomState{r.text(i, 0), r.int64(i, 1), r.int64(i, 2)});
    return rooms;
  });
}

void PgStore::after(std::string room, int64_t after, int limit, Callback<MessagePage> done) {
  impl_->read<MessagePage>(std::move(done), [=](PgConn& db) -> Result<MessagePage> {
    return page_of(db.run("after", {room, after, static_cast<int64_t>(limit) + 1}), room, limit);
  });
}

void PgStore::before(std::string room, std::optional<int64_t> before, int limit, Callback<MessagePage> done) {
  impl_->read<MessagePage>(std::move(done), [=](PgConn& db) -> Result<MessagePage> {
    auto page = page_of(db.run("before", {room, before.value_or(INT64_MAX), static_cast<int64_t>(limit) + 1}), room, limit);
    std::reverse(page.messages.begin(), page.messages.end());
    return page;
  });
}

void PgStore::create_user(std::string name, std::string password_hash, Callback<bool> done) {
  impl_->write<bool>(std::move(done), [=](PgConn& db) -> Result<bool> {
    if (db.run("create_user", {name, password_hash, now_ms()}).empty()) return Status::conflict("user name taken");
    return true;
  });
}

void PgStore::password_hash(std::string name, Callback<std::string> done) {
  impl_->read<std::string>(std::move(done), [=](PgConn& db) -> Result<std::string> {
    auto r = db.run("pw_hash", {name});
    if (r.empty()) return Status::not_found("no such user");
    return r.text(0, 0);
  });
}

}  // namespace parley
