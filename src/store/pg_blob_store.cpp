// BlobStore in PostgreSQL's blobs table (created by the PgStore's migrations). Content goes
// over the wire as base64 (libpq's text parameters hold no NUL bytes); reads of a range fetch
// only that slice (the column is stored uncompressed, so a slice is a slice of the TOAST).
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <optional>

#include "store/blob_store.hpp"
#include "store/blob_threads.hpp"
#include "store/pg_conn.hpp"

namespace parley {

namespace {

std::string to_base64(std::string_view bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

std::optional<std::string> from_base64(std::string_view text) {
  std::string out(text.size() / 4 * 3 + 3, '\0');
  std::size_t n = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(), "\n\r ",
                        &n, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0) {
    return std::nullopt;
  }
  out.resize(n);
  return out;
}

void prepare(PgConn& db) {
  db.prepare("blob_put",
             "INSERT INTO blobs(key, data) VALUES($1, decode($2, 'base64')) "
             "ON CONFLICT (key) DO UPDATE SET data = excluded.data");
  db.prepare("blob_get", "SELECT encode(substring(data from $2::int + 1 for $3::int), 'base64'), length(data) FROM blobs WHERE key=$1");
  db.prepare("blob_del", "DELETE FROM blobs WHERE key = ANY($1::text[])");
}

// A PostgreSQL text[] literal of keys (upload ids and their thumbnails' keys: no quotes,
// commas or braces in them).
std::string key_array(const std::vector<std::string>& keys) {
  std::string out = "{";
  for (const auto& k : keys) {
    if (out.size() > 1) out += ',';
    out += '"' + k + '"';
  }
  return out + "}";
}

class PgBlobStore final : public BlobStore {
 public:
  explicit PgBlobStore(std::vector<std::unique_ptr<PgConn>> conns)
      : conns_(std::move(conns)), threads_(conns_.size()) {}
  ~PgBlobStore() override { close(); }

  void put(std::string key, std::string bytes, Callback<bool> done) override {
    submit(done, [key = std::move(key), bytes = std::move(bytes)](PgConn& db) -> Result<bool> {
      db.run("blob_put", {key, to_base64(bytes)});
      return true;
    });
  }

  void get(std::string key, int64_t offset, int64_t length, Callback<BlobPart> done) override {
    submit(done, [key = std::move(key), offset, length](PgConn& db) -> Result<BlobPart> {
      // PostgreSQL's int: blobs stay far below 2 GiB (the upload limit).
      const int64_t n = length < 0 ? int64_t{0x7fffffff} : length;
      auto r = db.run("blob_get", {key, std::max<int64_t>(offset, 0), n});
      if (r.empty()) return Status::not_found("no blob " + key);
      auto bytes = from_base64(r.text(0, 0));
      if (!bytes) return Status::io_error("blob " + key + ": bad base64 from the store");
      return BlobPart{std::move(*bytes), r.int64(0, 1)};
    });
  }

  void remove(std::vector<std::string> keys, Callback<bool> done) override {
    submit(done, [keys = std::move(keys)](PgConn& db) -> Result<bool> {
      if (!keys.empty()) db.run("blob_del", {key_array(keys)});
      return true;
    });
  }

  void close() override { threads_.stop(); }

 private:
  // Runs `fn` on the next connection's thread; a lost connection is re-established once.
  template <class T, class Fn>
  void submit(const Callback<T>& done, Fn fn) {
    const std::size_t i = next_++ % conns_.size();
    PgConn* db = conns_[i].get();
    bool queued = threads_.run(i, [db, done, fn = std::move(fn)]() mutable {
      for (int attempt = 0;; ++attempt) {
        try {
          return done(fn(*db));
        } catch (const PgError& e) {
          if (attempt == 0 && !db->ok() && db->reconnect()) continue;
          spdlog::warn("blob store: {}", e.what());
          return done(Status::unavailable(std::string("blob store: ") + e.what()));
        }
      }
    });
    if (!queued) done(Status::unavailable("blob store is closed"));
  }

  std::vector<std::unique_ptr<PgConn>> conns_;
  BlobThreads threads_;
  std::atomic<std::size_t> next_{0};
};

}  // namespace

Result<std::unique_ptr<BlobStore>> open_pg_blob_store(const std::string& conninfo, const std::string& password,
                                                     int connections) {
  std::vector<std::unique_ptr<PgConn>> conns;
  for (int i = 0; i < std::max(1, connections); ++i) {
    auto c = PgConn::connect(conninfo, password);
    if (!c.ok()) return c.status;
    try {
      prepare(*c.value);
    } catch (const PgError& e) {
      return Status::io_error(std::string("blob store: ") + e.what());
    }
    conns.push_back(std::move(c.value));
  }
  return std::unique_ptr<BlobStore>(new PgBlobStore(std::move(conns)));
}

}  // namespace parley
