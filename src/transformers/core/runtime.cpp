#include "transformers/core/runtime.h"

#include <cblas.h>
#include <cpuid.h>
#include <omp.h>

#include <atomic>

#include "transformers/core/error.h"

namespace transformers::runtime {

namespace {
// The OS saves these register states (XCR0 bits), as every wide-register check needs.
bool os_saves(unsigned mask) {
  unsigned xcr0_lo = 0, xcr0_hi = 0;
  __asm__("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  return (xcr0_lo & mask) == mask;
}

// CPUID directly (clang's __builtin_cpu_supports has no "f16c"): AVX2 (leaf 7 EBX bit 5), FMA
// (leaf 1 ECX bit 12), F16C (leaf 1 ECX bit 29), and the OS saving YMM state (OSXSAVE + XCR0).
SimdLevel detect() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return SimdLevel::Scalar;
  const bool fma = c & (1u << 12), f16c = c & (1u << 29), osxsave = c & (1u << 27);
  if (!fma || !f16c || !osxsave) return SimdLevel::Scalar;
  if (!os_saves(0x6u)) return SimdLevel::Scalar;  // XMM and YMM state enabled
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return SimdLevel::Scalar;
  return (b & (1u << 5)) ? SimdLevel::Avx2 : SimdLevel::Scalar;
}
std::atomic<SimdLevel>& level_slot() {
  static std::atomic<SimdLevel> level{detect()};
  return level;
}
}  // namespace

SimdLevel simd_level() { return level_slot().load(std::memory_order_relaxed); }

bool has_avx512_bf16() {
  static const bool supported = [] {
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) return false;  // OSXSAVE
    if (!os_saves(0xE6u)) return false;  // XMM, YMM, opmask and both zmm halves
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(b & (1u << 16))) return false;  // AVX512F
    if (!__get_cpuid_count(7, 1, &a, &b, &c, &d)) return false;
    return (a & (1u << 5)) != 0;  // AVX512_BF16
  }();
  return supported;
}

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

namespace {
constexpr const char* kMatmulPrecisions[] = {"highest", "high", "medium"};
std::atomic<int>& matmul_precision_slot() {
  static std::atomic<int> index{0};
  return index;
}
}  // namespace

void set_float32_matmul_precision(const std::string& precision) {
  for (int i = 0; i < 3; ++i)
    if (precision == kMatmulPrecisions[i]) {
      matmul_precision_slot().store(i, std::memory_order_relaxed);
      return;
    }
  throw Error("[runtime] float32 matmul precision must be highest, high or medium, got '" + precision + "'");
}

std::string get_float32_matmul_precision() {
  return kMatmulPrecisions[matmul_precision_slot().load(std::memory_order_relaxed)];
}

bool bf16_matmul_allowed() { return matmul_precision_slot().load(std::memory_order_relaxed) == 2; }

std::string blas_info() {
  std::string info = "OpenBLAS";
  if (const char* cfg = openblas_get_config()) info += std::string(" (") + cfg + ")";
  if (const char* core = openblas_get_corename()) info += std::string(", core ") + core;
  return info;
}

}  // namespace transformers::runtime
