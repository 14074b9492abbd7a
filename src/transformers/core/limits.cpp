#include "transformers/core/limits.h"

#include <cblas.h>
#include <immintrin.h>
#include <omp.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <vector>

#include "transformers/core/runtime.h"

namespace transformers::runtime {

double process_cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

namespace {
struct Stopwatch {
  std::chrono::steady_clock::time_point wall0 = std::chrono::steady_clock::now();
  double cpu0 = process_cpu_seconds();
  double wall() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count(); }
  double busy(int threads) const { return (process_cpu_seconds() - cpu0) / threads; }
};

// Four independent accumulators keep enough loads in flight to saturate memory.
__attribute__((target("avx2"))) float sum_avx2(const float* p, int64_t n) {
  __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    a0 = _mm256_add_ps(a0, _mm256_load_ps(p + i));
    a1 = _mm256_add_ps(a1, _mm256_load_ps(p + i + 8));
    a2 = _mm256_add_ps(a2, _mm256_load_ps(p + i + 16));
    a3 = _mm256_add_ps(a3, _mm256_load_ps(p + i + 24));
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
  float r = 0;
  for (float v : lanes) r += v;
  for (; i < n; ++i) r += p[i];
  return r;
}
float sum_scalar(const float* p, int64_t n) {
  float r = 0;
  for (int64_t i = 0; i < n; ++i) r += p[i];
  return r;
}
}  // namespace

Rate read_bandwidth(int threads, int64_t bytes, int passes) {
  const int64_t n = bytes / int64_t(sizeof(float)) / 32 * 32;
  float* buf = static_cast<float*>(std::aligned_alloc(64, size_t(n) * sizeof(float)));
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t i = 0; i < n; ++i) buf[i] = 1.0f;  // first touch by the reading thread
  const bool avx2 = simd_level() == SimdLevel::Avx2;
  Rate best;
  volatile float sink = 0;
  for (int pass = 0; pass < passes; ++pass) {
    Stopwatch sw;
    float total = 0;
#pragma omp parallel num_threads(threads) reduction(+ : total)
    {
      const int t = omp_get_thread_num(), nt = omp_get_num_threads();
      const int64_t chunk = (n / nt + 31) / 32 * 32;
      const int64_t begin = std::min<int64_t>(n, t * chunk), end = std::min<int64_t>(n, begin + chunk);
      total += avx2 ? sum_avx2(buf + begin, end - begin) : sum_scalar(buf + begin, end - begin);
    }
    const double wall = sw.wall(), busy = sw.busy(threads);
    sink = sink + total;
    best.wall = std::max(best.wall, double(n) * sizeof(float) / wall);
    best.busy = std::max(best.busy, double(n) * sizeof(float) / busy);
  }
  std::free(buf);
  return best;
}

Rate sgemm_flops(int n, int passes) {
  std::vector<float> a(size_t(n) * n, 0.5f), b(size_t(n) * n, 0.25f), c(size_t(n) * n);
  Rate best;
  for (int rep = 0; rep < passes; ++rep) {
    Stopwatch sw;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f,
                c.data(), n);
    const double wall = sw.wall(), busy = sw.busy(num_threads());
    best.wall = std::max(best.wall, 2.0 * n * n * double(n) / wall);
    best.busy = std::max(best.busy, 2.0 * n * n * double(n) / busy);
  }
  return best;
}

}  // namespace transformers::runtime
