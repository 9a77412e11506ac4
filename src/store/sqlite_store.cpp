#include "store/sqlite_store.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "metrics/metrics.hpp"
#include "store/sqlite_db.hpp"
#include "store/sql_jobs.hpp"

namespace parley {
namespace {

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// A failed SQLite statement fails its own operation only.
struct SqliteGuard {
  Status operator()(std::exception_ptr e) const {
    try {
      std::rethrow_exception(e);
    } catch (const SqliteError& x) {
      return Status::io_error(x.what());
    }
  }
};

// Reads up to `limit` rows (the query asks for limit + 1 to learn has_more), stopping early
// at kMaxPageTextBytes.
MessagePage read_page(Statement& st, std::size_t limit) {
  MessagePage page;
  std::size_t bytes = 0;
  while (st.step()) {
    if (page.messages.size() == limit || (bytes >= kMaxPageTextBytes && !page.messages.empty())) {
      page.has_more = true;
      st.bind();  // reset: the rest of the rows are not needed
      break;
    }
    page.messages.push_back(ChatMessage{"", st.int64(0), st.int64(1), st.text(2), st.text(3), st.text(4)});
    bytes += page.messages.back().text.size();
  }
  return page;
}

}  // namespace

struct SqliteStore::Impl {
  std::unique_ptr<SqliteDb> write_db;
  std::unique_ptr<SqliteDb> read_db;
  std::unique_ptr<WriteQueue<SqliteDb>> writer;
  std::unique_ptr<ReadQueue<SqliteDb>> reader;
  Metrics* metrics = nullptr;

  // One transaction for the whole batch, without a savepoint per operation: an operation
  // that fails cleanly has written nothing (see WriteJob), and a savepoint would copy every
  // page the next operation touches into the statement journal. Only when an operation
  // breaks midway is the batch rolled back and run again one transaction per operation, so
  // that the broken one fails alone.
  void commit_batch(std::vector<std::unique_ptr<WriteJob<SqliteDb>>>& batch) {
    CommitTimer timer(metrics, batch.size());
    Status commit;
    bool broken = false;
    try {
      write_db->run("BEGIN IMMEDIATE");
      for (auto& op : batch) {
        op->apply(*write_db);
        if (op->broke()) {
          broken = true;
          break;
        }
      }
      if (broken) {
        write_db->run("ROLLBACK");
      } else {
        write_db->run("COMMIT");
      }
    } catch (const SqliteError& e) {
      spdlog::error("store: commit of {} writes failed: {}", batch.size(), e.what());
      commit = Status::io_error(e.what());
      try { write_db->exec("ROLLBACK"); } catch (const SqliteError&) {}
    }
    if (!broken) {
      timer.stop();
      for (auto& op : batch) op->complete(commit);
      return;
    }
    for (auto& op : batch) op->complete(commit_alone(*op));
  }

  // The slow path: `op` in a transaction of its own; rolled back if it breaks.
  Status commit_alone(WriteJob<SqliteDb>& op) {
    try {
      write_db->run("BEGIN IMMEDIATE");
      op.apply(*write_db);
      write_db->run(op.broke() ? "ROLLBACK" : "COMMIT");
      return Status::ok();  // a broken op reports its own error through its result
    } catch (const SqliteError& e) {
      try { write_db->exec("ROLLBACK"); } catch (const SqliteError&) {}
      return Status::io_error(e.what());
    }
  }

  template <class T>
  void write(Store::Callback<T> done, std::function<Result<T>(SqliteDb&)> run) {
    queue_write<SqliteGuard>(*writer, std::move(done), std::move(run));
  }

  template <class T>
  void read(Store::Callback<T> done, std::function<Result<T>(SqliteDb&)> run) {
    queue_read<SqliteGuard>(*reader, std::move(done), std::move(run));
  }
};

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const SqliteStoreOptions& o) {
  auto impl = std::make_unique<Impl>();
  auto w = SqliteDb::open(o.path, o.sync, /*migrate=*/true);
  if (!w.ok()) return w.status;
  auto r = SqliteDb::open(o.path, o.sync, /*migrate=*/false);
  if (!r.ok()) return r.status;
  impl->write_db = std::move(w.value);
  impl->read_db = std::move(r.value);
  impl->metrics = o.metrics;
  Impl* p = impl.get();
  impl->writer = std::make_unique<WriteQueue<SqliteDb>>(
      std::max<std::size_t>(1, o.commit_batch), [p](auto& batch) { p->commit_batch(batch); });
  impl->reader = std::make_unique<ReadQueue<SqliteDb>>(64, [p](auto& batch) {
    for (auto& job : batch) job(*p->read_db);
  });
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(impl)));
}

