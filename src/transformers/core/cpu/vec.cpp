#include "transformers/core/cpu/vec.h"

#include <immintrin.h>

#include <cmath>

#include "transformers/core/runtime.h"

namespace transformers::cpu {

float dot_scalar(const float* a, const float* b, int64_t n) {
  float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
    s2 += a[i + 2] * b[i + 2];
    s3 += a[i + 3] * b[i + 3];
  }
  for (; i < n; ++i) s0 += a[i] * b[i];
  return (s0 + s1) + (s2 + s3);
}

void dot_many_scalar(const float* const* a, int64_t m, const float* b, int64_t n, float* out) {
  for (int64_t j = 0; j < m; ++j) out[j] = dot_scalar(a[j], b, n);
}

void exp_scalar(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = std::exp(x[i]);
}

void axpy_scalar(float alpha, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}

float max_scalar(const float* x, int64_t n) {
  float m = -INFINITY;
  for (int64_t i = 0; i < n; ++i) m = std::fmax(m, x[i]);
  return m;
}

float sum_scalar(const float* x, int64_t n) {
  float s = 0;
  for (int64_t i = 0; i < n; ++i) s += x[i];
  return s;
}

__attribute__((target("avx2,fma"))) float max_avx2(const float* x, int64_t n) {
  __m256 m = _mm256_set1_ps(-INFINITY);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) m = _mm256_max_ps(m, _mm256_loadu_ps(x + i));
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, m);
  float r = lanes[0];
  for (int j = 1; j < 8; ++j) r = std::fmax(r, lanes[j]);
  for (; i < n; ++i) r = std::fmax(r, x[i]);
  return r;
}

__attribute__((target("avx2,fma"))) float sum_avx2(const float* x, int64_t n) {
  __m256 c = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) c = _mm256_add_ps(c, _mm256_loadu_ps(x + i));
  __m128 lo = _mm_add_ps(_mm256_castps256_ps128(c), _mm256_extractf128_ps(c, 1));
  lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
  lo = _mm_add_ss(lo, _mm_shuffle_ps(lo, lo, 1));
  float s = _mm_cvtss_f32(lo);
  for (; i < n; ++i) s += x[i];
  return s;
}

__attribute__((target("avx2,fma"))) float dot_avx2(const float* a, const float* b, int64_t n) {
  __m256 c0 = _mm256_setzero_ps(), c1 = c0;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    c0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), c0);
    c1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), c1);
  }
  if (i + 8 <= n) {
    c0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), c0);
    i += 8;
  }
  __m256 c = _mm256_add_ps(c0, c1);
  __m128 lo = _mm_add_ps(_mm256_castps256_ps128(c), _mm256_extractf128_ps(c, 1));
  lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
  lo = _mm_add_ss(lo, _mm_shuffle_ps(lo, lo, 1));
  float s = _mm_cvtss_f32(lo);
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

namespace {
__attribute__((target("avx2,fma"), always_inline)) inline float hsum8(__m256 c) {
  __m128 lo = _mm_add_ps(_mm256_castps256_ps128(c), _mm256_extractf128_ps(c, 1));
  lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
  lo = _mm_add_ss(lo, _mm_shuffle_ps(lo, lo, 1));
  return _mm_cvtss_f32(lo);
}

// Q queries (Q <= 4) against b: two accumulators per query, one load of b for all.
template <int Q>
__attribute__((target("avx2,fma"))) void dot_group(const float* const* a, const float* b, int64_t n, float* out) {
  __m256 c0[Q], c1[Q];
  for (int q = 0; q < Q; ++q) c0[q] = c1[q] = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256 b0 = _mm256_loadu_ps(b + i), b1 = _mm256_loadu_ps(b + i + 8);
    for (int q = 0; q < Q; ++q) {
      c0[q] = _mm256_fmadd_ps(_mm256_loadu_ps(a[q] + i), b0, c0[q]);
      c1[q] = _mm256_fmadd_ps(_mm256_loadu_ps(a[q] + i + 8), b1, c1[q]);
    }
  }
  if (i + 8 <= n) {
    const __m256 b0 = _mm256_loadu_ps(b + i);
    for (int q = 0; q < Q; ++q) c0[q] = _mm256_fmadd_ps(_mm256_loadu_ps(a[q] + i), b0, c0[q]);
    i += 8;
  }
  for (int q = 0; q < Q; ++q) {
    float s = hsum8(_mm256_add_ps(c0[q], c1[q]));
    for (int64_t t = i; t < n; ++t) s += a[q][t] * b[t];
    out[q] = s;
  }
}
}  // namespace

void dot_many_avx2(const float* const* a, int64_t m, const float* b, int64_t n, float* out) {
  int64_t j = 0;
  for (; j + 4 <= m; j += 4) dot_group<4>(a + j, b, n, out + j);
  switch (m - j) {
    case 3: dot_group<3>(a + j, b, n, out + j); break;
    case 2: dot_group<2>(a + j, b, n, out + j); break;
    case 1: dot_group<1>(a + j, b, n, out + j); break;
    default: break;
  }
}

