#pragma once
// Small f32 vector kernels for the attention loop, in an AVX2/FMA version and a plain one; the
// caller picks once per op with vec_kernels() (runtime::simd_level), as gemv does.
#include <cstdint>

namespace transformers::cpu {

float dot_scalar(const float* a, const float* b, int64_t n);
float dot_avx2(const float* a, const float* b, int64_t n);
// out[j] = dot(a[j], b, n) for j < m: several queries against one key row (GQA), which loads
// b once for all of them and keeps more FMA chains in flight than m separate dots.
void dot_many_scalar(const float* const* a, int64_t m, const float* b, int64_t n, float* out);
void dot_many_avx2(const float* const* a, int64_t m, const float* b, int64_t n, float* out);
// y[i] += alpha * x[i]
void axpy_scalar(float alpha, const float* x, float* y, int64_t n);
void axpy_avx2(float alpha, const float* x, float* y, int64_t n);

// max_i x[i] (-inf when n == 0) and sum_i x[i] (eight partial sums, then the tail).
float max_scalar(const float* x, int64_t n);
float max_avx2(const float* x, int64_t n);
float sum_scalar(const float* x, int64_t n);
float sum_avx2(const float* x, int64_t n);

// y[i] = exp(x[i]) with a polynomial (Cephes' expf; about 1 ulp, like the Sleef expf PyTorch
// vectorizes with). Saturates: inputs above 88.37 give 2.4e38 instead of inf, inputs below
// -88.37 give 0. NaN stays NaN. For softmax-style arguments (<= 0) and activations.
void exp_avx2(const float* x, float* y, int64_t n);
void exp_scalar(const float* x, float* y, int64_t n);
// y[i] = x[i] / (1 + exp(-x[i])) and 1 / (1 + exp(-x[i])), on exp_avx2's polynomial.
void silu_avx2(const float* x, float* y, int64_t n);
void sigmoid_avx2(const float* x, float* y, int64_t n);
// y[i] = x[i] / 2 * (1 + erf(x[i] / sqrt 2)) within 2.5e-7 max(1, |x[i]|): the formula's
// 7.5e-8 |x| plus f32 rounding (Note [Vectorized GELU]).
void gelu_avx2(const float* x, float* y, int64_t n);

struct VecKernels {
  float (*dot)(const float*, const float*, int64_t);
  void (*dot_many)(const float* const*, int64_t, const float*, int64_t, float*);
  void (*axpy)(float, const float*, float*, int64_t);
  void (*exp)(const float*, float*, int64_t);
  float (*max)(const float*, int64_t);
  float (*sum)(const float*, int64_t);
};
// The kernels for the current SIMD level.
VecKernels vec_kernels();

}  // namespace transformers::cpu
