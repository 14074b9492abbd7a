// Fused kernels against their composed definitions (STYLE.md "Fused vs composed"), and the
// AVX2 GEMV against the reference loops. The composed path is reached by making an input
// require grad: the ops then build the result from elementary ops.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>
#include <string>

#include "transformers/core/cpu/gemv.h"
#include "transformers/core/error.h"
#include "transformers/core/cpu/vec.h"
#include "transformers/core/ops.h"
#include "transformers/core/random.h"
#include "transformers/core/runtime.h"

using namespace transformers;

namespace {
const int64_t kSizes[] = {1, 31, 32, 33, 256};
const DType kDTypes[] = {DType::Float32, DType::Float16, DType::BFloat16};

// Per-dtype tolerance on values of order one: a few units in the last place of the output dtype.
double tolerance(DType dt) {
  switch (dt) {
    case DType::Float16: return 4e-3;
    case DType::BFloat16: return 3e-2;
    default: return 2e-5;
  }
}

Tensor composed_input(const Tensor& t) {
  Tensor c = t.clone();
  c.set_requires_grad(true);
  return c;
}

// Fails with the first mismatching index, both values and the max difference.
void expect_close(const Tensor& got, const Tensor& want, double atol, double rtol, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  ASSERT_EQ(got.dtype(), want.dtype()) << what;
  std::vector<double> g = got.to_vector<double>(), w = want.to_vector<double>();
  double max_diff = 0;
  int64_t first_bad = -1;
  for (size_t i = 0; i < g.size(); ++i) {
    const double d = std::abs(g[i] - w[i]);
    max_diff = std::max(max_diff, d);
    if (first_bad < 0 && !(d <= atol + rtol * std::abs(w[i]))) first_bad = int64_t(i);
  }
  EXPECT_LT(first_bad, 0) << what << ": first mismatch at " << first_bad << " got "
                          << g[size_t(std::max<int64_t>(first_bad, 0))] << " want "
                          << w[size_t(std::max<int64_t>(first_bad, 0))] << ", max diff " << max_diff;
}

class SimdGuard {
 public:
  explicit SimdGuard(runtime::SimdLevel level) : previous_(runtime::simd_level()) {
    runtime::set_simd_level(level);
  }
  ~SimdGuard() { runtime::set_simd_level(previous_); }

 private:
  runtime::SimdLevel previous_;
};

bool has_avx2() {
  SimdGuard probe(runtime::SimdLevel::Avx2);
  return runtime::simd_level() == runtime::SimdLevel::Avx2;
}
}  // namespace

TEST(FusedTest, RmsNormMatchesComposed) {
  Generator gen(1);
  for (DType dt : kDTypes)
    for (int64_t n : kSizes) {
      Tensor x = ops::randn({3, 2, n}, gen).to(dt);
      Tensor w = ops::randn({n}, gen).to(dt);
      for (double offset : {0.0, 1.0}) {
        Tensor fused = ops::rms_norm(x, w, 1e-6, offset);
        Tensor composed = ops::rms_norm(composed_input(x), w, 1e-6, offset).detach();
        const double tol = tolerance(dt);
        expect_close(fused, composed, tol, tol,
                     std::string("rms_norm ") + std::string(dtype_name(dt)) + " n=" + std::to_string(n));
      }
    }
}

TEST(FusedTest, LayerNormMatchesComposed) {
  Generator gen(2);
  for (DType dt : kDTypes)
    for (int64_t n : kSizes) {
      // An offset mean tests the centring.
      Tensor x = ops::add(ops::randn({4, n}, gen), 3.0).to(dt);
      Tensor w = ops::randn({n}, gen).to(dt), b = ops::randn({n}, gen).to(dt);
      Tensor fused = ops::layer_norm(x, w, b, 1e-5);
      Tensor composed = ops::layer_norm(composed_input(x), w, b, 1e-5).detach();
      const double tol = tolerance(dt);
      expect_close(fused, composed, tol, tol,
                   std::string("layer_norm ") + std::string(dtype_name(dt)) + " n=" + std::to_string(n));
      expect_close(ops::layer_norm(x, Tensor(), Tensor(), 1e-5),
                   ops::layer_norm(composed_input(x), Tensor(), Tensor(), 1e-5).detach(), tol, tol,
                   "layer_norm without affine");
    }
}

