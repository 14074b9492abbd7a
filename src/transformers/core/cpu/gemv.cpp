#include "transformers/core/cpu/gemv.h"

#include <immintrin.h>

#include "transformers/core/error.h"
#include "transformers/core/runtime.h"

namespace transformers::cpu {

namespace {
inline float weight_at(const void* w, DType dt, int64_t i) {
  switch (dt) {
    case DType::Float32: return static_cast<const float*>(w)[i];
    case DType::Float16: return f16_to_f32(static_cast<const uint16_t*>(w)[i]);
    case DType::BFloat16: return bf16_to_f32(static_cast<const uint16_t*>(w)[i]);
    default: TFM_UNREACHABLE();
  }
}
}  // namespace

void gemv_reference(const GemvArgs& a) {
  const size_t es = dtype_size(a.w_dtype);
#pragma omp parallel for if (a.n_out * a.k > (1 << 15)) schedule(static)
  for (int64_t o = 0; o < a.n_out; ++o) {
    const void* row = static_cast<const std::byte*>(a.w) + o * a.ldw * es;
    for (int64_t r = 0; r < a.rows; ++r) {
      const float* x = a.x + r * a.ldx;
      float acc = 0.0f;
      for (int64_t i = 0; i < a.k; ++i) acc += weight_at(row, a.w_dtype, i) * x[i];
      a.y[r * a.ldy + o] = acc + (a.bias ? a.bias[o] : 0.0f);
    }
  }
}

namespace {
// 8 weights of row `w` starting at element i, as f32.
__attribute__((target("avx2,fma,f16c"))) inline __m256 load8(const void* w, DType dt, int64_t i) {
  switch (dt) {
    case DType::Float32: return _mm256_loadu_ps(static_cast<const float*>(w) + i);
    case DType::Float16:
      return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(static_cast<const uint16_t*>(w) + i)));
    default: {  // BFloat16: shift into the high half of each f32
      __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(static_cast<const uint16_t*>(w) + i));
      return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
    }
  }
}

__attribute__((target("avx2,fma"))) inline float hsum(__m256 v) {
  __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
  lo = _mm_add_ps(lo, hi);
  lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
  lo = _mm_add_ss(lo, _mm_shuffle_ps(lo, lo, 1));
  return _mm_cvtss_f32(lo);
}

// Up to kGemvMaxRows rows share one pass over each weight row.
template <int R>
__attribute__((target("avx2,fma,f16c"))) void gemv_rows(const GemvArgs& a, int64_t r0) {
  const size_t es = dtype_size(a.w_dtype);
  const int64_t k8 = a.k / 8 * 8;
#pragma omp parallel for if (a.n_out * a.k > (1 << 15)) schedule(static)
  for (int64_t o = 0; o < a.n_out; ++o) {
    const void* row = static_cast<const std::byte*>(a.w) + o * a.ldw * es;
    __m256 acc[R];
    for (int r = 0; r < R; ++r) acc[r] = _mm256_setzero_ps();
    for (int64_t i = 0; i < k8; i += 8) {
      __m256 w = load8(row, a.w_dtype, i);
      for (int r = 0; r < R; ++r)
        acc[r] = _mm256_fmadd_ps(w, _mm256_loadu_ps(a.x + (r0 + r) * a.ldx + i), acc[r]);
    }
    for (int r = 0; r < R; ++r) {
      float s = hsum(acc[r]);
      const float* x = a.x + (r0 + r) * a.ldx;
      for (int64_t i = k8; i < a.k; ++i) s += weight_at(row, a.w_dtype, i) * x[i];
      a.y[(r0 + r) * a.ldy + o] = s + (a.bias ? a.bias[o] : 0.0f);
    }
  }
}
}  // namespace

void gemv_avx2(const GemvArgs& a) {
  int64_t r = 0;
  for (; r + 4 <= a.rows; r += 4) gemv_rows<4>(a, r);
  switch (a.rows - r) {
    case 3: gemv_rows<3>(a, r); break;
    case 2: gemv_rows<2>(a, r); break;
    case 1: gemv_rows<1>(a, r); break;
    default: break;
  }
}

void gemv(const GemvArgs& a) {
  TFM_CHECK(a.w_dtype == DType::Float32 || a.w_dtype == DType::Float16 || a.w_dtype == DType::BFloat16,
            "[linear] unsupported weight dtype ", dtype_name(a.w_dtype));
  if (runtime::simd_level() == runtime::SimdLevel::Avx2) gemv_avx2(a);
  else gemv_reference(a);
}

}  // namespace transformers::cpu
