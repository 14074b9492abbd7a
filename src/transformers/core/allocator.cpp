#include "transformers/core/allocator.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

#include "transformers/core/error.h"

namespace transformers::allocator {

namespace {
constexpr size_t kAlignment = 64;
// Blocks above this are returned to the system at once: big buffers are few, and keeping them
// cached would hold on to memory the OS could use.
constexpr size_t kMaxCachedBlock = size_t(256) << 20;
constexpr size_t kMaxCachedTotal = size_t(1) << 30;

size_t round_size(size_t n) { return (n + kAlignment - 1) / kAlignment * kAlignment; }

struct Cache {
  std::mutex mutex;
  std::unordered_map<size_t, std::vector<void*>> free_blocks;
  Stats stats;
};
Cache& cache() {
  static Cache* c = new Cache();  // never destroyed: blocks may be released during exit
  return *c;
}
// A block handed out: in use, and perhaps a new peak. The caller holds the cache's mutex.
void count_in_use(Stats& stats, size_t size) {
  stats.bytes_in_use += size;
  stats.peak_bytes_in_use = std::max(stats.peak_bytes_in_use, stats.bytes_in_use);
}
}  // namespace

void* allocate(size_t nbytes) {
  size_t size = round_size(nbytes == 0 ? 1 : nbytes);
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    auto it = c.free_blocks.find(size);
    if (it != c.free_blocks.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      c.stats.bytes_cached -= size;
      count_in_use(c.stats, size);
      return p;
    }
  }
  void* p = std::aligned_alloc(kAlignment, size);
  if (!p) {
    // Cached blocks of other sizes may be what is missing: hand them back and try once more,
    // as PyTorch's caching allocator does.
    empty_cache();
    p = std::aligned_alloc(kAlignment, size);
  }
  if (!p) {
    char gib[32];
    std::snprintf(gib, sizeof gib, "%.2f", double(nbytes) / double(1 << 30));
    throw Error(std::string("[memory] out of memory: could not allocate ") + gib + " GiB");
  }
  std::lock_guard<std::mutex> lock(c.mutex);
  count_in_use(c.stats, size);
  return p;
}

void release(void* ptr, size_t nbytes) {
  if (!ptr) return;
  size_t size = round_size(nbytes == 0 ? 1 : nbytes);
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    c.stats.bytes_in_use -= size;
    if (size <= kMaxCachedBlock && c.stats.bytes_cached + size <= kMaxCachedTotal) {
      c.free_blocks[size].push_back(ptr);
      c.stats.bytes_cached += size;
      return;
    }
  }
  std::free(ptr);
}

void empty_cache() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  for (auto& [size, blocks] : c.free_blocks)
    for (void* p : blocks) std::free(p);
  c.free_blocks.clear();
  c.stats.bytes_cached = 0;
}

Stats stats() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  return c.stats;
}

}  // namespace transformers::allocator
