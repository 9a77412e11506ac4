#pragma once
// A thin owner of one sqlite3 connection: prepared-statement cache and typed bind/step.
// Not thread-safe: each store thread owns its own SqliteDb.
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/status.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace parley {

class Statement {
 public:
  explicit Statement(sqlite3_stmt* s) : s_(s) {}
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Resets the statement and binds the arguments in order (1-based in SQL).
  template <class... Args>
  Statement& bind(const Args&... args) {
    reset();
    int i = 0;
    (bind_one(++i, args), ...);
    return *this;
  }
  // Advances; true while a row is available. Throws SqliteError on failure.
  bool step();
  int64_t int64(int col) const;
  std::string text(int col) const;

 private:
  void reset();
  void bind_one(int i, int64_t v);
  void bind_one(int i, int v) { bind_one(i, static_cast<int64_t>(v)); }
  void bind_one(int i, std::string_view v);
  void bind_one(int i, const std::string& v) { bind_one(i, std::string_view(v)); }
  void bind_one(int i, const char* v) { bind_one(i, std::string_view(v)); }
  sqlite3_stmt* s_;
};

struct SqliteError : std::runtime_error {
  SqliteError(const std::string& what, int error_code) : std::runtime_error(what), code(error_code) {}
  int code;  // SQLite's (extended) result code
};

// A failure of the storage under the database (full, read-only, I/O, corrupt), not of a
// statement: the writes after it fail too until it is fixed.
bool is_storage_failure(int sqlite_code);

class SqliteDb {
 public:
  // Opens (creating if needed) the database file in WAL mode with the given synchronous mode
  // ("full" or "normal") and applies pending schema migrations when `migrate` is set.
  static Result<std::unique_ptr<SqliteDb>> open(const std::string& path, const std::string& sync,
                                                bool migrate);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // The cached prepared statement for `sql` (a string literal: cached by address).
  Statement& prepare(const char* sql);
  // Runs one statement without results through the cache (BEGIN, SAVEPOINT, COMMIT…):
  // no parsing on every call, unlike exec().
  void run(const char* sql);
  void exec(const char* sql);
  int changes() const;
  int64_t last_insert_rowid() const;

 private:
  explicit SqliteDb(sqlite3* db) : db_(db) {}
  void migrate();
  sqlite3* db_;
  std::unordered_map<const char*, std::unique_ptr<Statement>> cache_;
};

}  // namespace parley
