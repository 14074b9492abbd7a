#pragma once
// The caching allocator behind owned Storage: 64-byte aligned blocks, recycled by size so that
// the decode loop's same-shaped temporaries never go back to the system allocator.
#include <cstddef>

namespace transformers::allocator {

void* allocate(size_t nbytes);
void release(void* ptr, size_t nbytes);
// Returns cached blocks to the system (e.g. after loading, or in tests).
void empty_cache();

struct Stats {
  size_t bytes_in_use = 0;
  size_t bytes_cached = 0;
  size_t peak_bytes_in_use = 0;
};
Stats stats();

}  // namespace transformers::allocator
