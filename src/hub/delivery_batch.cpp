#include "hub/delivery_batch.hpp"

namespace parley {
namespace {
thread_local int t_depth = 0;
thread_local std::vector<std::pair<std::shared_ptr<void>, DeliveryBatch::Flush>> t_deferred;
}  // namespace

DeliveryBatch::DeliveryBatch() : outermost_(t_depth++ == 0) {}

DeliveryBatch::~DeliveryBatch() {
  --t_depth;
  if (!outermost_) return;
  // A flush may open a batch of its own (it does not today): take the list first.
  auto deferred = std::move(t_deferred);
  t_deferred.clear();
  for (auto& [owner, run] : deferred) run(owner.get());
  if (deferred.capacity() <= 1024) {
    deferred.clear();
    if (t_deferred.empty()) t_deferred = std::move(deferred);  // keep the capacity for the next batch
  }
}

bool DeliveryBatch::defer(std::shared_ptr<void> owner, Flush run) {
  if (t_depth == 0) return false;
  t_deferred.emplace_back(std::move(owner), run);
  return true;
}

}  // namespace parley
