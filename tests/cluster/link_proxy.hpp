// A TCP proxy on 127.0.0.1 placed on one link of the cluster (a node and Redis, a node and
// PostgreSQL) so that a test can fault that link alone:
//
//   stall()   nothing is forwarded in either direction (reads stop, so the kernel buffers
//             fill), until resume(): then everything read so far flows on, in order
//   drop()    every open connection is reset at once (both sockets); new ones are accepted
//
// One I/O thread of its own; every control call returns once it took effect on that thread.
#pragma once

#include <cstdint>
#include <memory>

namespace parley::test::cluster {

class LinkProxy {
public:
  // Listens on a free port of 127.0.0.1, forwarding to 127.0.0.1:`target_port`.
  explicit LinkProxy(std::uint16_t target_port);
  ~LinkProxy();
  LinkProxy(const LinkProxy&) = delete;
  LinkProxy& operator=(const LinkProxy&) = delete;

  std::uint16_t port() const;
  void stall();
  void resume();
  void drop();
  // Connections accepted so far, and open now.
  int accepted() const;
  int open() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::test::cluster
