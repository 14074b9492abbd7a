#include "transformers/core/cpu/gemm_bf16.h"

#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>
#include <vector>

#include "transformers/core/cpu/pool.h"
#include "transformers/core/dtype.h"
#include "transformers/core/runtime.h"

namespace transformers::cpu {

// Note [bf16 GEMM layout]
// vdpbf16ps multiplies pairs: lane i of the result gains a[2i] b[2i] + a[2i+1] b[2i+1]. So x is
// packed once per call into blocks of kMR rows where each 32-bit word holds the bf16 pair
// (x[r][2p], x[r][2p+1]) and the kMR rows of one pair index p are adjacent (two zmm loads). The
// weights need no packing: a weight row's pair p is the 32-bit word at element 2p, broadcast to
// all lanes. A micro-tile is kMR x rows against kNR weight rows over the whole k: 24 accumulators
// of the 32 zmm registers. Each thread takes slices of weight rows and walks every x block
// against them, so a block (kMR x k bf16, at most 512 KiB for k = 8192) stays in L2 while the
// slice's weight rows stream past it.
namespace {

constexpr int kMR = 32;  // x rows per micro-tile: two zmm of 16 lanes
constexpr int kNR = 12;  // weight rows per micro-tile

inline uint32_t load_u32(const uint16_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// y[r0 + r, o + j] for r < valid_rows, j < NR, from a packed x block and NR weight rows.
template <int NR>
__attribute__((target("avx512f,avx512bf16"))) void micro_tile(const uint32_t* xp, int64_t pairs, bool odd_k,
                                                                const uint16_t* w, int64_t ldw, int64_t k,
                                                                float* y, int64_t ldy, int64_t valid_rows,
                                                                const float* bias) {
  __m512 acc[NR][2];
  for (int j = 0; j < NR; ++j) acc[j][0] = acc[j][1] = _mm512_setzero_ps();
  const int64_t full = odd_k ? pairs - 1 : pairs;
  for (int64_t p = 0; p < full; ++p) {
    const __m512bh a0 = (__m512bh)_mm512_loadu_si512(xp + p * kMR);
    const __m512bh a1 = (__m512bh)_mm512_loadu_si512(xp + p * kMR + 16);
    for (int j = 0; j < NR; ++j) {
      const __m512bh b = (__m512bh)_mm512_set1_epi32(int(load_u32(w + j * ldw + 2 * p)));
      acc[j][0] = _mm512_dpbf16_ps(acc[j][0], a0, b);
      acc[j][1] = _mm512_dpbf16_ps(acc[j][1], a1, b);
    }
  }
  if (odd_k) {
    // The last pair holds one real element; reading two would step past the row's end.
    const int64_t p = pairs - 1;
    const __m512bh a0 = (__m512bh)_mm512_loadu_si512(xp + p * kMR);
    const __m512bh a1 = (__m512bh)_mm512_loadu_si512(xp + p * kMR + 16);
    for (int j = 0; j < NR; ++j) {
      const __m512bh b = (__m512bh)_mm512_set1_epi32(int(w[j * ldw + k - 1]));
      acc[j][0] = _mm512_dpbf16_ps(acc[j][0], a0, b);
      acc[j][1] = _mm512_dpbf16_ps(acc[j][1], a1, b);
    }
  }
  // Lanes are x rows and registers weight rows: transpose through a small buffer.
  alignas(64) float tile[NR][kMR];
  for (int j = 0; j < NR; ++j) {
    _mm512_store_ps(tile[j], acc[j][0]);
    _mm512_store_ps(tile[j] + 16, acc[j][1]);
  }
  for (int64_t r = 0; r < valid_rows; ++r)
    for (int j = 0; j < NR; ++j) y[r * ldy + j] = tile[j][r] + (bias ? bias[j] : 0.0f);
}

using MicroTile = void (*)(const uint32_t*, int64_t, bool, const uint16_t*, int64_t, int64_t, float*, int64_t,
                           int64_t, const float*);

template <int... N>
constexpr std::array<MicroTile, sizeof...(N)> micro_tiles(std::integer_sequence<int, N...>) {
  return {&micro_tile<N + 1>...};
}
constexpr auto kMicroTiles = micro_tiles(std::make_integer_sequence<int, kNR>{});  // [NR - 1]

// dst[r, :k] = bf16(src[r, :k]) for r < rows (round to nearest even), src in f32 or f16.
__attribute__((target("avx512f,avx512bf16"))) void rows_to_bf16(const void* src, DType dt, int64_t rows, int64_t k,
                                                                 int64_t lds, uint16_t* dst) {
  for (int64_t r = 0; r < rows; ++r) {
    uint16_t* d = dst + r * k;
    int64_t i = 0;
    if (dt == DType::Float32) {
      const float* s = static_cast<const float*>(src) + r * lds;
      for (; i + 16 <= k; i += 16)
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(d + i), (__m256i)_mm512_cvtneps_pbh(_mm512_loadu_ps(s + i)));
      for (; i < k; ++i) d[i] = f32_to_bf16(s[i]);
    } else {
      const uint16_t* s = static_cast<const uint16_t*>(src) + r * lds;
      for (; i + 16 <= k; i += 16) {
        const __m512 f = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + i)));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(d + i), (__m256i)_mm512_cvtneps_pbh(f));
      }
      for (; i < k; ++i) d[i] = f32_to_bf16(f16_to_f32(s[i]));
    }
  }
}

}  // namespace

