#include "store/pg_conn.hpp"

#include <libpq-fe.h>

#include <charconv>
#include <vector>

namespace parley {

int PgResult::rows() const { return PQntuples(r_.get()); }
int64_t PgResult::int64(int row, int col) const {
  const char* v = PQgetvalue(r_.get(), row, col);
  int64_t out = 0;
  const char* end = v + PQgetlength(r_.get(), row, col);
  auto [p, ec] = std::from_chars(v, end, out);
  // A NULL or a non-number where a number was expected: a store bug, failed as a statement.
  if (ec != std::errc{} || p != end || PQgetisnull(r_.get(), row, col)) {
    throw PgError("postgres: column " + std::to_string(col) + " is not a number", "XX000");
  }
  return out;
}
std::string PgResult::text(int row, int col) const {
  return std::string(PQgetvalue(r_.get(), row, col), PQgetlength(r_.get(), row, col));
}
void PgResult::clear(pg_result* r) { PQclear(r); }

Result<std::unique_ptr<PgConn>> PgConn::connect(const std::string& conninfo, const std::string& password) {
  // Keywords before "dbname" are defaults the URI may override; those after it override the URI.
  std::vector<const char*> keys{"connect_timeout", "dbname"};
  std::vector<const char*> values{"5", conninfo.c_str()};
  if (!password.empty()) {
    keys.push_back("password");
    values.push_back(password.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* c = PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1);
  std::unique_ptr<PgConn> conn(new PgConn(c));
  if (PQstatus(c) != CONNECTION_OK) return Status::unavailable(std::string("postgres: ") + PQerrorMessage(c));
  // NOTICEs ("relation ... already exists, skipping") are expected on every start but the first.
  PQsetNoticeProcessor(c, [](void*, const char*) {}, nullptr);
  return conn;
}

PgConn::~PgConn() { PQfinish(c_); }

bool PgConn::ok() const { return PQstatus(c_) == CONNECTION_OK; }

PgResult PgConn::check(pg_result* r, const std::string& what) {
  auto status = PQresultStatus(r);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return PgResult(r);
  std::string state;
  if (const char* s = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr) state = s;
  if (state.empty() && PQstatus(c_) != CONNECTION_OK) state = "08006";
  std::string message = what + ": " + PQerrorMessage(c_);
  PQclear(r);
  throw PgError(message, state);
}

void PgConn::prepare(const std::string& name, const std::string& sql) {
  check(PQprepare(c_, name.c_str(), sql.c_str(), 0, nullptr), "prepare " + name);
  prepared_.emplace_back(name, sql);
}

PgResult PgConn::run(const std::string& name, const std::vector<Param>& params) {
  std::vector<std::string> texts;
  texts.reserve(params.size());
  for (auto& p : params) {
    texts.push_back(std::holds_alternative<int64_t>(p) ? std::to_string(std::get<int64_t>(p)) : std::get<std::string>(p));
  }
  std::vector<const char*> values;
  std::vector<int> lengths;
  for (auto& t : texts) {
    values.push_back(t.c_str());
    lengths.push_back(static_cast<int>(t.size()));
  }
  return check(PQexecPrepared(c_, name.c_str(), static_cast<int>(values.size()), values.data(), lengths.data(),
                              nullptr, 0),
               name);
}

void PgConn::exec(const std::string& sql) { check(PQexec(c_, sql.c_str()), "exec"); }

bool PgConn::reconnect() {
  PQreset(c_);
  if (!ok()) return false;
  auto statements = std::move(prepared_);
  prepared_.clear();
  try {
    for (auto& [name, sql] : statements) prepare(name, sql);
  } catch (const PgError&) {
    return false;
  }
  return true;
}

}  // namespace parley