TEST(FusedTest, ApplyRotaryMatchesComposed) {
  // The fused kernel serves f32; half dtypes use the composed path on purpose (Hugging Face
  // rounds q * cos and rotate_half(q) * sin to the input dtype separately).
  Generator gen(3);
  for (int64_t seq : kSizes)
    for (int64_t rot : {int64_t(8), int64_t(16)}) {
      Tensor x = ops::randn({2, 3, seq, 16}, gen);
      Tensor cos = ops::randn({2, seq, rot}, gen), sin = ops::randn({2, seq, rot}, gen);
      expect_close(ops::apply_rotary(x, cos, sin), ops::apply_rotary(composed_input(x), cos, sin).detach(),
                   1e-6, 1e-6, "rotary seq=" + std::to_string(seq) + " rot=" + std::to_string(rot));
      // A transposed (non-contiguous) input, as q.view(...).transpose(1, 2) produces.
      Tensor xt = ops::randn({2, seq, 3, 16}, gen).transpose(1, 2);
      expect_close(ops::apply_rotary(xt, cos, sin), ops::apply_rotary(composed_input(xt), cos, sin).detach(),
                   1e-6, 1e-6, "rotary strided");
    }
}

namespace {
struct AttnCase {
  std::string name;
  int64_t heads, kv_heads;
  bool causal = false, padding = false, additive = false, decode = false;
  int64_t window = 0;
  double softcap = 0;
};

void check_attention(const AttnCase& c, int64_t S, int64_t D, DType dt, Generator& gen) {
  const int64_t B = 2, L = c.decode ? 1 : S;
  Tensor q = ops::randn({B, c.heads, L, D}, gen).to(dt);
  // K/V as a view into a longer cache buffer (strided along seq), as a KV cache hands them over.
  Tensor k = ops::randn({B, c.kv_heads, S + 5, D}, gen).to(dt).narrow(2, 0, S);
  Tensor v = ops::randn({B, c.kv_heads, S + 5, D}, gen).to(dt).narrow(2, 0, S);
  ops::AttentionOptions o;
  o.scale = 1.0 / std::sqrt(double(D));
  o.is_causal = c.causal;
  o.q_offset = c.decode ? S - 1 : 0;
  o.sliding_window = c.window;
  o.softcap = c.softcap;
  if (c.padding) {
    std::vector<int64_t> m(size_t(B * S), 1);
    for (int64_t j = 0; j < std::min<int64_t>(3, S - 1); ++j) m[size_t(S + j)] = 0;  // left pad row 1
    o.key_padding_mask = Tensor::from_vector(m, {B, S});
  }
  if (c.additive) o.additive_mask = ops::randn({1, c.heads, L, S}, gen).to(dt);
  Tensor fused = ops::scaled_dot_product_attention(q, k, v, o);
  Tensor composed = ops::scaled_dot_product_attention(composed_input(q), k, v, o).detach();
  const double tol = tolerance(dt);
  expect_close(fused, composed, tol, tol,
               "attention " + c.name + " " + std::string(dtype_name(dt)) + " S=" + std::to_string(S) +
                   " D=" + std::to_string(D));
}
}  // namespace

TEST(FusedTest, AttentionMatchesComposed) {
  Generator gen(4);
  const AttnCase cases[] = {
      {"plain", 2, 2},
      {"causal", 2, 2, true},
      {"causal+padding", 2, 2, true, true},
      {"gqa", 4, 2, true},
      {"mqa+decode", 4, 1, true, false, false, true},
      {"sliding", 2, 1, true, false, false, false, 7},
      {"sliding+decode+padding", 2, 2, true, true, false, true, 5},
      {"softcap", 2, 2, true, false, false, false, 0, 5.0},
      {"additive", 2, 2, false, false, true},
      {"additive+causal+padding", 4, 2, true, true, true},
  };
  for (const AttnCase& c : cases)
    for (int64_t S : kSizes)
      for (DType dt : kDTypes) check_attention(c, S, S == 256 ? 64 : 33, dt, gen);
}