void gemm_bf16_avx512(const float* x, int64_t rows, int64_t k, const void* w, DType w_dtype, int64_t ldw,
                      int64_t n_out, float* y, int64_t ldy, const float* bias) {
  if (rows <= 0 || n_out <= 0) return;
  const int64_t pairs = (k + 1) / 2, blocks = (rows + kMR - 1) / kMR;
  const bool odd_k = k % 2 != 0;
  // Packed x: [blocks][pairs][kMR] words, rows past the end and the odd k's partner are zero.
  thread_local std::vector<uint32_t> packed;
  packed.assign(size_t(blocks * pairs * kMR), 0u);
  uint32_t* xp = packed.data();
  auto pack = [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b)
      for (int64_t r = 0; r < kMR && b * kMR + r < rows; ++r) {
        const float* xr = x + (b * kMR + r) * k;
        uint32_t* dst = xp + b * pairs * kMR + r;
        for (int64_t p = 0; p < pairs; ++p) {
          const uint32_t lo = f32_to_bf16(xr[2 * p]);
          const uint32_t hi = 2 * p + 1 < k ? f32_to_bf16(xr[2 * p + 1]) : 0u;
          dst[p * kMR] = lo | (hi << 16);
        }
      }
  };
  parallel_for(blocks, 1, pack);
  const bool convert = w_dtype != DType::BFloat16;
  const size_t es = dtype_size(w_dtype);
  auto slices = [&](int64_t o0, int64_t o1) {
    // f32/f16 weights: this slice's rows rounded to bf16 into a reused buffer first.
    const uint16_t* ws = reinterpret_cast<const uint16_t*>(static_cast<const std::byte*>(w) + o0 * ldw * int64_t(es));
    int64_t ld = ldw;
    if (convert) {
      thread_local std::vector<uint16_t> buffer;
      if (buffer.size() < size_t((o1 - o0) * k)) buffer.resize(size_t((o1 - o0) * k));
      rows_to_bf16(static_cast<const std::byte*>(w) + o0 * ldw * int64_t(es), w_dtype, o1 - o0, k, ldw, buffer.data());
      ws = buffer.data();
      ld = k;
    }
    for (int64_t b = 0; b < blocks; ++b) {
      const int64_t valid = std::min<int64_t>(kMR, rows - b * kMR);
      for (int64_t o = o0; o < o1; o += kNR) {
        const int nr = int(std::min<int64_t>(kNR, o1 - o));
        kMicroTiles[size_t(nr - 1)](xp + b * pairs * kMR, pairs, odd_k, ws + (o - o0) * ld, ld, k,
                                    y + b * kMR * ldy + o, ldy, valid, bias ? bias + o : nullptr);
      }
    }
  };
  // Slices of whole micro-tiles, about four per thread; converted slices also stay within 2 MiB.
  const int64_t per = 4 * int64_t(runtime::num_threads());
  int64_t slice = std::max<int64_t>(kNR, ((n_out + per - 1) / per + kNR - 1) / kNR * kNR);
  if (convert) {
    const int64_t fits = (int64_t(1) << 20) / std::max<int64_t>(k, 1) / kNR * kNR;  // 2 MiB of bf16
    slice = std::min(slice, std::max<int64_t>(kNR, fits));
  }
  parallel_for(n_out, slice, slices);
}

}  // namespace transformers::cpu
