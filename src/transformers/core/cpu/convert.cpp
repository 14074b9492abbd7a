#include "transformers/core/cpu/convert.h"

#include <immintrin.h>

#include <cstring>

#include "transformers/core/cpu/pool.h"
#include "transformers/core/error.h"
#include "transformers/core/runtime.h"

namespace transformers::cpu {

namespace {
void row_scalar(const void* src, DType dt, int64_t k, float* dst) {
  const uint16_t* h = static_cast<const uint16_t*>(src);
  if (dt == DType::Float16)
    for (int64_t i = 0; i < k; ++i) dst[i] = f16_to_f32(h[i]);
  else
    for (int64_t i = 0; i < k; ++i) dst[i] = bf16_to_f32(h[i]);
}

__attribute__((target("avx2,f16c"))) void row_avx2(const void* src, DType dt, int64_t k, float* dst) {
  const uint16_t* h = static_cast<const uint16_t*>(src);
  int64_t i = 0;
  if (dt == DType::Float16) {
    for (; i + 8 <= k; i += 8)
      _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h + i))));
  } else {
    for (; i + 8 <= k; i += 8) {
      __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h + i)));
      _mm256_storeu_ps(dst + i, _mm256_castsi256_ps(_mm256_slli_epi32(w, 16)));
    }
  }
  row_scalar(h + i, dt, k - i, dst + i);
}
}  // namespace

void rows_to_f32(const void* src, DType dt, int64_t rows, int64_t k, int64_t lds, float* dst) {
  TFM_CHECK(dt == DType::Float32 || dt == DType::Float16 || dt == DType::BFloat16,
            "[convert] unsupported dtype ", dtype_name(dt));
  const size_t es = dtype_size(dt);
  const bool simd = runtime::simd_level() == runtime::SimdLevel::Avx2;
  auto range = [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const void* s = static_cast<const std::byte*>(src) + r * lds * int64_t(es);
      float* d = dst + r * k;
      if (dt == DType::Float32) std::memcpy(d, s, size_t(k) * sizeof(float));
      else if (simd) row_avx2(s, dt, k, d);
      else row_scalar(s, dt, k, d);
    }
  };
  parallel_for(rows, rows * k >= (int64_t(1) << 16) ? grain_for(rows, 1) : rows, range);
}

}  // namespace transformers::cpu
