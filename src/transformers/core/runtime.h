#pragma once
// Process-wide runtime facts and settings: the thread pool size, SIMD level, BLAS build.
// One pool serves the whole process: OpenMP's, shared with OpenBLAS (its OpenMP build).
#include <string>

namespace transformers::runtime {

enum class SimdLevel { Scalar, Avx2 };

// Detected once at start-up (CPUID): AVX2 and FMA and F16C all present -> Avx2.
SimdLevel simd_level();
const char* simd_level_name();
// AVX512F + AVX512-BF16 on the CPU with the OS saving the zmm state (cpu/gemm_bf16.h's kernel).
bool has_avx512_bf16();
// Forces the scalar kernels (tests use it to compare the fast paths to the reference).
void set_simd_level(SimdLevel level);

// Threads used by our kernels and by OpenBLAS. Default: the number of cores.
int num_threads();
void set_num_threads(int n);

// PyTorch's torch.set_float32_matmul_precision. "highest" (the default) keeps every product in
// f32; "high" is the same here; "medium" allows bf16 inside matrix products, as in PyTorch:
// linear() with more than a few rows (prefill, encoders) rounds its input and its weights to bf16
// and multiplies in bf16 with f32 sums (AVX512-BF16 runs it at twice the f32 rate; other CPUs
// round the same way and use sgemm). Decoding (a few rows) is unchanged. Anything else throws.
void set_float32_matmul_precision(const std::string& precision);
std::string get_float32_matmul_precision();
bool bf16_matmul_allowed();

// "OpenBLAS 0.3.21 (openmp, Haswell)" or similar.
std::string blas_info();

}  // namespace transformers::runtime
