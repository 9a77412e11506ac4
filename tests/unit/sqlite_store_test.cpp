// The SQLite store's rules, on a temporary database file.
#include "store/sqlite_store.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <atomic>
#include <future>
#include <random>
#include <sqlite3.h>
#include <vector>

using namespace parley;

namespace {

template <class T, class F>
Result<T> call(F&& start) {
  std::promise<Result<T>> p;
  auto f = p.get_future();
  start([&p](Result<T> r) { p.set_value(std::move(r)); });
  return f.get();
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("parley-store-" + std::to_string(::getpid()) + "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void reopen() {
    store_.reset();
    auto s = SqliteStore::open({(dir_ / "t.db").string(), "normal", 64});
    ASSERT_TRUE(s.ok()) << s.status.message();
    store_ = std::move(s.value);
  }
  Result<RoomState> join(const std::string& room, const std::string& user, int max = 10) {
    return call<RoomState>([&](auto cb) { store_->join(JoinRequest{room, user, max}, cb); });
  }
  Result<Appended> append(const std::string& room, const std::string& user, const std::string& id) {
    return call<Appended>([&](auto cb) { store_->append({room, user, id, "text " + id, 1000}, cb); });
  }

  std::filesystem::path dir_;
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(SqliteStoreTest, SeqIsPerRoomGapFreeAndDedupSurvivesReopen) {
  ASSERT_TRUE(join("a", "alice").ok());
  ASSERT_TRUE(join("b", "alice").ok());
  EXPECT_EQ(append("a", "alice", "1").value.message.seq, 1);
  EXPECT_EQ(append("a", "alice", "2").value.message.seq, 2);
  EXPECT_EQ(append("b", "alice", "3").value.message.seq, 1);
  reopen();
  auto again = append("a", "alice", "2");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again.value.duplicate);
  EXPECT_EQ(again.value.message.seq, 2);
  EXPECT_EQ(append("a", "alice", "4").value.message.seq, 3);
}

TEST_F(SqliteStoreTest, ConcurrentAppendsAreGroupCommittedInOrder) {
  ASSERT_TRUE(join("a", "alice").ok());
  constexpr int n = 500;
  std::vector<int64_t> seqs;
  std::mutex mu;
  std::promise<void> all;
  std::atomic<int> left{n};
  for (int i = 0; i < n; ++i) {
    store_->append({"a", "alice", "id" + std::to_string(i), "x", 1}, [&](Result<Appended> r) {
      ASSERT_TRUE(r.ok());
      {
        std::lock_guard lock(mu);
        seqs.push_back(r.value.message.seq);
      }
      if (--left == 0) all.set_value();
    });
  }
  all.get_future().wait();
  for (int i = 0; i < n; ++i) EXPECT_EQ(seqs[i], i + 1) << "callbacks run in seq order";
}

TEST_F(SqliteStoreTest, MembershipReadsAndLimits) {
  ASSERT_TRUE(join("a", "alice", 1).ok());
  EXPECT_EQ(join("b", "alice", 1).status.code(), Status::Code::limit_exceeded);
  EXPECT_TRUE(join("a", "alice", 1).ok()) << "rejoining is not a new membership";
  append("a", "alice", "1");
  append("a", "alice", "2");
  EXPECT_TRUE(call<ReadResult>([&](auto cb) { store_->set_read("a", "alice", 2, cb); }).value.moved);
  EXPECT_FALSE(call<ReadResult>([&](auto cb) { store_->set_read("a", "alice", 1, cb); }).value.moved);
  EXPECT_EQ(call<ReadResult>([&](auto cb) { store_->set_read("a", "alice", 3, cb); }).status.code(), Status::Code::invalid);
  EXPECT_EQ(call<ReadResult>([&](auto cb) { store_->set_read("a", "bob", 1, cb); }).status.code(), Status::Code::not_found);
  auto rooms = call<std::vector<RoomState>>([&](auto cb) { store_->rooms_of("alice", cb); });
  ASSERT_EQ(rooms.value.size(), 1u);
  EXPECT_EQ(rooms.value[0].last_seq, 2);
  EXPECT_EQ(rooms.value[0].read_seq, 2);
  EXPECT_TRUE(call<bool>([&](auto cb) { store_->leave("a", "alice", cb); }).ok());
  EXPECT_EQ(call<bool>([&](auto cb) { store_->leave("a", "alice", cb); }).status.code(), Status::Code::not_found);
}

TEST_F(SqliteStoreTest, PagesAfterAndBefore) {
  join("a", "alice");
  for (int i = 1; i <= 10; ++i) append("a", "alice", std::to_string(i));
  auto after = call<MessagePage>([&](auto cb) { store_->after("a", 7, 5, cb); });
  ASSERT_EQ(after.value.messages.size(), 3u);
  EXPECT_EQ(after.value.messages[0].seq, 8);
  EXPECT_FALSE(after.value.has_more);
  auto newest = call<MessagePage>([&](auto cb) { store_->before("a", std::nullopt, 4, cb); });
  ASSERT_EQ(newest.value.messages.size(), 4u);
  EXPECT_EQ(newest.value.messages.front().seq, 7);
  EXPECT_EQ(newest.value.messages.back().seq, 10);
  EXPECT_TRUE(newest.value.has_more);
  auto oldest = call<MessagePage>([&](auto cb) { store_->before("a", 3, 50, cb); });
  ASSERT_EQ(oldest.value.messages.size(), 2u);
  EXPECT_FALSE(oldest.value.has_more);
}

TEST_F(SqliteStoreTest, UsersAndMetacharacters) {
  EXPECT_TRUE(call<bool>([&](auto cb) { store_->create_user("bob", "h1", cb); }).ok());
  EXPECT_EQ(call<bool>([&](auto cb) { store_->create_user("bob", "h2", cb); }).status.code(), Status::Code::conflict);
  EXPECT_EQ(call<std::string>([&](auto cb) { store_->password_hash("bob", cb); }).value, "h1");
  EXPECT_EQ(call<std::string>([&](auto cb) { store_->password_hash("x' OR '1'='1", cb); }).status.code(),
            Status::Code::not_found);
  join("a", "alice");
  auto r = call<Appended>([&](auto cb) { store_->append({"a", "alice", "q", "'); DROP TABLE messages; --", 1}, cb); });
  ASSERT_TRUE(r.ok());
  auto page = call<MessagePage>([&](auto cb) { store_->after("a", 0, 5, cb); });
  EXPECT_EQ(page.value.messages.at(0).text, "'); DROP TABLE messages; --");
}

TEST_F(SqliteStoreTest, CloseCommitsQueuedWritesThenRefuses) {
  join("a", "alice");
  std::atomic<int> acked{0};
  for (int i = 0; i < 100; ++i) {
    store_->append({"a", "alice", "c" + std::to_string(i), "x", 1}, [&](Result<Appended> r) { acked += r.ok(); });
  }
  store_->close();
  EXPECT_EQ(acked.load(), 100);
  EXPECT_EQ(append("a", "alice", "late").status.code(), Status::Code::unavailable);
  reopen();
  auto rooms = call<std::vector<RoomState>>([&](auto cb) { store_->rooms_of("alice", cb); });
  EXPECT_EQ(rooms.value.at(0).last_seq, 100);
}

}  // namespace

