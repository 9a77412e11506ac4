#pragma once
// A mutex that Clang's thread-safety analysis understands (libstdc++'s std::mutex carries no
// annotations), and the annotation macros. `make thread-safety` builds the layers without
// Beast with clang -Wthread-safety -Werror=thread-safety; other compilers ignore them.
#include <mutex>

#if defined(__clang__)
#define PARLEY_TSA(x) __attribute__((x))
#else
#define PARLEY_TSA(x)
#endif

#define CAPABILITY(x) PARLEY_TSA(capability(x))
#define SCOPED_CAPABILITY PARLEY_TSA(scoped_lockable)
#define GUARDED_BY(x) PARLEY_TSA(guarded_by(x))
#define PT_GUARDED_BY(x) PARLEY_TSA(pt_guarded_by(x))
#define REQUIRES(...) PARLEY_TSA(requires_capability(__VA_ARGS__))
#define EXCLUDES(...) PARLEY_TSA(locks_excluded(__VA_ARGS__))
#define ACQUIRE(...) PARLEY_TSA(acquire_capability(__VA_ARGS__))
#define RELEASE(...) PARLEY_TSA(release_capability(__VA_ARGS__))

namespace parley {

class CAPABILITY("mutex") Mutex {
 public:
  void lock() ACQUIRE() { mu_.lock(); }
  void unlock() RELEASE() { mu_.unlock(); }

 private:
  std::mutex mu_;
};

class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) ACQUIRE(mu) : mu_(mu) { mu_.lock(); }
  ~MutexLock() RELEASE() { mu_.unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mu_;
};

}  // namespace parley
