#pragma once
// Where uploaded files' content lives, by key (an upload's id; its thumbnail's key is the id
// with kThumbSuffix). Two implementations: a directory (a single node, under data_dir) and
// PostgreSQL (a cluster: every node serves every file).
//
// Like the Store: every call is asynchronous, thread-safe and returns at once; `done` runs
// exactly once on a blob-store thread, after the content is durable (put) or read (get).
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/status.hpp"

namespace parley {

inline constexpr std::string_view kThumbSuffix = ".t";

// A part of a blob that was read, and how long the whole blob is.
struct BlobPart {
  std::string bytes;
  int64_t total = 0;
};

class BlobStore {
 public:
  template <class T>
  using Callback = std::function<void(Result<T>)>;

  virtual ~BlobStore() = default;
  // Stores `bytes` under `key` (replacing what it held).
  virtual void put(std::string key, std::string bytes, Callback<bool> done) = 0;
  // Up to `length` bytes from `offset` (length < 0: to the end). No such key: not_found.
  virtual void get(std::string key, int64_t offset, int64_t length, Callback<BlobPart> done) = 0;
  // Removes the keys; missing ones are no error.
  virtual void remove(std::vector<std::string> keys, Callback<bool> done) = 0;
  // Runs every call accepted so far, then stops the threads.
  virtual void close() = 0;
};

// Files under `dir` (created if missing), one per key.
Result<std::unique_ptr<BlobStore>> open_dir_blob_store(const std::string& dir);
// The blobs table of the PostgreSQL store at `conninfo`, over `connections` connections.
Result<std::unique_ptr<BlobStore>> open_pg_blob_store(const std::string& conninfo, const std::string& password,
                                                     int connections);

}  // namespace parley
