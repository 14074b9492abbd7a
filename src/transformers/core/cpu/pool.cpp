#include "transformers/core/cpu/pool.h"

#include <immintrin.h>
#include <omp.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "transformers/core/runtime.h"

namespace transformers::cpu {

namespace {
// The claim word: generation in the high 32 bits, the next chunk index in the low 32. A job is
// closed by setting the index to kClosed, so that a worker that read the job's fields late can
// never claim a chunk of a finished job (its compare-and-swap expects an index < chunks).
constexpr uint64_t kClosed = 0xffffffffu;
// How long an idle worker spins before it sleeps: decode loops follow each other within
// microseconds, a new token within milliseconds.
constexpr auto kSpin = std::chrono::microseconds(100);

thread_local bool in_job = false;

struct Pool {
  std::atomic<RangeFn> fn{nullptr};
  std::atomic<void*> ctx{nullptr};
  std::atomic<int64_t> n{0}, grain{1};
  std::atomic<uint64_t> chunks{0};
  std::atomic<uint64_t> next{0};
  std::atomic<uint64_t> done{0};
  std::atomic<uint32_t> epoch{0};
  std::atomic<int> sleepers{0};
  std::atomic<bool> stop{false};
  uint64_t generation = 0;
  std::vector<std::thread> workers;
  std::mutex busy;  // one caller at a time
  int threads = 1;

  // Claims and runs chunks of generation g until none are left. `w` is a claim word of g.
  void work(uint64_t w) {
    const uint64_t g = w >> 32;
    const RangeFn f = fn.load(std::memory_order_relaxed);
    void* c = ctx.load(std::memory_order_relaxed);
    const int64_t total = n.load(std::memory_order_relaxed), step = grain.load(std::memory_order_relaxed);
    const uint64_t count = chunks.load(std::memory_order_relaxed);
    while (true) {
      if ((w >> 32) != g || (w & kClosed) >= count) return;
      if (!next.compare_exchange_weak(w, w + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
      const int64_t begin = int64_t(w & kClosed) * step;
      f(c, begin, std::min(total, begin + step));
      done.fetch_add(1, std::memory_order_release);
      w = next.load(std::memory_order_acquire);
    }
  }

  void worker_loop() {
    in_job = true;  // nested parallel_for calls from a chunk run serially
    omp_set_num_threads(1);  // and so do OpenMP regions and OpenBLAS calls (its OpenMP build)
    uint64_t seen = next.load(std::memory_order_acquire) >> 32;
    while (true) {
      uint64_t w = next.load(std::memory_order_acquire);
      if ((w >> 32) == seen && !stop.load(std::memory_order_relaxed)) {
        const auto until = std::chrono::steady_clock::now() + kSpin;
        for (int i = 0;; ++i) {
          _mm_pause();
          w = next.load(std::memory_order_acquire);
          if ((w >> 32) != seen || stop.load(std::memory_order_relaxed)) break;
          if ((i & 63) == 63 && std::chrono::steady_clock::now() > until) {
            // Sleep. The Dekker pair (sleepers then next here, next then sleepers in the
            // caller, both seq_cst) makes sure one side sees the other: no lost wake-up.
            sleepers.fetch_add(1, std::memory_order_seq_cst);
            const uint32_t e = epoch.load(std::memory_order_seq_cst);
            w = next.load(std::memory_order_seq_cst);
            if ((w >> 32) == seen && !stop.load(std::memory_order_seq_cst)) epoch.wait(e, std::memory_order_seq_cst);
            sleepers.fetch_sub(1, std::memory_order_seq_cst);
            w = next.load(std::memory_order_acquire);
            if ((w >> 32) != seen || stop.load(std::memory_order_relaxed)) break;
            i = 0;
          }
        }
      }
      if (stop.load(std::memory_order_relaxed)) return;
      seen = w >> 32;
      work(w);
    }
  }

  void resize(int t) {
    if (t == threads) return;
    stop.store(true, std::memory_order_seq_cst);
    epoch.fetch_add(1, std::memory_order_seq_cst);
    epoch.notify_all();
    for (std::thread& th : workers) th.join();
    workers.clear();
    stop.store(false, std::memory_order_seq_cst);
    threads = t;
    for (int i = 1; i < t; ++i) workers.emplace_back([this] { worker_loop(); });
  }

  void run(int64_t total, int64_t step, RangeFn f, void* c) {
    const uint64_t count = uint64_t((total + step - 1) / step);
    fn.store(f, std::memory_order_relaxed);
    ctx.store(c, std::memory_order_relaxed);
    n.store(total, std::memory_order_relaxed);
    grain.store(step, std::memory_order_relaxed);
    chunks.store(count, std::memory_order_relaxed);
    done.store(0, std::memory_order_relaxed);
    ++generation;
    const uint64_t w = generation << 32;
    next.store(w, std::memory_order_seq_cst);
    if (sleepers.load(std::memory_order_seq_cst) > 0) {
      epoch.fetch_add(1, std::memory_order_seq_cst);
      epoch.notify_all();
    }
    in_job = true;
    work(w);
    in_job = false;
    // Only chunks that a worker already claimed are left: wait for those, yielding the core in
    // case that worker shares it.
    for (int i = 0; done.load(std::memory_order_acquire) < count; ++i) {
      if (i < 4096) _mm_pause();
      else sched_yield();
    }
    next.store(w | kClosed, std::memory_order_release);
  }
};

Pool& pool() {
  static Pool* p = new Pool();  // never destroyed: workers may still sleep at exit
  return *p;
}
}  // namespace

int64_t grain_for(int64_t n, int64_t min_grain, int per_thread) {
  const int64_t chunks = int64_t(runtime::num_threads()) * per_thread;
  return std::max<int64_t>({min_grain, (n + chunks - 1) / std::max<int64_t>(chunks, 1), 1});
}

namespace {
void serial(int64_t n, int64_t grain, RangeFn fn, void* ctx) {
  for (int64_t b = 0; b < n; b += grain) fn(ctx, b, std::min(n, b + grain));
}
}  // namespace

void parallel_for(int64_t n, int64_t grain, RangeFn fn, void* ctx) {
  if (n <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  const int threads = runtime::num_threads();
  if (threads <= 1 || n <= grain || in_job || omp_in_parallel()) {
    serial(n, grain, fn, ctx);
    return;
  }
  Pool& p = pool();
  std::unique_lock<std::mutex> lock(p.busy, std::try_to_lock);
  if (!lock.owns_lock()) {  // another thread's loop is running: do this one alone
    serial(n, grain, fn, ctx);
    return;
  }
  p.resize(threads);
  // The caller's OpenMP regions and OpenBLAS calls inside its chunks run on one thread too.
  omp_set_num_threads(1);
  p.run(n, grain, fn, ctx);
  omp_set_num_threads(threads);
}

}  // namespace transformers::cpu
