#include "transformers/core/cpu/gemv.h"

#include <immintrin.h>

#include <algorithm>
#include <vector>

#include "transformers/core/cpu/pool.h"
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

// Work below this many weights is not worth waking the thread pool for.
constexpr int64_t kParallelMinWeights = int64_t(1) << 15;

}  // namespace

void gemv_reference(const GemvArgs& a) {
  const size_t es = dtype_size(a.w_dtype);
  auto run = [&](int64_t begin, int64_t end) {
    for (int64_t o = begin; o < end; ++o) {
      const void* row = static_cast<const std::byte*>(a.w) + o * a.ldw * es;
      for (int64_t r = 0; r < a.rows; ++r) {
        const float* x = a.x + r * a.ldx;
        float acc = 0.0f;
        for (int64_t i = 0; i < a.k; ++i) acc += weight_at(row, a.w_dtype, i) * x[i];
        a.y[r * a.ldy + o] = acc + (a.bias ? a.bias[o] : 0.0f);
      }
    }
  };
  if (a.n_out * a.k < kParallelMinWeights) run(0, a.n_out);
  else parallel_for(a.n_out, grain_for(a.n_out, 1), run);
}

namespace {
// 8 weights starting at element i of row w, as f32. f16 converts in hardware (F16C); bf16 is
// the top half of an f32, so a zero-extend and shift is the whole conversion.
template <DType DT>
__attribute__((target("avx2,fma,f16c"), always_inline)) inline __m256 load8(const void* w, int64_t i) {
  if constexpr (DT == DType::Float32) {
    return _mm256_loadu_ps(static_cast<const float*>(w) + i);
  } else {
    __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(static_cast<const uint16_t*>(w) + i));
    if constexpr (DT == DType::Float16) return _mm256_cvtph_ps(h);
    else return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
  }
}

__attribute__((target("avx2,fma"), always_inline)) inline float hsum(__m256 v) {
  __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
  lo = _mm_add_ps(lo, hi);
  lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
  lo = _mm_add_ss(lo, _mm_shuffle_ps(lo, lo, 1));
  return _mm_cvtss_f32(lo);
}

// No software prefetch: each thread reads its block of W sequentially, which the hardware
// prefetcher follows; measured here, _mm_prefetch 512 or 1024 bytes ahead was never faster and
// at 512 bytes slowed the f32 kernel (docs/performance.md, "Tensor core").

// y[r0 .. r0+R, o] for o in [o_begin, o_end): R rows of x share one pass over each weight row,
// and O weight rows are read together so that O * R independent accumulators hide the FMA
// latency (an FMA unit needs about 8 chains in flight) while each x load feeds O FMAs.
template <DType DT, int R, int O>
__attribute__((target("avx2,fma,f16c"))) void gemv_rows(const GemvArgs& a, int64_t r0, int64_t o_begin,
                                                        int64_t o_end) {
  constexpr int64_t es = DT == DType::Float32 ? 4 : 2;
  const int64_t k8 = a.k / 8 * 8;
  const float* x = a.x + r0 * a.ldx;
  int64_t o = o_begin;
  for (; o + O <= o_end; o += O) {
    const std::byte* rows[O];
    for (int j = 0; j < O; ++j) rows[j] = static_cast<const std::byte*>(a.w) + (o + j) * a.ldw * es;
    float sums[O][R];
    if constexpr (R == 1 && O == 1) {
      // One row: four independent accumulators along k.
      const std::byte* row = rows[0];
      __m256 c0 = _mm256_setzero_ps(), c1 = c0, c2 = c0, c3 = c0;
      int64_t i = 0;
      for (; i + 32 <= k8; i += 32) {
        c0 = _mm256_fmadd_ps(load8<DT>(row, i), _mm256_loadu_ps(x + i), c0);
        c1 = _mm256_fmadd_ps(load8<DT>(row, i + 8), _mm256_loadu_ps(x + i + 8), c1);
        c2 = _mm256_fmadd_ps(load8<DT>(row, i + 16), _mm256_loadu_ps(x + i + 16), c2);
        c3 = _mm256_fmadd_ps(load8<DT>(row, i + 24), _mm256_loadu_ps(x + i + 24), c3);
      }
      for (; i < k8; i += 8) c0 = _mm256_fmadd_ps(load8<DT>(row, i), _mm256_loadu_ps(x + i), c0);
      sums[0][0] = hsum(_mm256_add_ps(_mm256_add_ps(c0, c1), _mm256_add_ps(c2, c3)));
    } else {
      __m256 acc[O][R];
      for (int j = 0; j < O; ++j)
        for (int r = 0; r < R; ++r) acc[j][r] = _mm256_setzero_ps();
      for (int64_t i = 0; i < k8; i += 8) {
        __m256 w[O];
        for (int j = 0; j < O; ++j) w[j] = load8<DT>(rows[j], i);
        for (int r = 0; r < R; ++r) {
          const __m256 xv = _mm256_loadu_ps(x + r * a.ldx + i);
          for (int j = 0; j < O; ++j) acc[j][r] = _mm256_fmadd_ps(w[j], xv, acc[j][r]);
        }
      }
      for (int j = 0; j < O; ++j)
        for (int r = 0; r < R; ++r) sums[j][r] = hsum(acc[j][r]);
    }
    for (int j = 0; j < O; ++j)
      for (int r = 0; r < R; ++r) {
        float s = sums[j][r];
        for (int64_t i = k8; i < a.k; ++i) s += weight_at(rows[j], DT, i) * x[r * a.ldx + i];
        a.y[(r0 + r) * a.ldy + o + j] = s + (a.bias ? a.bias[o + j] : 0.0f);
      }
  }
  if constexpr (O > 1) {
    if (o < o_end) gemv_rows<DT, R, 1>(a, r0, o, o_end);  // leftover weight rows
  }
}

