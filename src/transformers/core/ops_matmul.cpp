// matmul and linear: OpenBLAS sgemm/dgemm for GEMM, our gemv kernels for a few rows, and
// tiles of converted half weights fed to sgemm for many rows.
#include <cblas.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "transformers/core/autograd.h"
#include "transformers/core/cpu/convert.h"
#include "transformers/core/cpu/gemm_bf16.h"
#include "transformers/core/cpu/gemv.h"
#include "transformers/core/cpu/pool.h"
#include "transformers/core/error.h"
#include "transformers/core/ops.h"
#include "transformers/core/runtime.h"

namespace transformers::ops {

namespace {

// A 2-d operand for BLAS: contiguous rows, or the transpose of contiguous rows.
struct BlasMatrix {
  Tensor t;   // keeps data alive
  bool trans; // true when t's storage holds the transpose in row-major
  int64_t ld;
};

BlasMatrix as_blas(const Tensor& m) {
  // m is [r, c]
  if (m.stride(1) == 1 && m.stride(0) >= std::max<int64_t>(m.size(1), 1)) return {m, false, m.stride(0)};
  if (m.stride(0) == 1 && m.stride(1) >= std::max<int64_t>(m.size(0), 1)) return {m, true, m.stride(1)};
  Tensor c = m.contiguous();
  return {c, false, std::max<int64_t>(c.size(1), 1)};
}

// out [n, m] = a [n, k] x b [k, m], all f32 or all f64.
void gemm_2d(const Tensor& a, const Tensor& b, const Tensor& out) {
  const int64_t n = a.size(0), k = a.size(1), m = b.size(1);
  if (n == 0 || m == 0) return;
  if (k == 0) {
    out.fill_(0.0);
    return;
  }
  BlasMatrix A = as_blas(a), B = as_blas(b);
  if (out.dtype() == DType::Float64) {
    cblas_dgemm(CblasRowMajor, A.trans ? CblasTrans : CblasNoTrans, B.trans ? CblasTrans : CblasNoTrans,
                int(n), int(m), int(k), 1.0, static_cast<const double*>(A.t.raw_data()), int(A.ld),
                static_cast<const double*>(B.t.raw_data()), int(B.ld), 0.0,
                static_cast<double*>(out.raw_data()), int(out.stride(0)));
  } else {
    cblas_sgemm(CblasRowMajor, A.trans ? CblasTrans : CblasNoTrans, B.trans ? CblasTrans : CblasNoTrans,
                int(n), int(m), int(k), 1.0f, static_cast<const float*>(A.t.raw_data()), int(A.ld),
                static_cast<const float*>(B.t.raw_data()), int(B.ld), 0.0f,
                static_cast<float*>(out.raw_data()), int(out.stride(0)));
  }
}

// Note [Linear with many rows]
// y [rows, n_out] = x [rows, k] W^T is cut into slices that the decode pool's threads claim one
// at a time (Note [Decode thread pool]); each slice is one single-threaded sgemm. OpenBLAS's own
// threading ends every call in an OpenMP barrier, which on a shared machine waits for
// descheduled threads (measured: a quarter of prefill's CPU time spinning in libgomp).
// Each sgemm call packs both of its operands, so the slices cut the larger of the two: with
// fewer rows than outputs (LLM prefill) slices of W's rows, each packing all of x; with more rows
// than outputs (a batch of encoder sentences: 4096 rows against 384 outputs) slices of x's rows,
// each packing all of W. Cutting the wrong one made MiniLM spend a quarter of its time packing x.
// With f16/bf16 weights, each W slice is first converted to f32 into a reused thread-local
// buffer: W is read once; going through gemv instead would stream W once per 8 rows of x. Row
// slices convert all of W once, up front.
// Two slices per thread: with four, repacking x was 5-10% of the time on the issue-5 model
// shapes (bench_matmul BM_LinearModelShape, 13 of 16 shapes faster with two). The conversion
// buffer may take a whole slice (up to 16 MiB): a buffer that stays in L2 would cut Llama's down
// projection (k 8192) into 16 slices that each repack x (0.81 -> 0.90 of sgemm without the cap).
constexpr size_t kHalfTileBytes = size_t(16) << 20;

// Slices of at least `min` (a multiple of 16): enough for the threads to share the work evenly,
// few enough that the other operand is not repacked too often.
int64_t slice_size(int64_t n, int64_t min) {
  const int64_t per = 2 * int64_t(runtime::num_threads());
  return std::clamp<int64_t>(((n + per - 1) / per + 15) / 16 * 16, min, std::max<int64_t>(n, min));
}

// y [rows, n_out] (row stride ldy) = x [rows, k] w^T (+ bias), while the slice is in cache. w is
// [n_out, k] with row stride ldw, or with k_major [k, n_out] (Hugging Face's Conv1D layout).
void sgemm_xwt(const float* x, int64_t rows, int64_t k, const float* w, int64_t ldw, int64_t n_out, float* y,
               int64_t ldy, const float* bias, bool k_major = false) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, k_major ? CblasNoTrans : CblasTrans, int(rows), int(n_out), int(k), 1.0f,
              x, int(k), w, int(ldw), 0.0f, y, int(ldy));
  if (bias)
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t o = 0; o < n_out; ++o) y[r * ldy + o] += bias[o];
}