SqliteStore::SqliteStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SqliteStore::~SqliteStore() { close(); }

void SqliteStore::close() {
  impl_->writer->stop();
  impl_->reader->stop();
}

void SqliteStore::append(AppendRequest req, Callback<Appended> done) {
  impl_->write<Appended>(std::move(done), [req = std::move(req)](SqliteDb& db) -> Result<Appended> {
    auto& dup = db.prepare("SELECT room, seq, ts, text FROM messages WHERE user=?1 AND client_id=?2");
    dup.bind(req.user, req.id);
    if (dup.step()) {
      Appended a{ChatMessage{dup.text(0), dup.int64(1), dup.int64(2), req.user, req.id, dup.text(3)}, true};
      dup.bind();
      return a;
    }
    if (req.require_member) {
      auto& member = db.prepare("SELECT 1 FROM members WHERE room=?1 AND user=?2");
      member.bind(req.room, req.user);
      bool is_member = member.step();
      member.bind();
      if (!is_member) {
        auto& exists = db.prepare("SELECT 1 FROM rooms WHERE name=?1");
        exists.bind(req.room);
        bool room_exists = exists.step();
        exists.bind();
        if (!room_exists) return Status::not_found("no room " + req.room);
        return Status::forbidden(req.user + " is not a member of " + req.room);
      }
    }
    auto& next = db.prepare("UPDATE rooms SET last_seq = last_seq + 1 WHERE name=?1 RETURNING last_seq");
    next.bind(req.room);
    if (!next.step()) return Status::not_found("no room " + req.room);
    int64_t seq = next.int64(0);
    while (next.step()) {}
    db.prepare("INSERT INTO messages(room, seq, ts, user, client_id, text) VALUES(?1,?2,?3,?4,?5,?6)")
        .bind(req.room, seq, req.ts, req.user, req.id, req.text)
        .step();
    return Appended{ChatMessage{req.room, seq, req.ts, req.user, req.id, req.text}, false};
  });
}

void SqliteStore::create_room(std::string room, Callback<bool> done) {
  impl_->write<bool>(std::move(done), [=](SqliteDb& db) -> Result<bool> {
    db.prepare("INSERT OR IGNORE INTO rooms(name, last_seq, created_ms) VALUES(?1, 0, ?2)").bind(room, now_ms()).step();
    return db.changes() > 0;
  });
}

void SqliteStore::room(std::string room, Callback<RoomState> done) {
  impl_->read<RoomState>(std::move(done), [=](SqliteDb& db) -> Result<RoomState> {
    auto& st = db.prepare("SELECT last_seq FROM rooms WHERE name=?1");
    st.bind(room);
    if (!st.step()) return Status::not_found("no room " + room);
    RoomState s{room, st.int64(0), 0};
    st.bind();
    return s;
  });
}

void SqliteStore::ping(Callback<bool> done) {
  // Reads a page of the database (not just "SELECT 1"): the file must still be readable.
  impl_->read<bool>(std::move(done), [](SqliteDb& db) -> Result<bool> {
    auto& st = db.prepare("SELECT count(*) FROM (SELECT 1 FROM rooms LIMIT 1)");
    st.bind();
    st.step();
    st.bind();
    return true;
  });
}

void SqliteStore::join(std::string room, std::string user, int max_rooms, Callback<RoomState> done) {
  impl_->write<RoomState>(std::move(done), [=](SqliteDb& db) -> Result<RoomState> {
    auto& state = db.prepare(
        "SELECT r.last_seq, m.read_seq FROM members m JOIN rooms r ON r.name = m.room "
        "WHERE m.room=?1 AND m.user=?2");
    state.bind(room, user);
    if (state.step()) {
      RoomState s{room, state.int64(0), state.int64(1)};
      state.bind();
      return s;
    }
    auto& count = db.prepare("SELECT count(*) FROM members WHERE user=?1");
    count.bind(user);
    count.step();
    int64_t n = count.int64(0);
    count.bind();
    if (n >= max_rooms) return Status::limit_exceeded("a user may be in at most " + std::to_string(max_rooms) + " rooms");
    int64_t now = now_ms();
    db.prepare("INSERT OR IGNORE INTO rooms(name, last_seq, created_ms) VALUES(?1, 0, ?2)").bind(room, now).step();
    db.prepare("INSERT INTO members(room, user, read_seq, joined_ms) VALUES(?1, ?2, 0, ?3)")
        .bind(room, user, now)
        .step();
    auto& last = db.prepare("SELECT last_seq FROM rooms WHERE name=?1");
    last.bind(room);
    last.step();
    RoomState s{room, last.int64(0), 0};
    last.bind();
    return s;
  });
}