template <DType DT>
void gemv_dtype(const GemvArgs& a, int64_t o_begin, int64_t o_end) {
  // Groups of up to 8 rows, each group one pass over this thread's block of W.
  for (int64_t r = 0; r < a.rows; r += 8) {
    switch (std::min<int64_t>(8, a.rows - r)) {
      // O * R accumulators + O weights + 1 x fit in the 16 ymm registers.
      case 1: gemv_rows<DT, 1, 1>(a, r, o_begin, o_end); break;
      case 2: gemv_rows<DT, 2, 4>(a, r, o_begin, o_end); break;
      case 3: gemv_rows<DT, 3, 3>(a, r, o_begin, o_end); break;
      case 4: gemv_rows<DT, 4, 2>(a, r, o_begin, o_end); break;
      case 5: gemv_rows<DT, 5, 2>(a, r, o_begin, o_end); break;
      case 6: gemv_rows<DT, 6, 2>(a, r, o_begin, o_end); break;
      case 7: gemv_rows<DT, 7, 1>(a, r, o_begin, o_end); break;
      default: gemv_rows<DT, 8, 1>(a, r, o_begin, o_end); break;
    }
  }
}
}  // namespace

void gemv_avx2(const GemvArgs& a) {
  auto run = [&](int64_t begin, int64_t end) {
    switch (a.w_dtype) {
      case DType::Float32: gemv_dtype<DType::Float32>(a, begin, end); break;
      case DType::Float16: gemv_dtype<DType::Float16>(a, begin, end); break;
      case DType::BFloat16: gemv_dtype<DType::BFloat16>(a, begin, end); break;
      default: TFM_UNREACHABLE();
    }
  };
  if (a.n_out * a.k < kParallelMinWeights) {
    run(0, a.n_out);
    return;
  }
  // Chunks of whole weight-row groups (multiples of 8), each a contiguous slice of W that the
  // hardware prefetcher follows (Note [Decode thread pool]).
  const int64_t min_rows = std::max<int64_t>(8, kParallelMinWeights / std::max<int64_t>(a.k, 1));
  const int64_t grain = (grain_for(a.n_out, min_rows) + 7) / 8 * 8;
  parallel_for(a.n_out, grain, run);
}