TEST(FusedTest, AttentionQueryBlocksMatchOneQueryAtATime) {
  // Prefill after a cached prefix (q_offset > 0) goes through the blocked path; each query alone
  // (decode) goes through the row kernel. Both must see the same keys.
  Generator gen(6);
  const int64_t L = 70, S = 100, D = 32;  // two query blocks, the second partial
  Tensor q = ops::randn({2, 4, L, D}, gen), k = ops::randn({2, 2, S, D}, gen), v = ops::randn({2, 2, S, D}, gen);
  std::vector<int64_t> m(size_t(2 * S), 1);
  for (int64_t j = 0; j < 40; ++j) m[size_t(S + j)] = 0;  // row 1: 40 padded keys
  for (int64_t window : {int64_t(0), int64_t(12)}) {
    ops::AttentionOptions o;
    o.scale = 0.2;
    o.is_causal = true;
    o.q_offset = S - L;
    o.sliding_window = window;
    o.key_padding_mask = Tensor::from_vector(m, {2, S});
    Tensor all = ops::scaled_dot_product_attention(q, k, v, o);
    for (int64_t i = 0; i < L; i += 7) {
      ops::AttentionOptions oi = o;
      oi.q_offset = S - L + i;
      Tensor one = ops::scaled_dot_product_attention(q.narrow(2, i, 1).contiguous(), k, v, oi);
      expect_close(all.narrow(2, i, 1), one, 1e-5, 1e-5,
                   "query " + std::to_string(i) + " window " + std::to_string(window));
    }
  }
}

TEST(FusedTest, AttentionScalarAndSimdPathsAgree) {
  if (!has_avx2()) GTEST_SKIP() << "no AVX2 on this CPU";
  Generator gen(5);
  for (int64_t D : {int64_t(1), int64_t(7), int64_t(8), int64_t(33), int64_t(64), int64_t(128)}) {
    Tensor q = ops::randn({1, 4, 9, D}, gen), k = ops::randn({1, 2, 40, D}, gen),
           v = ops::randn({1, 2, 40, D}, gen);
    ops::AttentionOptions o;
    o.scale = 0.3;
    o.is_causal = true;
    o.q_offset = 31;
    Tensor simd = ops::scaled_dot_product_attention(q, k, v, o);
    SimdGuard scalar(runtime::SimdLevel::Scalar);
    expect_close(simd, ops::scaled_dot_product_attention(q, k, v, o), 1e-5, 1e-5,
                 "attention simd vs scalar D=" + std::to_string(D));
  }
}

namespace {
// y = W x (+ bias) by the AVX2 kernel and by the reference, W in dt with padded row strides.
void check_gemv(DType dt, int64_t n_out, int64_t k, int64_t rows, bool bias, Generator& gen) {
  const int64_t ldw = k + 3, ldx = k + 1, ldy = n_out + 2;
  Tensor w = ops::randn({n_out, ldw}, gen).to(dt);
  Tensor x = ops::randn({rows, ldx}, gen);
  Tensor b = ops::randn({n_out}, gen);
  Tensor y1 = Tensor::zeros({rows, ldy}), y2 = Tensor::zeros({rows, ldy});
  cpu::GemvArgs a{w.raw_data(), dt, n_out, k, ldw, x.data<float>(), ldx, y1.data<float>(), ldy, rows,
                  bias ? b.data<float>() : nullptr};
  cpu::gemv_avx2(a);
  a.y = y2.data<float>();
  cpu::gemv_reference(a);
  // Reordered f32 sums differ by rounding, bounded by eps * sum |w x|.
  std::vector<float> vw = w.to_vector<float>(), vx = x.to_vector<float>();
  std::vector<float> g1 = y1.to_vector<float>(), g2 = y2.to_vector<float>();
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t o = 0; o < ldy; ++o) {
      const float got = g1[size_t(r * ldy + o)], want = g2[size_t(r * ldy + o)];
      if (o >= n_out) {  // padding between rows is never written
        ASSERT_EQ(got, 0.0f);
        continue;
      }
      double mag = bias ? std::abs(b.to_vector<float>()[size_t(o)]) : 0.0;
      for (int64_t i = 0; i < k; ++i) mag += std::abs(vw[size_t(o * ldw + i)] * vx[size_t(r * ldx + i)]);
      ASSERT_NEAR(got, want, 1e-6 * (mag + 1) * 4)
          << dtype_name(dt) << " n_out=" << n_out << " k=" << k << " rows=" << rows << " at [" << r
          << ", " << o << "]";
    }
}
}  // namespace

