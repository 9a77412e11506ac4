// BlobStore on a directory: a file per key under <dir>/<first two characters>/, written to a
// temporary name, synced, then renamed into place, so a crash never leaves half a file.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "store/blob_store.hpp"
#include "store/blob_threads.hpp"

namespace parley {
namespace fs = std::filesystem;

namespace {

Status errno_status(const std::string& what) { return Status::io_error(what + ": " + std::strerror(errno)); }

// Writes all of `bytes` to `fd`.
bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

class DirBlobStore final : public BlobStore {
 public:
  explicit DirBlobStore(fs::path dir) : dir_(std::move(dir)), threads_(2) {}
  ~DirBlobStore() override { close(); }

  void put(std::string key, std::string bytes, Callback<bool> done) override {
    submit(done, [this, key = std::move(key), bytes = std::move(bytes)]() -> Result<bool> {
      fs::path path = path_of(key);
      std::error_code ec;
      fs::create_directories(path.parent_path(), ec);
      if (ec) return Status::io_error("cannot create " + path.parent_path().string() + ": " + ec.message());
      fs::path tmp = path;
      tmp += ".tmp";
      int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      if (fd < 0) return errno_status("cannot create " + tmp.string());
      bool ok = write_all(fd, bytes) && ::fsync(fd) == 0;
      Status st = ok ? Status::ok() : errno_status("cannot write " + tmp.string());
      ::close(fd);
      if (ok && std::rename(tmp.c_str(), path.c_str()) != 0) {
        ok = false;
        st = errno_status("cannot rename " + tmp.string());
      }
      if (!ok) {
        ::unlink(tmp.c_str());
        return st;
      }
      // The rename itself is durable once the directory is synced.
      int dfd = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
      }
      return true;
    });
  }

  void get(std::string key, int64_t offset, int64_t length, Callback<BlobPart> done) override {
    submit(done, [this, key = std::move(key), offset, length]() -> Result<BlobPart> {
      fs::path path = path_of(key);
      int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        if (errno == ENOENT) return Status::not_found("no blob " + key);
        return errno_status("cannot open " + path.string());
      }
      BlobPart part;
      struct stat sb {};
      if (::fstat(fd, &sb) != 0) {
        ::close(fd);
        return errno_status("cannot stat " + path.string());
      }
      part.total = sb.st_size;
      int64_t from = std::clamp<int64_t>(offset, 0, part.total);
      int64_t n = length < 0 ? part.total - from : std::min(length, part.total - from);
      part.bytes.resize(static_cast<std::size_t>(n));
      int64_t got = 0;
      while (got < n) {
        ssize_t r = ::pread(fd, part.bytes.data() + got, static_cast<std::size_t>(n - got), from + got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += r;
      }
      ::close(fd);
      if (got != n) return Status::io_error("short read of " + path.string());
      return part;
    });
  }

  void remove(std::vector<std::string> keys, Callback<bool> done) override {
    submit(done, [this, keys = std::move(keys)]() -> Result<bool> {
      for (const auto& k : keys) {
        if (::unlink(path_of(k).c_str()) != 0 && errno != ENOENT) return errno_status("cannot remove blob " + k);
      }
      return true;
    });
  }

  void close() override { threads_.stop(); }

 private:
  fs::path path_of(const std::string& key) const { return dir_ / key.substr(0, 2) / key; }

  template <class T, class Fn>
  void submit(const Callback<T>& done, Fn fn) {
    if (!threads_.run([done, fn = std::move(fn)]() mutable { done(fn()); })) {
      done(Status::unavailable("blob store is closed"));
    }
  }

  fs::path dir_;
  BlobThreads threads_;
};

}  // namespace

Result<std::unique_ptr<BlobStore>> open_dir_blob_store(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::io_error("cannot create " + dir + ": " + ec.message());
  return std::unique_ptr<BlobStore>(new DirBlobStore(dir));
}

}  // namespace parley