namespace {
// partial [rows, n_out] = x[:, i0:i1] W[i0:i1, :] for W stored [k, n_out].
template <DType DT>
__attribute__((target("avx2,fma,f16c"))) void k_major_chunk_avx2(const GemvArgs& a, int64_t i0, int64_t i1,
                                                                  float* partial) {
  constexpr int64_t es = DT == DType::Float32 ? 4 : 2;
  const int64_t n8 = a.n_out / 8 * 8;
  std::fill(partial, partial + a.rows * a.n_out, 0.0f);
  auto row_of = [&](int64_t i) { return static_cast<const std::byte*>(a.w) + i * a.ldw * es; };
  int64_t i = i0;
  // Four weight rows per pass over the partial sums: one load and one store of them per four
  // FMAs (one per row made the stores the limit when W is in cache).
  for (; i + 4 <= i1; i += 4) {
    const std::byte* w0 = row_of(i), *w1 = row_of(i + 1), *w2 = row_of(i + 2), *w3 = row_of(i + 3);
    for (int64_t r = 0; r < a.rows; ++r) {
      const float* xr = a.x + r * a.ldx + i;
      const __m256 x0 = _mm256_set1_ps(xr[0]), x1 = _mm256_set1_ps(xr[1]), x2 = _mm256_set1_ps(xr[2]),
                   x3 = _mm256_set1_ps(xr[3]);
      float* p = partial + r * a.n_out;
      int64_t o = 0;
      for (; o < n8; o += 8) {
        __m256 acc = _mm256_loadu_ps(p + o);
        acc = _mm256_fmadd_ps(load8<DT>(w0, o), x0, acc);
        acc = _mm256_fmadd_ps(load8<DT>(w1, o), x1, acc);
        acc = _mm256_fmadd_ps(load8<DT>(w2, o), x2, acc);
        acc = _mm256_fmadd_ps(load8<DT>(w3, o), x3, acc);
        _mm256_storeu_ps(p + o, acc);
      }
      for (; o < a.n_out; ++o)
        p[o] += weight_at(w0, DT, o) * xr[0] + weight_at(w1, DT, o) * xr[1] + weight_at(w2, DT, o) * xr[2] +
                weight_at(w3, DT, o) * xr[3];
    }
  }
  for (; i < i1; ++i) {
    const std::byte* wrow = row_of(i);
    for (int64_t r = 0; r < a.rows; ++r) {
      const float xi = a.x[r * a.ldx + i];
      const __m256 xv = _mm256_set1_ps(xi);
      float* p = partial + r * a.n_out;
      int64_t o = 0;
      for (; o < n8; o += 8) _mm256_storeu_ps(p + o, _mm256_fmadd_ps(load8<DT>(wrow, o), xv, _mm256_loadu_ps(p + o)));
      for (; o < a.n_out; ++o) p[o] += weight_at(wrow, DT, o) * xi;
    }
  }
}

void k_major_chunk_scalar(const GemvArgs& a, int64_t i0, int64_t i1, float* partial) {
  const size_t es = dtype_size(a.w_dtype);
  std::fill(partial, partial + a.rows * a.n_out, 0.0f);
  for (int64_t i = i0; i < i1; ++i) {
    const void* wrow = static_cast<const std::byte*>(a.w) + i * a.ldw * int64_t(es);
    for (int64_t r = 0; r < a.rows; ++r)
      for (int64_t o = 0; o < a.n_out; ++o)
        partial[r * a.n_out + o] += weight_at(wrow, a.w_dtype, o) * a.x[r * a.ldx + i];
  }
}

void run_k_major(const GemvArgs& a, bool simd) {
  TFM_CHECK(a.w_dtype == DType::Float32 || a.w_dtype == DType::Float16 || a.w_dtype == DType::BFloat16,
            "[linear] unsupported weight dtype ", dtype_name(a.w_dtype));
  const int64_t chunks = (a.k + kKMajorChunk - 1) / kKMajorChunk, size = a.rows * a.n_out;
  thread_local std::vector<float> partials;
  if (partials.size() < size_t(std::max<int64_t>(chunks, 1) * size)) partials.resize(size_t(chunks * size));
  float* base = partials.data();
  auto run = [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const int64_t i0 = c * kKMajorChunk, i1 = std::min(a.k, i0 + kKMajorChunk);
      float* p = base + c * size;
      if (!simd) k_major_chunk_scalar(a, i0, i1, p);
      else if (a.w_dtype == DType::Float32) k_major_chunk_avx2<DType::Float32>(a, i0, i1, p);
      else if (a.w_dtype == DType::Float16) k_major_chunk_avx2<DType::Float16>(a, i0, i1, p);
      else k_major_chunk_avx2<DType::BFloat16>(a, i0, i1, p);
    }
  };
  if (a.n_out * a.k < kParallelMinWeights) run(0, chunks);
  else parallel_for(chunks, 1, run);
  // Chunk sums in chunk order, then the bias: each partial is read once, front to back.
  for (int64_t r = 0; r < a.rows; ++r) {
    float* y = a.y + r * a.ldy;
    std::fill(y, y + a.n_out, 0.0f);
    for (int64_t c = 0; c < chunks; ++c) {
      const float* p = base + c * size + r * a.n_out;
      for (int64_t o = 0; o < a.n_out; ++o) y[o] += p[o];
    }
    if (a.bias)
      for (int64_t o = 0; o < a.n_out; ++o) y[o] += a.bias[o];
  }
}
}  // namespace

void gemv_k_major_reference(const GemvArgs& a) { run_k_major(a, false); }

void gemv_k_major(const GemvArgs& a) { run_k_major(a, runtime::simd_level() == runtime::SimdLevel::Avx2); }

void gemv(const GemvArgs& a) {
  TFM_CHECK(a.w_dtype == DType::Float32 || a.w_dtype == DType::Float16 || a.w_dtype == DType::BFloat16,
            "[linear] unsupported weight dtype ", dtype_name(a.w_dtype));
  if (runtime::simd_level() == runtime::SimdLevel::Avx2) gemv_avx2(a);
  else gemv_reference(a);
}

}  // namespace transformers::cpu