// An operation that breaks midway (here: its INSERT is aborted by a trigger after its UPDATE
// of the room's seq) fails alone and leaves nothing behind, while the operations batched with
// it commit: no seq is burnt, no half-written message.
TEST_F(SqliteStoreTest, AnOperationBrokenMidwayFailsAloneWithoutAGap) {
  ASSERT_TRUE(join("a", "alice").ok());
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ / "t.db").c_str(), &raw), SQLITE_OK);
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(raw,
                           "CREATE TRIGGER boom BEFORE INSERT ON messages WHEN NEW.client_id = 'boom' "
                           "BEGIN SELECT RAISE(ABORT, 'refused by the test trigger'); END",
                           nullptr, nullptr, &err),
              SQLITE_OK)
        << (err ? err : "");
    sqlite3_close(raw);
  }
  reopen();  // the writer's prepared statements see the new schema
  std::vector<std::future<Result<Appended>>> results;
  for (const char* id : {"one", "boom", "two", "three"}) {
    auto p = std::make_shared<std::promise<Result<Appended>>>();
    results.push_back(p->get_future());
    store_->append({"a", "alice", id, std::string("text ") + id, 1000}, [p](Result<Appended> r) { p->set_value(std::move(r)); });
  }
  std::vector<Result<Appended>> r;
  for (auto& f : results) r.push_back(f.get());
  ASSERT_TRUE(r[0].ok()) << r[0].status.message();
  EXPECT_FALSE(r[1].ok());
  EXPECT_NE(r[1].status.message().find("refused by the test trigger"), std::string::npos) << r[1].status.message();
  ASSERT_TRUE(r[2].ok()) << r[2].status.message();
  ASSERT_TRUE(r[3].ok()) << r[3].status.message();
  EXPECT_EQ(r[0].value.message.seq, 1);
  EXPECT_EQ(r[2].value.message.seq, 2) << "the broken operation's seq was rolled back";
  EXPECT_EQ(r[3].value.message.seq, 3);
  auto page = call<MessagePage>([&](auto cb) { store_->after("a", 0, 50, cb); });
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page.value.messages.size(), 3u);
  EXPECT_EQ(page.value.messages[1].id, "two");
  EXPECT_EQ(join("a", "alice").value.last_seq, 3);
}

