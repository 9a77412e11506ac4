#pragma once
// Process-wide allocator settings for a server that allocates and frees in bursts.

namespace parley {

// glibc malloc otherwise gives freed memory back to the kernel after every burst (a group
// commit, a fan-out) and takes it again for the next: heap trims by madvise, page faults and
// TLB shootdowns that cost the SQLite writer more than its own work. Keeps up to 256 MiB of
// freed memory per arena for reuse. Call once, before starting threads.
void tune_allocator();

}  // namespace parley
