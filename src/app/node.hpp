#pragma once
// The composition root: owns the store, bus, hub, network and threads of one parleyd process.
#include <memory>

#include "common/status.hpp"
#include "config/options.hpp"

namespace parley {

class Node {
 public:
  explicit Node(Options options);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Opens the store and binds the listener; prints the "listening" line to stdout.
  Status start();
  // Serves until SIGTERM/SIGINT, then drains: stops accepting, closes every connection with
  // 1012, commits pending store writes, and returns (within 10 s).
  void run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// What a parleyd binary's main does after parsing its options: sets up logging under `name`,
// starts a node, serves until SIGTERM/SIGINT. Returns the process exit code.
int serve(const char* name, Options options);

}  // namespace parley