void linear_gemm(const Tensor& x, const Tensor& weight, const float* bias, const Tensor& y) {
  const int64_t rows = x.size(0), k = x.size(1), n_out = weight.size(0);
  const DType wdt = weight.dtype();
  const bool half = wdt != DType::Float32;
  const float* px = x.data<float>();
  float* py = y.data<float>();
  // weight [n_out, k] is a transposed view of [k, n_out] storage (Conv1D): slices are columns.
  const bool k_major = weight.stride(1) != 1;
  if (rows > n_out) {
    Tensor w32 = half || k_major ? weight.to(DType::Float32).contiguous() : weight;
    const float* pw = w32.data<float>();
    const int64_t ldw = w32.stride(0);
    auto row_slices = [&](int64_t r0, int64_t r1) {
      sgemm_xwt(px + r0 * k, r1 - r0, k, pw, ldw, n_out, py + r0 * n_out, n_out, bias);
    };
    cpu::parallel_for(rows, slice_size(rows, 16), row_slices);
    return;
  }
  int64_t tile = slice_size(n_out, 16);
  if (half) {
    const int64_t fits = int64_t(kHalfTileBytes / (size_t(std::max<int64_t>(k, 1)) * sizeof(float))) / 16 * 16;
    tile = std::clamp<int64_t>(fits, 16, tile);
  }
  const size_t es = dtype_size(wdt);
  const std::byte* w = static_cast<const std::byte*>(weight.raw_data());
  const int64_t ldw = k_major ? weight.stride(1) : weight.stride(0);
  auto slices = [&](int64_t o0, int64_t o1) {
    const int64_t nt = o1 - o0;
    // The slice's first weight: row o0, or column o0 of the [k, n_out] storage.
    const std::byte* first = w + (k_major ? o0 : o0 * ldw) * int64_t(es);
    const float* b = reinterpret_cast<const float*>(first);
    int64_t ldb = ldw;
    if (half) {
      thread_local std::vector<float> buffer;
      if (buffer.size() < size_t(nt * k)) buffer.resize(size_t(nt * k));
      if (k_major) cpu::rows_to_f32(first, wdt, k, nt, ldw, buffer.data());  // [k, nt]
      else cpu::rows_to_f32(first, wdt, nt, k, ldw, buffer.data());          // [nt, k]
      b = buffer.data();
      ldb = k_major ? nt : k;
    }
    sgemm_xwt(px, rows, k, b, ldb, nt, py + o0, n_out, bias ? bias + o0 : nullptr, k_major);
  };
  cpu::parallel_for(n_out, tile, slices);
}

