#pragma once
// The machine's limits, measured in the same process as the kernels they are compared with:
// a STREAM-like read bandwidth (sum of a buffer far larger than the last-level cache) and the
// OpenBLAS sgemm rate on large square matrices. Benchmarks report their own rates as ratios
// to these.
//
// Note [Timing on a shared machine]
// Rates use "busy time": process CPU time divided by the threads at work, i.e. the time the
// work takes while it is scheduled. On a machine that other jobs also load, wall time mostly
// measures the scheduler; busy time stays close to what a dedicated machine shows (memory
// bandwidth taken by the other jobs still counts against us). Limits and kernels are timed the
// same way, so their ratios are comparable; wall-clock rates are reported beside them.
#include <cblas.h>
#include <immintrin.h>
#include <omp.h>

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <vector>

namespace bench {

inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

inline double process_cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

// Wall and busy time (Note [Timing on a shared machine]) since construction.
struct Stopwatch {
  std::chrono::steady_clock::time_point wall0 = std::chrono::steady_clock::now();
  double cpu0 = process_cpu_seconds();
  double wall() const { return seconds_since(wall0); }
  double busy(int threads) const { return (process_cpu_seconds() - cpu0) / threads; }
};

// Four independent accumulators keep enough loads in flight to saturate memory.
__attribute__((target("avx2"))) inline float sum_avx2(const float* p, int64_t n) {
  __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    a0 = _mm256_add_ps(a0, _mm256_load_ps(p + i));
    a1 = _mm256_add_ps(a1, _mm256_load_ps(p + i + 8));
    a2 = _mm256_add_ps(a2, _mm256_load_ps(p + i + 16));
    a3 = _mm256_add_ps(a3, _mm256_load_ps(p + i + 24));
  }
  __m256 s = _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3));
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, s);
  float r = 0;
  for (float v : lanes) r += v;
  for (; i < n; ++i) r += p[i];
  return r;
}

// Read bandwidth in GB/s (1e9 bytes) with `threads` threads: best of several passes.
inline double stream_read_gbps(int threads) {
  const int64_t n = int64_t(256) << 20 >> 2;  // 256 MiB of floats, 8x a 32 MiB L3
  float* buf = static_cast<float*>(std::aligned_alloc(64, size_t(n) * sizeof(float)));
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t i = 0; i < n; ++i) buf[i] = 1.0f;  // first touch by the reading thread
  double best = 0;
  volatile float sink = 0;
  for (int pass = 0; pass < 6; ++pass) {
    Stopwatch sw;
    float total = 0;
#pragma omp parallel num_threads(threads) reduction(+ : total)
    {
      const int t = omp_get_thread_num(), nt = omp_get_num_threads();
      const int64_t chunk = (n / nt + 31) / 32 * 32;
      const int64_t begin = std::min<int64_t>(n, t * chunk), end = std::min<int64_t>(n, begin + chunk);
      total += sum_avx2(buf + begin, end - begin);
    }
    sink = sink + total;
    best = std::max(best, double(n) * sizeof(float) / sw.busy(threads) / 1e9);
  }
  std::free(buf);
  return best;
}

// OpenBLAS sgemm on n x n matrices, GFLOP/s: best of several runs.
inline double sgemm_gflops(int n, int threads) {
  std::vector<float> a(size_t(n) * n, 0.5f), b(size_t(n) * n, 0.25f), c(size_t(n) * n);
  double best = 0;
  for (int rep = 0; rep < 4; ++rep) {
    Stopwatch sw;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a.data(), n, b.data(), n,
                0.0f, c.data(), n);
    best = std::max(best, 2.0 * n * n * double(n) / sw.busy(threads) / 1e9);
  }
  return best;
}

struct Limits {
  double stream_gbps_1t, stream_gbps;  // one thread, all threads
  double sgemm_gflops;
  int threads;
};

// Measured once per process, on first use.
inline const Limits& limits() {
  static const Limits l = [] {
    Limits r;
    r.threads = omp_get_max_threads();
    r.stream_gbps_1t = stream_read_gbps(1);
    r.stream_gbps = stream_read_gbps(r.threads);
    r.sgemm_gflops = sgemm_gflops(2048, r.threads);
    return r;
  }();
  return l;
}

}  // namespace bench
