#pragma once
// Process-wide runtime facts and settings: the thread pool size, SIMD level, BLAS build.
// One pool serves the whole process: OpenMP's, shared with OpenBLAS (its OpenMP build).
#include <string>

namespace transformers::runtime {

enum class SimdLevel { Scalar, Avx2 };

// Detected once at start-up (CPUID): AVX2 and FMA and F16C all present -> Avx2.
SimdLevel simd_level();
const char* simd_level_name();
// Forces the scalar kernels (tests use it to compare the fast paths to the reference).
void set_simd_level(SimdLevel level);

// Threads used by our kernels and by OpenBLAS. Default: the number of cores.
int num_threads();
void set_num_threads(int n);

// "OpenBLAS 0.3.21 (openmp, Haswell)" or similar.
std::string blas_info();

}  // namespace transformers::runtime
