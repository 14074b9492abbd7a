#pragma once
// y = bf16(x) · W^T with bf16 weights on CPUs with AVX512-BF16, whose vdpbf16ps does 32 bf16
// products per instruction: twice the rate of f32 FMAs. Used by linear() with many rows when the
// float32 matmul precision is "medium" (runtime.h): x is rounded to bf16 as in PyTorch's bf16
// linear; the products are exact in f32 and the sums are f32.
#include <cstdint>

namespace transformers::cpu {

// AVX512F + AVX512-BF16 on the CPU, with the OS saving the zmm state.
bool has_avx512_bf16();

// y [rows, n_out] (row stride ldy) = bf16(x) [rows, k] · w^T (+ bias [n_out] when not null);
// x f32 [rows, k] contiguous, w bf16 bits [n_out, k] with row stride ldw. Parallel over slices of
// w's rows on the thread pool. Needs has_avx512_bf16().
void gemm_bf16_avx512(const float* x, int64_t rows, int64_t k, const uint16_t* w, int64_t ldw, int64_t n_out,
                      float* y, int64_t ldy, const float* bias);

}  // namespace transformers::cpu
