#pragma once
// Skinny matrix products for linear layers: y[r, :] = W · x[r, :] (+ bias) for a few rows r,
// W [n_out, k] row-major in f32, f16 or bf16, accumulated in f32. Decoding is memory bound, so
// the weights are streamed once for all rows. OpenBLAS is not used here: sgemm repacks the whole
// matrix for a single row (ARCHITECTURE.md).
#include <cstdint>

#include "transformers/core/dtype.h"

namespace transformers::cpu {

struct GemvArgs {
  const void* w;      // [n_out, k], row stride ldw elements
  DType w_dtype;      // Float32, Float16 or BFloat16
  int64_t n_out, k, ldw;
  const float* x;     // [rows, k], row stride ldx
  int64_t ldx;
  float* y;           // [rows, n_out], row stride ldy
  int64_t ldy;
  int64_t rows;
  const float* bias;  // [n_out] or nullptr
};

// Dispatches to the AVX2 kernel when the CPU has it (runtime::simd_level), else the reference.
// Parallel over output features with the process thread pool.
void gemv(const GemvArgs& args);
// Plain loops; the definition of the result.
void gemv_reference(const GemvArgs& args);
void gemv_avx2(const GemvArgs& args);

// The same product with W stored [k, n_out] (row stride ldw), Hugging Face's Conv1D layout:
// y[r, o] = sum_i x[r, i] W[i, o] (+ bias). Threads stream W's rows in fixed chunks of
// kKMajorChunk, each into its own partial sums, added in chunk order: the result does not depend
// on the thread count. AVX2 when the CPU has it, else the reference.
inline constexpr int64_t kKMajorChunk = 64;
void gemv_k_major(const GemvArgs& args);
void gemv_k_major_reference(const GemvArgs& args);

// Largest row count for which linear() takes the gemv path instead of GEMM.
inline constexpr int64_t kGemvMaxRows = 8;

}  // namespace transformers::cpu
