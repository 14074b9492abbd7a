#pragma once
// Row-block conversion of f16/bf16/f32 matrices to f32, for feeding half-precision weights to
// sgemm a tile at a time (linear() with many rows).
#include <cstdint>

#include "transformers/core/dtype.h"

namespace transformers::cpu {

// dst[r, :k] = float(src[r, :k]) for r < rows; src has row stride lds elements, dst has k.
// AVX2/F16C when the CPU has it (runtime::simd_level), else plain loops.
void rows_to_f32(const void* src, DType dt, int64_t rows, int64_t k, int64_t lds, float* dst);

}  // namespace transformers::cpu