TEST(GemvTest, Avx2MatchesReference) {
  if (!has_avx2()) GTEST_SKIP() << "no AVX2 on this CPU";
  Generator gen(6);
  for (DType dt : kDTypes)
    for (int64_t k : {1, 7, 8, 9, 31, 33, 64, 257})
      for (int64_t n_out : {1, 3, 17, 64})
        for (int64_t rows = 1; rows <= cpu::kGemvMaxRows; ++rows) check_gemv(dt, n_out, k, rows, rows % 2 == 1, gen);
}

TEST(GemvTest, LinearAgreesAcrossSimdLevelsAndRowCounts) {
  // linear() picks gemv for few rows and GEMM (or tiles of converted weights) for many; every
  // path must give the same numbers as the reference loops.
  Generator gen(7);
  for (DType dt : kDTypes)
    for (int64_t rows : {1, 5, 8, 9, 40, 130}) {
      Tensor x = ops::randn({rows, 67}, gen);
      Tensor w = ops::randn({45, 67}, gen).to(dt);
      Tensor b = ops::randn({45}, gen);
      Tensor fast = ops::linear(x, w, b);
      Tensor ref;
      {
        SimdGuard scalar(runtime::SimdLevel::Scalar);
        ref = ops::linear(x, w, b);
      }
      // The definition in f64: x W^T + b.
      Tensor want = ops::add(ops::matmul(x.to(DType::Float64), w.to(DType::Float64).transpose(0, 1)),
                             b.to(DType::Float64)).to(DType::Float32);
      expect_close(fast, want, 1e-4, 1e-4,
                   std::string("linear fast ") + std::string(dtype_name(dt)) +
                       " rows=" + std::to_string(rows));
      expect_close(ref, want, 1e-4, 1e-4,
                   std::string("linear scalar ") + std::string(dtype_name(dt)) +
                       " rows=" + std::to_string(rows));
    }
}

TEST(GemvTest, HalfWeightTilesCoverEveryOutput) {
  // k = 20000 makes a tile 48 rows of W (4 MiB of f32), so 100 outputs take tiles of 48, 48, 4.
  Generator gen(8);
  const int64_t k = 20000, n_out = 100, rows = 12;
  Tensor x = ops::randn({rows, k}, gen);
  Tensor w32 = ops::randn({n_out, k}, gen);
  Tensor b = ops::randn({n_out}, gen);
  for (DType dt : {DType::Float16, DType::BFloat16}) {
    Tensor w = w32.to(dt);
    Tensor want = ops::add(ops::matmul(x.to(DType::Float64), w.to(DType::Float64).transpose(0, 1)),
                           b.to(DType::Float64)).to(DType::Float32);
    expect_close(ops::linear(x, w, b), want, 2e-3, 1e-4, std::string("tiled ") + std::string(dtype_name(dt)));
  }
}

namespace {
class MatmulPrecisionGuard {
 public:
  explicit MatmulPrecisionGuard(const std::string& p) : previous_(runtime::get_float32_matmul_precision()) {
    runtime::set_float32_matmul_precision(p);
  }
  ~MatmulPrecisionGuard() { runtime::set_float32_matmul_precision(previous_); }

 private:
  std::string previous_;
};
}  // namespace

TEST(GemmBf16Test, MatmulPrecisionNamesFollowPyTorch) {
  MatmulPrecisionGuard guard("highest");
  EXPECT_FALSE(runtime::bf16_matmul_allowed());
  runtime::set_float32_matmul_precision("high");
  EXPECT_EQ(runtime::get_float32_matmul_precision(), "high");
  EXPECT_FALSE(runtime::bf16_matmul_allowed());
  runtime::set_float32_matmul_precision("medium");
  EXPECT_TRUE(runtime::bf16_matmul_allowed());
  EXPECT_THROW(runtime::set_float32_matmul_precision("low"), Error);
  EXPECT_EQ(runtime::get_float32_matmul_precision(), "medium");
}

