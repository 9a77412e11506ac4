#pragma once
// A batch of deliveries on one thread: while it is open, a connection that gets its first frame
// does not hand its flush to its own executor at once but at the end of the batch, so every
// frame the batch queued for it (the acks and messages of a whole store commit for a room)
// leaves in one write. Opened by whoever runs a group of completions (the lanes); a connection
// outside any batch flushes as before. Batches nest: only the outermost one flushes.
#include <memory>
#include <vector>

namespace parley {

class DeliveryBatch {
 public:
  DeliveryBatch();
  ~DeliveryBatch();
  DeliveryBatch(const DeliveryBatch&) = delete;
  DeliveryBatch& operator=(const DeliveryBatch&) = delete;

  // Runs `run(owner)` when the batch open on this thread ends. False (and nothing kept) when no
  // batch is open: the caller flushes now.
  using Flush = void (*)(void* owner);
  static bool defer(std::shared_ptr<void> owner, Flush run);

 private:
  bool outermost_;
};

}  // namespace parley
