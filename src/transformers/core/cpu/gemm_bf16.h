#pragma once
// y = bf16(x) · bf16(W)^T on CPUs with AVX512-BF16, whose vdpbf16ps does 32 bf16 products per
// instruction: twice the rate of f32 FMAs. Used by linear() with many rows when the float32
// matmul precision is "medium" (runtime.h): x, and W when it is not bf16 already, are rounded to
// bf16 (round to nearest even); the products are exact in f32 and the sums are f32.
#include <cstdint>

#include "transformers/core/dtype.h"

namespace transformers::cpu {

// y [rows, n_out] (row stride ldy) = bf16(x) [rows, k] · bf16(w)^T (+ bias [n_out] when not null);
// x f32 [rows, k] contiguous, w [n_out, k] in f32, f16 or bf16 with row stride ldw. Parallel over
// slices of w's rows on the thread pool. Needs runtime::has_avx512_bf16().
void gemm_bf16_avx512(const float* x, int64_t rows, int64_t k, const void* w, DType w_dtype, int64_t ldw,
                      int64_t n_out, float* y, int64_t ldy, const float* bias);

}  // namespace transformers::cpu