namespace {

// Search indexing runs after the append, in bulk: a search still sees every message acked
// before it, an edit or deletion made before the message was indexed counts, and a message
// stored but not indexed when the store went away is searchable after the next open.
TEST_F(SqliteStoreTest, MessagesAckedBeforeASearchAreFoundAndIndexedStateSurvivesReopen) {
  ASSERT_TRUE(join("a", "alice").ok());
  auto text = [&](const std::string& id, const std::string& t, EntryKind kind = EntryKind::message, int64_t target = 0) {
    AppendRequest r{"a", "alice", id, t, 1000};
    r.kind = kind;
    r.target = target;
    r.edit_window_ms = 1000000;
    return call<Appended>([&](auto cb) { store_->append(r, cb); });
  };
  auto search = [&](const std::string& words) {
    return call<std::vector<ChatMessage>>([&](auto cb) { store_->search(SearchQuery{"alice", words, "", 10}, cb); });
  };
  ASSERT_TRUE(text("1", "apples today").ok());
  ASSERT_TRUE(text("2", "pears today").ok());
  ASSERT_TRUE(text("3", "plums today").ok());
  ASSERT_TRUE(text("e", "cherries today", EntryKind::edited, 2).ok());
  ASSERT_TRUE(text("d", "", EntryKind::deleted, 3).ok());
  EXPECT_EQ(search("apples").value.size(), 1u);
  EXPECT_TRUE(search("pears").value.empty()) << "the edit replaced the text before it was indexed";
  EXPECT_EQ(search("cherries").value.size(), 1u);
  EXPECT_TRUE(search("plums").value.empty()) << "deleted before it was indexed";
  ASSERT_TRUE(text("4", "figs later").ok());
  reopen();  // "figs" was acked, not searched for: the open indexes it
  ASSERT_EQ(search("figs").value.size(), 1u);
  EXPECT_EQ(search("today").value.size(), 2u);
}

// The writer hands out seqs from memory and writes rooms.last_seq once per transaction: a join
// behind appends in the same batch, and a reopen, see the last seq.
TEST_F(SqliteStoreTest, LastSeqIsCurrentForJoinsInTheSameBatchAndAfterReopen) {
  ASSERT_TRUE(join("a", "alice").ok());
  std::vector<std::future<Result<Appended>>> appends;
  std::vector<std::promise<Result<Appended>>> ps(20);
  for (int i = 0; i < 20; ++i) {
    appends.push_back(ps[i].get_future());
    store_->append({"a", "alice", "m" + std::to_string(i), "x", 1000}, [&ps, i](Result<Appended> r) { ps[i].set_value(std::move(r)); });
  }
  std::promise<Result<RoomState>> joined;
  store_->join(JoinRequest{"a", "bob", 10}, [&](Result<RoomState> r) { joined.set_value(std::move(r)); });
  auto state = joined.get_future().get();
  for (auto& f : appends) ASSERT_TRUE(f.get().ok());
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state.value.last_seq, 20);
  reopen();
  EXPECT_EQ(append("a", "alice", "after").value.message.seq, 21);
  EXPECT_EQ(join("a", "carol").value.last_seq, 21);
}

