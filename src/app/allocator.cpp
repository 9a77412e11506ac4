#include "app/allocator.hpp"

#include <malloc.h>

namespace parley {

void tune_allocator() {
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  mallopt(M_TOP_PAD, 16 << 20);
  // Fixing the mmap threshold also stops glibc from raising the trim threshold on its own.
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
}

}  // namespace parley