void SqliteStore::leave(std::string room, std::string user, Callback<bool> done) {
  impl_->write<bool>(std::move(done), [=](SqliteDb& db) -> Result<bool> {
    db.prepare("DELETE FROM members WHERE room=?1 AND user=?2").bind(room, user).step();
    if (db.changes() == 0) return Status::not_found("not a member of " + room);
    return true;
  });
}

void SqliteStore::set_read(std::string room, std::string user, int64_t seq, Callback<bool> done) {
  impl_->write<bool>(std::move(done), [=](SqliteDb& db) -> Result<bool> {
    auto& state = db.prepare(
        "SELECT r.last_seq, m.read_seq FROM members m JOIN rooms r ON r.name = m.room "
        "WHERE m.room=?1 AND m.user=?2");
    state.bind(room, user);
    if (!state.step()) return Status::not_found("not a member of " + room);
    int64_t last = state.int64(0), read = state.int64(1);
    state.bind();
    if (seq > last) return Status::invalid("seq " + std::to_string(seq) + " is past the room's last seq " + std::to_string(last));
    if (seq <= read) return false;
    db.prepare("UPDATE members SET read_seq=?3 WHERE room=?1 AND user=?2").bind(room, user, seq).step();
    return true;
  });
}

void SqliteStore::rooms_of(std::string user, Callback<std::vector<RoomState>> done) {
  impl_->read<std::vector<RoomState>>(std::move(done), [=](SqliteDb& db) -> Result<std::vector<RoomState>> {
    auto& st = db.prepare(
        "SELECT m.room, r.last_seq, m.read_seq FROM members m JOIN rooms r ON r.name = m.room "
        "WHERE m.user=?1 ORDER BY m.room");
    st.bind(user);
    std::vector<RoomState> rooms;
    while (st.step()) rooms.push_back(RoomState{st.text(0), st.int64(1), st.int64(2)});
    return rooms;
  });
}

void SqliteStore::after(std::string room, int64_t after, int limit, Callback<MessagePage> done) {
  impl_->read<MessagePage>(std::move(done), [=](SqliteDb& db) -> Result<MessagePage> {
    auto& st = db.prepare(
        "SELECT seq, ts, user, client_id, text FROM messages WHERE room=?1 AND seq>?2 ORDER BY seq LIMIT ?3");
    st.bind(room, after, limit + 1);
    auto page = read_page(st, limit);
    for (auto& m : page.messages) m.room = room;
    return page;
  });
}

void SqliteStore::before(std::string room, std::optional<int64_t> before, int limit,
                         Callback<MessagePage> done) {
  impl_->read<MessagePage>(std::move(done), [=](SqliteDb& db) -> Result<MessagePage> {
    auto& st = db.prepare(
        "SELECT seq, ts, user, client_id, text FROM messages WHERE room=?1 AND seq<?2 "
        "ORDER BY seq DESC LIMIT ?3");
    st.bind(room, before.value_or(INT64_MAX), limit + 1);
    auto page = read_page(st, limit);
    std::reverse(page.messages.begin(), page.messages.end());
    for (auto& m : page.messages) m.room = room;
    return page;
  });
}

void SqliteStore::create_user(std::string name, std::string password_hash, Callback<bool> done) {
  impl_->write<bool>(std::move(done), [=](SqliteDb& db) -> Result<bool> {
    db.prepare("INSERT OR IGNORE INTO users(name, pw_hash, created_ms) VALUES(?1, ?2, ?3)")
        .bind(name, password_hash, now_ms())
        .step();
    if (db.changes() == 0) return Status::conflict("user name taken");
    return true;
  });
}

void SqliteStore::password_hash(std::string name, Callback<std::string> done) {
  impl_->read<std::string>(std::move(done), [=](SqliteDb& db) -> Result<std::string> {
    auto& st = db.prepare("SELECT pw_hash FROM users WHERE name=?1");
    st.bind(name);
    if (!st.step()) return Status::not_found("no such user");
    auto hash = st.text(0);
    st.bind();
    return hash;
  });
}

}  // namespace parley
