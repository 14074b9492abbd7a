#include "transformers/core/runtime.h"

#include <cblas.h>
#include <omp.h>

#include <atomic>

namespace transformers::runtime {

namespace {
SimdLevel detect() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
      __builtin_cpu_supports("f16c"))
    return SimdLevel::Avx2;
  return SimdLevel::Scalar;
}
std::atomic<SimdLevel>& level_slot() {
  static std::atomic<SimdLevel> level{detect()};
  return level;
}
}  // namespace

SimdLevel simd_level() { return level_slot().load(std::memory_order_relaxed); }

const char* simd_level_name() { return simd_level() == SimdLevel::Avx2 ? "avx2+fma+f16c" : "scalar"; }

void set_simd_level(SimdLevel level) {
  // Never raise above what the CPU supports.
  if (level == SimdLevel::Avx2 && detect() != SimdLevel::Avx2) return;
  level_slot().store(level, std::memory_order_relaxed);
}

int num_threads() { return omp_get_max_threads(); }

void set_num_threads(int n) {
  if (n < 1) n = 1;
  omp_set_num_threads(n);
  openblas_set_num_threads(n);
}

std::string blas_info() {
  std::string info = "OpenBLAS";
  if (const char* cfg = openblas_get_config()) info += std::string(" (") + cfg + ")";
  if (const char* core = openblas_get_corename()) info += std::string(", core ") + core;
  return info;
}

}  // namespace transformers::runtime