// A database written before room kinds, moderation and search (schema version 1): opening
// it migrates in place, and its messages become searchable.
TEST(SqliteMigration, AVersionOneDatabaseIsUpgradedAndSearchable) {
  auto dir = std::filesystem::temp_directory_path() / ("parley-migrate-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "old.db").string();
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  const char* v1 = R"sql(
    CREATE TABLE users(name TEXT PRIMARY KEY, pw_hash TEXT NOT NULL, created_ms INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE rooms(name TEXT PRIMARY KEY, last_seq INTEGER NOT NULL DEFAULT 0, created_ms INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE members(room TEXT NOT NULL, user TEXT NOT NULL, read_seq INTEGER NOT NULL DEFAULT 0,
      joined_ms INTEGER NOT NULL, PRIMARY KEY(room, user)) WITHOUT ROWID;
    CREATE INDEX members_by_user ON members(user, room);
    CREATE TABLE messages(room TEXT NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL, user TEXT NOT NULL,
      client_id TEXT NOT NULL, text TEXT NOT NULL, PRIMARY KEY(room, seq)) WITHOUT ROWID;
    CREATE UNIQUE INDEX messages_dedup ON messages(user, client_id);
    INSERT INTO rooms VALUES('general', 2, 1);
    INSERT INTO members VALUES('general', 'alice', 0, 1);
    INSERT INTO messages VALUES('general', 1, 10, 'alice', 'a1', 'old news');
    INSERT INTO messages VALUES('general', 2, 20, 'alice', 'a2', 'older news travels');
    PRAGMA user_version=1;
  )sql";
  ASSERT_EQ(sqlite3_exec(raw, v1, nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(raw);

  auto opened = SqliteStore::open({path, "normal", 64});
  ASSERT_TRUE(opened.ok()) << opened.status.message();
  auto& store = *opened.value;
  auto rooms = call<std::vector<RoomState>>([&](auto cb) { store.rooms_of("alice", cb); });
  ASSERT_EQ(rooms.value.size(), 1u);
  EXPECT_EQ(rooms.value[0].kind, RoomKind::public_room);
  EXPECT_EQ(rooms.value[0].last_seq, 2);
  auto found = call<std::vector<ChatMessage>>([&](auto cb) { store.search(SearchQuery{"alice", "news", "", 10}, cb); });
  ASSERT_EQ(found.value.size(), 2u);
  EXPECT_EQ(found.value[0].seq, 2) << "newest first";
  // The old rows take edits like new ones, and new messages are searchable too.
  AppendRequest edit{"general", "alice", "e1", "fresh news", 30};
  edit.kind = EntryKind::edited;
  edit.target = 1;
  edit.edit_window_ms = 1000;
  ASSERT_TRUE(call<Appended>([&](auto cb) { store.append(edit, cb); }).ok());
  auto fresh = call<std::vector<ChatMessage>>([&](auto cb) { store.search(SearchQuery{"alice", "fresh", "", 10}, cb); });
  ASSERT_EQ(fresh.value.size(), 1u);
  EXPECT_EQ(fresh.value[0].seq, 1);
  opened.value.reset();
  std::filesystem::remove_all(dir);
}

}  // namespace

namespace {

// The recent-entries window answers sync/history pages exactly as the database does: the same
// pages, asked of a store that kept its window through edits, deletions, reactions and replies and of
// the same file opened again (an empty window: every page from SQLite), are equal.
std::string describe(const MessagePage& p) {
  std::string s = p.has_more ? "more;" : "last;";
  for (auto& m : p.messages) {
    s += std::to_string(m.seq) + ":" + std::to_string(m.ts) + ":" + m.user + ":" + m.id + ":" + m.text + ":" +
         std::to_string(static_cast<int>(m.kind)) + ":" + std::to_string(m.target) + ":" + std::to_string(m.edited_ts) +
         ":" + (m.deleted ? "D" : "-") + ":" + std::to_string(m.reply_to) + ":" + std::to_string(m.reply_count) + ":" +
         std::to_string(m.last_reply_ts) + ":" + m.data + ":" + (m.mention_room ? "@room" : "");
    for (auto& u : m.mentions) s += "@" + u;
    for (auto& r : m.reactions) {
      s += "[" + r.emoji;
      for (auto& u : r.users) s += "," + u;
      s += "]";
    }
    s += ";";
  }
  return s;
}

}  // namespace

TEST_F(SqliteStoreTest, TheRecentWindowAnswersPagesAsTheDatabaseDoes) {
  ASSERT_TRUE(join("a", "alice").ok());
  ASSERT_TRUE(join("a", "bob").ok());
  std::mt19937 rng(7);
  std::vector<int64_t> messages;  // seqs of messages, not deleted
  int ids = 0;
  for (int i = 0; i < 400; ++i) {
    AppendRequest req{"a", rng() % 2 ? "alice" : "bob", "id" + std::to_string(++ids), "text " + std::to_string(i),
                      1000 + i};
    const unsigned pick = rng() % 10;
    if (!messages.empty() && pick >= 6) {
      // Mostly recent targets (in the window), sometimes old ones (outside it).
      const std::size_t back = rng() % 4 == 0 ? rng() % messages.size() : rng() % std::min<std::size_t>(messages.size(), 20);
      req.target = messages[messages.size() - 1 - back];
      req.edit_window_ms = 1'000'000'000;
      req.moderator = true;
      req.kind = pick == 6 ? EntryKind::edited : pick == 7 ? EntryKind::deleted
               : pick == 8 ? EntryKind::reaction_add : EntryKind::reaction_remove;
      if (req.kind == EntryKind::edited) req.user = "alice";
      if (req.kind == EntryKind::reaction_add || req.kind == EntryKind::reaction_remove) {
        req.text = rng() % 2 ? "👍" : "🎉";
      }
    } else if (!messages.empty() && pick >= 3) {
      // A reply (its thread's first message counts it), with data and mentions now and then.
      const std::size_t back = rng() % 4 == 0 ? rng() % messages.size() : rng() % std::min<std::size_t>(messages.size(), 20);
      req.reply_to = messages[messages.size() - 1 - back];
      if (pick == 4) req.data = R"({"n":)" + std::to_string(i) + "}";
      if (pick == 5) req.mentions = {"bob"}, req.mention_room = true;
    }
    auto r = call<Appended>([&](auto cb) { store_->append(req, cb); });
    if (!r.ok()) continue;  // an edit of someone else's message: refused, nothing stored
    if (req.kind == EntryKind::message) messages.push_back(r.value.message.seq);
    if (req.kind == EntryKind::deleted) std::erase(messages, req.target);
  }
  struct Ask {
    bool after;
    int64_t at;
    int limit;
  };
  std::vector<Ask> asks;
  for (int64_t at = 0; at <= 420; at += 7) asks.push_back({true, at, 1 + static_cast<int>(at % 60)});
  for (int64_t at = 1; at <= 420; at += 7) asks.push_back({false, at, 1 + static_cast<int>(at % 60)});
  asks.push_back({false, -1, 50});  // the newest page
  for (int64_t at : {1, 2, 50, 400}) asks.push_back({false, at, 0});  // limit 0: only has_more
  asks.push_back({true, 0, 0});
  auto page = [&](const Ask& a, bool* inline_answer) {
    std::atomic<bool> returned{false};  // the store's thread may answer while we return
    bool answered_inline = false;
    auto r = call<MessagePage>([&](auto cb) {
      auto wrapped = [&, cb](Result<MessagePage> p) {
        if (!returned) answered_inline = true;
        cb(std::move(p));
      };
      if (a.after) {
        store_->after("a", a.at, a.limit, wrapped);
      } else {
        store_->before("a", a.at < 0 ? std::nullopt : std::optional<int64_t>(a.at), a.limit, wrapped);
      }
      returned = true;
    });
    if (inline_answer) *inline_answer = answered_inline;
    EXPECT_TRUE(r.ok());
    return describe(r.value);
  };
  std::vector<std::string> from_window;
  int inline_answers = 0;
  for (auto& a : asks) {
    bool in = false;
    from_window.push_back(page(a, &in));
    inline_answers += in;
  }
  EXPECT_GT(inline_answers, 20) << "the window answered too few pages for the test to mean much";
  EXPECT_LT(inline_answers, static_cast<int>(asks.size())) << "older pages must come from the database";
  reopen();
  for (std::size_t i = 0; i < asks.size(); ++i) {
    EXPECT_EQ(page(asks[i], nullptr), from_window[i])
        << (asks[i].after ? "after " : "before ") << asks[i].at << " limit " << asks[i].limit;
  }
}
