#pragma once
// The machine's limits, measured on demand: a STREAM-like read bandwidth and the OpenBLAS sgemm
// rate. `transformers bench` reports its rates as ratios to these, measured in the same run.
// Each is the best of several passes, by wall clock and by "busy" time (process CPU time divided
// by the threads at work; Note [Timing on a shared machine] in bench/machine_limits.h).
#include <cstdint>

namespace transformers::runtime {

struct Rate {
  double wall = 0;  // best of the passes, by wall clock
  double busy = 0;  // best of the passes, by CPU time / threads
};

// Bytes per second (1e9 = GB/s) of an AVX2 sum over `bytes` of memory (far more than the last-level
// cache) on `threads` threads; best of `passes`.
Rate read_bandwidth(int threads, int64_t bytes = int64_t(256) << 20, int passes = 6);
// FLOP/s of OpenBLAS sgemm on n x n matrices with the current thread count; best of `passes`.
Rate sgemm_flops(int n = 2048, int passes = 4);

// CPU seconds of the whole process so far (all threads).
double process_cpu_seconds();

}  // namespace transformers::runtime
