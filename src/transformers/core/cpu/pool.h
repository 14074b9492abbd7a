#pragma once
// A small work-sharing pool for the decode-time kernels (gemv, attention, norms).
//
// Note [Decode thread pool]
// A decode step runs a few hundred short parallel loops (each a few hundred microseconds). With
// OpenMP every loop ends in a barrier that waits for every thread to arrive: when the machine is
// shared and a thread is descheduled, the others spin until it runs again (measured here, load
// average 7 on 2 cores: 0.9 tokens/s with libgomp's default spinning, 7.0 with
// OMP_WAIT_POLICY=passive). Here a loop is cut into chunks that threads claim from a counter; the
// caller claims chunks too and waits only for chunks already claimed, never for a thread that has
// not started, so a descheduled worker costs nothing. Idle workers spin briefly (the next loop
// usually follows within microseconds), then sleep on a futex.
//
// Threads: runtime::num_threads() in all (the caller plus num_threads() - 1 workers). A call from
// inside a pool job or an OpenMP region, or while another thread uses the pool, runs serially;
// inside a chunk, OpenMP regions and OpenBLAS calls run on the calling thread alone (a chunk may
// call a single-threaded sgemm on its slice).
#include <cstdint>

namespace transformers::cpu {

// fn(ctx, begin, end) over [0, n) in chunks of at most `grain` (the last may be shorter). fn
// must not throw: other threads may still be running chunks that use the caller's state.
using RangeFn = void (*)(void* ctx, int64_t begin, int64_t end);
void parallel_for(int64_t n, int64_t grain, RangeFn fn, void* ctx);

// Convenience for lambdas: f(begin, end).
template <typename F>
void parallel_for(int64_t n, int64_t grain, F& f) {
  parallel_for(n, grain, [](void* c, int64_t b, int64_t e) { (*static_cast<F*>(c))(b, e); }, static_cast<void*>(&f));
}

// A grain giving about `per_thread` chunks per thread, at least `min_grain`.
int64_t grain_for(int64_t n, int64_t min_grain, int per_thread = 8);

}  // namespace transformers::cpu
