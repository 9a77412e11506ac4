#pragma once
// One libpq connection with named prepared statements and text-format parameters.
// Not thread-safe: each store thread owns its own PgConn.
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "common/status.hpp"

struct pg_conn;
struct pg_result;

namespace parley {

// A failed statement; `sqlstate` tells unique violations (23505), deadlocks (40P01),
// serialization failures (40001) and lost connections (08xxx) apart.
struct PgError : std::runtime_error {
  PgError(const std::string& what, std::string state) : std::runtime_error(what), sqlstate(std::move(state)) {}
  std::string sqlstate;
  bool retryable() const { return sqlstate == "40P01" || sqlstate == "40001" || sqlstate.rfind("08", 0) == 0; }
};

class PgResult {
 public:
  explicit PgResult(pg_result* r) : r_(r, &clear) {}
  int rows() const;
  bool empty() const { return rows() == 0; }
  int64_t int64(int row, int col) const;
  std::string text(int row, int col) const;

 private:
  static void clear(pg_result* r);
  std::unique_ptr<pg_result, void (*)(pg_result*)> r_;
};

class PgConn {
 public:
  using Param = std::variant<std::string, int64_t>;

  // Connects (a libpq URI or key=value string; TLS through its sslmode/sslrootcert/...
  // options). A non-empty `password` overrides the URI's, so it need not be in a URI that
  // shows in logs or process listings. A connect (and a reconnect) waits at most 5 s unless
  // the URI sets connect_timeout. Statements named in prepare() are re-prepared after a
  // reconnect.
  static Result<std::unique_ptr<PgConn>> connect(const std::string& conninfo, const std::string& password = {});
  ~PgConn();
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;

  void prepare(const std::string& name, const std::string& sql);
  // Runs a prepared statement; throws PgError on failure.
  PgResult run(const std::string& name, const std::vector<Param>& params = {});
  // Runs plain SQL (no parameters; may hold several statements); throws PgError.
  void exec(const std::string& sql);
  // Re-establishes a lost connection (and its prepared statements). False if it cannot.
  bool reconnect();
  bool ok() const;

 private:
  explicit PgConn(pg_conn* c) : c_(c) {}
  PgResult check(pg_result* r, const std::string& what);
  pg_conn* c_;
  std::vector<std::pair<std::string, std::string>> prepared_;
};

}  // namespace parley