Tensor matmul_forward(const Tensor& a0, const Tensor& b0) {
  TFM_CHECK(a0.dim() >= 1 && b0.dim() >= 1, "[matmul] inputs must have at least one dim");
  Tensor a = a0.dim() == 1 ? a0.unsqueeze(0) : a0;
  Tensor b = b0.dim() == 1 ? b0.unsqueeze(1) : b0;
  TFM_CHECK(a.size(-1) == b.size(-2), "[matmul] shapes ", shape_str(a0.shape()), " and ",
            shape_str(b0.shape()), " cannot be multiplied");
  DType dt = promote_types(a.dtype(), b.dtype());
  DType compute = dt == DType::Float64 ? DType::Float64 : DType::Float32;
  TFM_CHECK(is_floating(dt), "[matmul] needs floating inputs, got ", dtype_name(a.dtype()), " and ",
            dtype_name(b.dtype()));
  a = a.to(compute);
  b = b.to(compute);
  // Broadcast leading dims.
  Shape ba(a.shape().begin(), a.shape().end() - 2), bb(b.shape().begin(), b.shape().end() - 2);
  size_t rank = std::max(ba.size(), bb.size());
  Shape batch(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - ba.size() ? 1 : ba[i - (rank - ba.size())];
    int64_t db = i < rank - bb.size() ? 1 : bb[i - (rank - bb.size())];
    TFM_CHECK(da == db || da == 1 || db == 1, "[matmul] batch dims of ", shape_str(a0.shape()),
              " and ", shape_str(b0.shape()), " cannot be broadcast");
    batch[i] = da == 1 ? db : da;
  }
  const int64_t n = a.size(-2), k = a.size(-1), m = b.size(-1);
  Shape ea = batch, eb = batch;
  ea.push_back(n), ea.push_back(k);
  eb.push_back(k), eb.push_back(m);
  Tensor a3 = a.expand(ea).reshape({-1, n, k});
  Tensor b3 = b.expand(eb).reshape({-1, k, m});
  Shape out_shape = batch;
  out_shape.push_back(n), out_shape.push_back(m);
  const int64_t nb = shape_numel(batch);
  Tensor out = Tensor::empty({nb, n, m}, compute);
  for (int64_t i = 0; i < nb; ++i) gemm_2d(a3.select(0, i), b3.select(0, i), out.select(0, i));
  out = out.view(out_shape);
  if (a0.dim() == 1) out = out.squeeze(-2);
  if (b0.dim() == 1) out = out.squeeze(-1);
  return out.to(dt);
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  Tensor out = matmul_forward(a, b);
  if (autograd::needs_grad({a, b})) {
    TFM_CHECK(a.dim() >= 2 && b.dim() >= 2, "[matmul] backward needs 2-d or batched inputs");
    Tensor ad = a.detach(), bd = b.detach();
    autograd::record(out, "matmul", {a, b}, [ad, bd](const Tensor& g) {
      Tensor ga = matmul_forward(g, bd.transpose(-1, -2));
      Tensor gb = matmul_forward(ad.transpose(-1, -2), g);
      return std::vector<Tensor>{sum_to_shape(ga, ad.shape()), sum_to_shape(gb, bd.shape())};
    });
  }
  return out;
}

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  TFM_CHECK(weight.dim() == 2, "[linear] weight must be [out, in], got ", shape_str(weight.shape()));
  TFM_CHECK(x.dim() >= 1 && x.size(-1) == weight.size(1), "[linear] input ", shape_str(x.shape()),
            " does not match weight ", shape_str(weight.shape()));
  const int64_t n_out = weight.size(0), k = weight.size(1);
  TFM_CHECK(!bias.defined() || (bias.dim() == 1 && bias.size(0) == n_out), "[linear] bias ",
            shape_str(bias.defined() ? bias.shape() : Shape{}), " does not match ", n_out, " outputs");
  Shape out_shape = x.shape();
  out_shape.back() = n_out;
  const bool grad = autograd::needs_grad({x, weight, bias});
  const DType wdt = weight.dtype();
  const bool half_weight = wdt == DType::Float16 || wdt == DType::BFloat16;
  Tensor out;
  // Weights whose rows are contiguous, or the transpose of such a matrix (HF's Conv1D keeps
  // [in, out]: GPT-2 runs on a view instead of a transposed copy).
  const bool k_major = weight.stride(1) != 1 && weight.stride(0) == 1 && n_out > 1;
  if (!grad && x.dtype() != DType::Float64 && (wdt == DType::Float32 || half_weight) &&
      (weight.stride(1) == 1 || k_major)) {
    Tensor x2 = x.to(DType::Float32).reshape({-1, k}).contiguous();
    const int64_t rows = x2.size(0);
    Tensor b32 = bias.defined() ? bias.to(DType::Float32).contiguous() : Tensor();
    Tensor y = Tensor::empty({rows, n_out}, DType::Float32);
    if (rows <= cpu::kGemvMaxRows) {
      // Few rows (decode): one pass over the weights, in their stored dtype.
      const cpu::GemvArgs args{weight.raw_data(), wdt, n_out, k, k_major ? weight.stride(1) : weight.stride(0),
                               x2.data<float>(), k, y.data<float>(), n_out, rows,
                               b32.defined() ? b32.data<float>() : nullptr};
      if (k_major) cpu::gemv_k_major(args);
      else cpu::gemv(args);
    } else if (runtime::bf16_matmul_allowed()) {
      // Float32 matmul precision "medium": x and W rounded to bf16 (runtime.h). The bf16 kernel
      // reads weight rows; a Conv1D weight is made row-major for the call.
      const Tensor w = k_major ? weight.contiguous() : weight;
      const float* bp = b32.defined() ? b32.data<float>() : nullptr;
      if (runtime::has_avx512_bf16() && runtime::simd_level() == runtime::SimdLevel::Avx2)
        cpu::gemm_bf16_avx512(x2.data<float>(), rows, k, w.raw_data(), wdt, w.stride(0), n_out, y.data<float>(),
                              n_out, bp);
      else
        linear_gemm(x2.to(DType::BFloat16).to(DType::Float32), wdt == DType::BFloat16 ? w : w.to(DType::BFloat16),
                    bp, y);
    } else {
      linear_gemm(x2, weight, b32.defined() ? b32.data<float>() : nullptr, y);
    }
    out = y.view(out_shape).to(x.dtype());
    return out;
  }
  // General (and differentiable) path: composed from matmul and add.
  out = matmul(x, weight.transpose(0, 1));
  if (bias.defined()) out = add(out, bias);
  return out;
}

}  // namespace transformers::ops