TEST(GemmBf16Test, MediumPrecisionRoundsTheInputToBf16) {
  // 1 + 2^-10 is not a bf16 (8 significant bits): it rounds to 1. Against four bf16 ones, a row
  // sums to 4 + 2^-8 in f32 and to exactly 4 once the input is rounded.
  Tensor x = Tensor::full({16, 4}, 1.0 + 1.0 / 1024, DType::Float32);
  Tensor w = Tensor::ones({3, 4}, DType::BFloat16);
  {
    MatmulPrecisionGuard guard("highest");
    for (float v : ops::linear(x, w, Tensor()).to_vector<float>()) ASSERT_EQ(v, 4.0f + 1.0f / 256);
  }
  MatmulPrecisionGuard guard("medium");
  for (runtime::SimdLevel level : {runtime::SimdLevel::Avx2, runtime::SimdLevel::Scalar}) {
    SimdGuard simd(level);  // AVX512-BF16 kernel where the CPU has it; rounding + sgemm otherwise
    for (float v : ops::linear(x, w, Tensor()).to_vector<float>()) ASSERT_EQ(v, 4.0f);
  }
  // Few rows go through gemv, which keeps f32 inputs (decode is memory bound either way).
  for (float v : ops::linear(x.narrow(0, 0, 2), w, Tensor()).to_vector<float>()) ASSERT_EQ(v, 4.0f + 1.0f / 256);
}

TEST(GemmBf16Test, MediumPrecisionMatchesTheRoundedDefinition) {
  // Every edge of the kernel: row counts around its 32-row blocks, weight rows around its
  // 12-row tiles, odd k (the last pair has one element), a row stride wider than k, and bias;
  // k = 333 also leaves a tail after the 16-wide weight conversion.
  // f32 and f16 weights are rounded to bf16 as well (PyTorch's "medium").
  Generator gen(11);
  MatmulPrecisionGuard guard("medium");
  for (DType dt : kDTypes)
  for (int64_t rows : {9, 31, 32, 33, 100})
    for (int64_t k : {1, 2, 7, 64, 333})
      for (int64_t n_out : {1, 11, 12, 13, 50}) {
        Tensor x = ops::randn({rows, k}, gen);
        Tensor w = ops::randn({n_out, k + 3}, gen).to(dt).narrow(1, 0, k);
        Tensor b = ops::randn({n_out}, gen);
        Tensor want = ops::add(ops::matmul(x.to(DType::BFloat16).to(DType::Float64),
                                           w.to(DType::BFloat16).to(DType::Float64).transpose(0, 1)),
                               b.to(DType::Float64)).to(DType::Float32);
        const std::string what = std::string(dtype_name(dt)) + " rows=" + std::to_string(rows) +
                                 " k=" + std::to_string(k) + " n_out=" + std::to_string(n_out);
        expect_close(ops::linear(x, w, b), want, 1e-4, 1e-4, "medium " + what);
        SimdGuard scalar(runtime::SimdLevel::Scalar);
        expect_close(ops::linear(x, w, b), want, 1e-4, 1e-4, "medium scalar " + what);
      }
}

// HF's Conv1D keeps its weight [in, out]; GPT-2 passes linear() the transposed view. Every path
// (decode rows through gemv_k_major, prefill slices, more rows than outputs, "medium") must give
// sum_i x[r, i] W[i, o] + b[o], computed here in double from the weights as stored.
TEST(FusedTest, LinearOnATransposedWeightViewMatchesTheDefinition) {
  Generator gen(12);
  struct Shape2 {
    int64_t n_out, k;
  };
  for (DType dt : kDTypes)
    for (Shape2 sh : {Shape2{37, 70}, Shape2{300, 129}, Shape2{9, 200}})
      for (int64_t rows : {int64_t(1), int64_t(3), int64_t(8), int64_t(9), int64_t(40), int64_t(400)}) {
        const int64_t ldw = sh.n_out + 3;  // a padded row stride, as a view into a larger buffer
        Tensor storage = ops::randn({sh.k, ldw}, gen).to(dt);
        Tensor weight = storage.narrow(1, 0, sh.n_out).transpose(0, 1);  // [n_out, k], strides (1, ldw)
        ASSERT_EQ(weight.stride(0), 1);
        Tensor x = ops::randn({rows, sh.k}, gen), b = ops::randn({sh.n_out}, gen);
        std::vector<double> w = storage.to_vector<double>(), xv = x.to_vector<double>(), bv = b.to_vector<double>();
        std::vector<float> want(size_t(rows * sh.n_out));
        double scale = 0;  // sum |x w|: the size of f32 rounding in any summation order
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t o = 0; o < sh.n_out; ++o) {
            double acc = bv[size_t(o)], mag = 0;
            for (int64_t i = 0; i < sh.k; ++i) {
              acc += xv[size_t(r * sh.k + i)] * w[size_t(i * ldw + o)];
              mag += std::abs(xv[size_t(r * sh.k + i)] * w[size_t(i * ldw + o)]);
            }
            want[size_t(r * sh.n_out + o)] = float(acc);
            scale = std::max(scale, mag);
          }
        const Tensor expected = Tensor::from_vector(want, {rows, sh.n_out});
        const std::string what = std::string(dtype_name(dt)) + " n_out=" + std::to_string(sh.n_out) +
                                 " k=" + std::to_string(sh.k) + " rows=" + std::to_string(rows);
        const double atol = 1e-6 * scale;
        expect_close(ops::linear(x, weight, b), expected, atol, 0, what);
        {
          SimdGuard scalar(runtime::SimdLevel::Scalar);
          expect_close(ops::linear(x, weight, b), expected, atol, 0, "scalar " + what);
        }
        // "medium" rounds to bf16 either way: the view and a row-major copy agree exactly.
        runtime::set_float32_matmul_precision("medium");
        const Tensor medium_view = ops::linear(x, weight, b), medium_copy = ops::linear(x, weight.contiguous(), b);
        runtime::set_float32_matmul_precision("highest");
        if (rows > cpu::kGemvMaxRows) expect_close(medium_view, medium_copy, 0, 0, "medium " + what);
      }
}

