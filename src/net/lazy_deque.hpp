#pragma once
// A deque that holds no memory while it is empty. std::deque allocates its map and a first
// block (about 600 bytes) when it is constructed, which an idle connection's outbound queue
// would carry for its whole life; this one allocates on the first push and frees when the
// last element leaves. Elements keep their addresses while others are pushed at the back.
#include <cstddef>
#include <deque>
#include <memory>

namespace parley {

template <class T>
class LazyDeque {
 public:
  bool empty() const { return !d_ || d_->empty(); }
  std::size_t size() const { return d_ ? d_->size() : 0; }
  T& front() { return d_->front(); }
  T& back() { return d_->back(); }
  void push_back(T v) {
    if (!d_) d_ = std::make_unique<std::deque<T>>();
    d_->push_back(std::move(v));
  }
  void pop_front() {
    d_->pop_front();
    if (d_->empty()) d_.reset();
  }
  void pop_back() {
    d_->pop_back();
    if (d_->empty()) d_.reset();
  }
  auto begin() const { return d_ ? d_->cbegin() : typename std::deque<T>::const_iterator{}; }
  auto end() const { return d_ ? d_->cend() : typename std::deque<T>::const_iterator{}; }

 private:
  std::unique_ptr<std::deque<T>> d_;
};

}  // namespace parley