__attribute__((target("avx2,fma"))) void axpy_avx2(float alpha, const float* x, float* y, int64_t n) {
  const __m256 va = _mm256_set1_ps(alpha);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
  for (; i < n; ++i) y[i] += alpha * x[i];
}

namespace {
// exp(x) = 2^n * exp(r) with n = round(x / ln 2) and r = x - n ln 2 (ln 2 split in two
// constants so that n * ln2_hi is exact), exp(r) by a degree-6 polynomial on |r| <= ln 2 / 2.
__attribute__((target("avx2,fma"), always_inline)) inline __m256 exp8(__m256 x) {
  // Argument order keeps NaN: max/min return the second operand when either is NaN.
  x = _mm256_min_ps(_mm256_set1_ps(88.3762626647949f), x);
  x = _mm256_max_ps(_mm256_set1_ps(-88.3762626647949f), x);
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  const __m256 r2 = _mm256_mul_ps(r, r);
  const __m256 y = _mm256_add_ps(_mm256_fmadd_ps(p, r2, r), _mm256_set1_ps(1.0f));
  // 2^n through the exponent field; n >= -127 after the clamp, and n = -127 encodes 0.
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(y, _mm256_castsi256_ps(e));
}

// Note [Vectorized GELU]
// gelu(x) = x/2 * (1 + erf(x / sqrt 2)). 1 + erf(z) is 2 - erfc(z) for z >= 0 and erfc(|z|) for
// z < 0 (no cancellation in the negative tail), with erfc(a) = t P(t) exp(-a^2), t = 1/(1 + p a):
// Abramowitz & Stegun's formula 7.1.26, absolute error below 1.5e-7 in erf, so below
// 7.5e-8 |x| in gelu. PyTorch's vectorized CPU erf is the same formula.
__attribute__((target("avx2,fma"), always_inline)) inline __m256 gelu8(__m256 x) {
  const __m256 z = _mm256_mul_ps(x, _mm256_set1_ps(0.70710678118654752f));
  const __m256 a = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), z);
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 t = _mm256_div_ps(one, _mm256_fmadd_ps(_mm256_set1_ps(0.3275911f), a, one));
  __m256 poly = _mm256_set1_ps(1.061405429f);
  poly = _mm256_fmadd_ps(poly, t, _mm256_set1_ps(-1.453152027f));
  poly = _mm256_fmadd_ps(poly, t, _mm256_set1_ps(1.421413741f));
  poly = _mm256_fmadd_ps(poly, t, _mm256_set1_ps(-0.284496736f));
  poly = _mm256_fmadd_ps(poly, t, _mm256_set1_ps(0.254829592f));
  const __m256 minus_a2 = _mm256_mul_ps(_mm256_sub_ps(_mm256_setzero_ps(), a), a);
  const __m256 erfc = _mm256_mul_ps(_mm256_mul_ps(poly, t), exp8(minus_a2));
  // blendv picks by the sign bit of z: erfc(|z|) for negative z, 2 - erfc(z) otherwise.
  const __m256 one_plus_erf = _mm256_blendv_ps(_mm256_sub_ps(_mm256_set1_ps(2.0f), erfc), erfc, z);
  return _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), x), one_plus_erf);
}

enum class Act { Exp, Silu, Sigmoid, Gelu };

template <Act A>
__attribute__((target("avx2,fma"), always_inline)) inline __m256 act8(__m256 v) {
  if constexpr (A == Act::Exp) {
    return exp8(v);
  } else if constexpr (A == Act::Gelu) {
    return gelu8(v);
  } else {
    const __m256 den = _mm256_add_ps(_mm256_set1_ps(1.0f), exp8(_mm256_sub_ps(_mm256_setzero_ps(), v)));
    return _mm256_div_ps(A == Act::Silu ? v : _mm256_set1_ps(1.0f), den);
  }
}

// Full blocks of 8, then the tail through a padded block.
template <Act A>
__attribute__((target("avx2,fma"))) void map8(const float* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, act8<A>(_mm256_loadu_ps(x + i)));
  if (i < n) {
    alignas(32) float buf[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int64_t t = i; t < n; ++t) buf[t - i] = x[t];
    _mm256_store_ps(buf, act8<A>(_mm256_load_ps(buf)));
    for (int64_t t = i; t < n; ++t) y[t] = buf[t - i];
  }
}
}  // namespace

void exp_avx2(const float* x, float* y, int64_t n) { map8<Act::Exp>(x, y, n); }
void silu_avx2(const float* x, float* y, int64_t n) { map8<Act::Silu>(x, y, n); }
void sigmoid_avx2(const float* x, float* y, int64_t n) { map8<Act::Sigmoid>(x, y, n); }
void gelu_avx2(const float* x, float* y, int64_t n) { map8<Act::Gelu>(x, y, n); }

VecKernels vec_kernels() {
  if (runtime::simd_level() == runtime::SimdLevel::Avx2)
    return {dot_avx2, dot_many_avx2, axpy_avx2, exp_avx2, max_avx2, sum_avx2};
  return {dot_scalar, dot_many_scalar, axpy_scalar, exp_scalar, max_scalar, sum_scalar};
}

}  // namespace transformers::cpu