TEST(VecTest, MaxAndSumOverEveryLength) {
  // Lengths 0..40 cover the empty span, the tails and several 8-wide blocks; the maximum sits at
  // each position in turn, and -inf entries (masked keys) never win.
  for (int64_t n = 0; n <= 40; ++n) {
    EXPECT_EQ(cpu::max_scalar(nullptr, 0), -INFINITY);
    for (int64_t at = 0; at < n; ++at) {
      std::vector<float> x(static_cast<size_t>(n), 0.0f);
      double want_sum = 0;
      for (int64_t i = 0; i < n; ++i) {
        x[size_t(i)] = i % 5 == 4 ? -INFINITY : float(i % 7) * 0.25f - 3.0f;  // quarters: exact sums
        if (i % 5 != 4) want_sum += x[size_t(i)];
      }
      if (at % 5 == 4) continue;
      x[size_t(at)] = 2.5f;
      want_sum += 2.5 - (float(at % 7) * 0.25f - 3.0f);
      EXPECT_EQ(cpu::max_scalar(x.data(), n), 2.5f);
      if (has_avx2()) {
        EXPECT_EQ(cpu::max_avx2(x.data(), n), 2.5f);
      }
      for (float& v : x) v = std::isinf(v) ? 0.0f : v;
      EXPECT_EQ(cpu::sum_scalar(x.data(), n), float(want_sum)) << n;
      if (has_avx2()) {
        EXPECT_EQ(cpu::sum_avx2(x.data(), n), float(want_sum)) << n;
      }
    }
  }
}

TEST(VecTest, Avx2ExpSiluSigmoidMatchLibm) {
  if (!has_avx2()) GTEST_SKIP() << "no AVX2 on this CPU";
  // A dense sweep of the range where expf is finite and normal, plus the odd lengths' tails.
  std::vector<float> x;
  for (float v = -87.0f; v <= 88.0f; v += 0.00917f) x.push_back(v);
  std::vector<float> e(x.size()), si(x.size()), sg(x.size());
  cpu::exp_avx2(x.data(), e.data(), int64_t(x.size()));
  cpu::silu_avx2(x.data(), si.data(), int64_t(x.size()));
  cpu::sigmoid_avx2(x.data(), sg.data(), int64_t(x.size()));
  double worst = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double want = std::exp(double(x[i]));
    const double rel = std::abs(e[i] - want) / want;
    worst = std::max(worst, rel);
    ASSERT_LE(rel, 2.5e-7) << "exp(" << x[i] << ")";  // about 2 ulp of f32
    const double s = 1.0 / (1.0 + std::exp(-double(x[i])));
    ASSERT_NEAR(sg[i], s, 3e-7 * s + 1e-37) << "sigmoid(" << x[i] << ")";
    ASSERT_NEAR(si[i], x[i] * s, 3e-7 * std::abs(x[i] * s) + 1e-37) << "silu(" << x[i] << ")";
  }
  std::ostringstream worst_str;
  worst_str << worst;
  RecordProperty("exp_max_rel_error", worst_str.str());
  // Softmax arguments: -inf gives exactly 0, 0 gives exactly 1; NaN stays NaN; tails of 1..15.
  for (int64_t n = 1; n < 16; ++n) {
    std::vector<float> in(size_t(n), -INFINITY), out(size_t(n), 5.0f);
    in[0] = 0.0f;
    if (n > 2) in[2] = NAN;
    cpu::exp_avx2(in.data(), out.data(), n);
    EXPECT_EQ(out[0], 1.0f);
    for (int64_t i = 1; i < n; ++i) {
      if (i == 2) EXPECT_TRUE(std::isnan(out[2]));
      else EXPECT_EQ(out[size_t(i)], 0.0f) << n;
    }
  }
  std::vector<float> big{-100.0f, 100.0f, NAN}, sb(3);
  cpu::silu_avx2(big.data(), sb.data(), 3);
  EXPECT_NEAR(sb[0], 0.0f, 1e-30);
  EXPECT_EQ(sb[1], 100.0f);
  EXPECT_TRUE(std::isnan(sb[2]));
}

TEST(VecTest, Avx2GeluMatchesErfDefinition) {
  if (!has_avx2()) GTEST_SKIP() << "no AVX2 on this CPU";
  // Dense sweep over [-12, 12] (beyond it gelu is x or 0 to f32 precision), in double for the
  // reference. The bound is Abramowitz & Stegun 7.1.26's 1.5e-7 on erf, halved, times |x|, plus
  // about two f32 roundings of a value near 1 (Note [Vectorized GELU]).
  std::vector<float> x;
  for (float v = -12.0f; v <= 12.0f; v += 0.000731f) x.push_back(v);
  for (float v : {0.0f, -0.0f, 1e-30f, -1e-30f, 30.0f, -30.0f, 1e4f, -1e4f}) x.push_back(v);
  std::vector<float> y(x.size());
  cpu::gelu_avx2(x.data(), y.data(), int64_t(x.size()));
  for (size_t i = 0; i < x.size(); ++i) {
    const double xd = x[i], want = 0.5 * xd * (1.0 + std::erf(xd / std::sqrt(2.0)));
    ASSERT_NEAR(y[i], want, 2.5e-7 * std::max(1.0, std::abs(xd))) << "gelu(" << x[i] << ")";
  }
  // Sign of the tails, NaN and infinities behave as the scalar definition.
  std::vector<float> odd{-40.0f, 40.0f, NAN, INFINITY}, out(odd.size());
  cpu::gelu_avx2(odd.data(), out.data(), int64_t(odd.size()));
  EXPECT_LE(std::abs(out[0]), 1e-30f);
  EXPECT_EQ(out[1], 40.0f);
  EXPECT_TRUE(std::isnan(out[2]));
  EXPECT_EQ(out[3], INFINITY);
}

TEST(VecTest, UnaryAndScalarBroadcastAgreeAcrossSimdLevels) {
  Generator gen(9);
  Tensor x = ops::mul(ops::randn({3, 1001}, gen), 6.0);
  for (ops::UnaryOp op : {ops::UnaryOp::Silu, ops::UnaryOp::Sigmoid, ops::UnaryOp::Gelu}) {
    Tensor fast = ops::unary(op, x);
    SimdGuard scalar(runtime::SimdLevel::Scalar);
    expect_close(fast, ops::unary(op, x), 1e-6, 1e-6, "unary simd vs scalar");
  }
  // x (op) scalar takes the broadcast fast path; the values are the definition's.
  std::vector<float> v = x.to_vector<float>();
  std::vector<float> m = ops::mul(x, 0.125).to_vector<float>(), d = ops::div(x, 3.0).to_vector<float>();
  std::vector<float> s = ops::sub(x, 1.5).to_vector<float>();
  for (size_t i = 0; i < v.size(); ++i) {
    ASSERT_EQ(m[i], v[i] * 0.125f);
    ASSERT_EQ(d[i], v[i] / 3.0f);
    ASSERT_EQ(s[i], v[i] - 1.5f);
  }
}
