// The elementwise work of a prompt's forward pass (residual adds, SiLU products, RMSNorm, RoPE,
// strided copies) against plain scalar loops written here, bit for bit: the threaded and
// row-interleaved kernels must compute each element exactly as the one-element-at-a-time
// definition does. Sizes cross the threading threshold (2^16 elements) and leave odd remainders.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "transformers/core/ops.h"
#include "transformers/core/random.h"
#include "transformers/core/runtime.h"

using namespace transformers;

namespace {

// Bit-exact comparison that names the first differing index and both values.
void expect_bits(const std::vector<float>& got, const std::vector<float>& want, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    uint32_t a, b;
    std::memcpy(&a, &got[i], 4);
    std::memcpy(&b, &want[i], 4);
    ASSERT_EQ(a, b) << what << ": first mismatch at " << i << ": " << got[i] << " vs " << want[i];
  }
}

// Runs f with 1 and with 2 threads (the pool splits rows only with more than one).
template <typename F>
void for_thread_counts(F f) {
  const int saved = runtime::num_threads();
  for (int t : {1, 2}) {
    runtime::set_num_threads(t);
    f(t);
  }
  runtime::set_num_threads(saved);
}

}  // namespace

TEST(PrefillKernelsTest, LargeBinaryOpsMatchScalarLoopsWithBroadcasting) {
  Generator gen(11);
  // [3, 37, 1001]: 111 rows of 1001, 111111 elements (above the threading threshold).
  const int64_t A = 3, B = 37, C = 1001;
  Tensor x = ops::randn({A, B, C}, gen), y = ops::randn({A, B, C}, gen);
  Tensor row = ops::randn({C}, gen), mid = ops::randn({A, 1, C}, gen);
  std::vector<float> vx = x.to_vector<float>(), vy = y.to_vector<float>(), vr = row.to_vector<float>(),
                     vm = mid.to_vector<float>();
  const size_t n = vx.size();
  std::vector<float> add(n), mul(n), sub_row(n), div_mid(n), mul_scalar(n);
  for (int64_t a = 0; a < A; ++a)
    for (int64_t b = 0; b < B; ++b)
      for (int64_t c = 0; c < C; ++c) {
        const size_t i = size_t((a * B + b) * C + c);
        add[i] = vx[i] + vy[i];
        mul[i] = vx[i] * vy[i];
        sub_row[i] = vx[i] - vr[size_t(c)];
        div_mid[i] = vx[i] / vm[size_t(a * C + c)];
        mul_scalar[i] = vx[i] * 0.125f;
      }
  // A transposed operand goes through the strided loop: [C, B, A] viewed as [A, B, C].
  Tensor yt = y.permute({2, 1, 0}).contiguous().permute({2, 1, 0});
  for_thread_counts([&](int t) {
    const std::string tag = " threads=" + std::to_string(t);
    expect_bits(ops::add(x, y).to_vector<float>(), add, "add" + tag);
    expect_bits(ops::mul(x, y).to_vector<float>(), mul, "mul" + tag);
    expect_bits(ops::sub(x, row).to_vector<float>(), sub_row, "sub broadcast row" + tag);
    expect_bits(ops::div(x, mid).to_vector<float>(), div_mid, "div broadcast middle" + tag);
    expect_bits(ops::mul(x, 0.125).to_vector<float>(), mul_scalar, "mul scalar" + tag);
    expect_bits(ops::mul(x, yt).to_vector<float>(), mul, "mul transposed operand" + tag);
  });
  // Integers take the generic loop: 70000 int64 values, 3 * i + (i % 7).
  std::vector<int64_t> ia(70000), ib(70000), isum(70000);
  for (size_t i = 0; i < ia.size(); ++i) {
    ia[i] = int64_t(3 * i);
    ib[i] = int64_t(i % 7);
    isum[i] = ia[i] + ib[i];
  }
  for_thread_counts([&](int t) {
    Tensor s = ops::add(Tensor::from_vector(ia, {7, 10000}), Tensor::from_vector(ib, {7, 10000}));
    EXPECT_EQ(s.to_vector<int64_t>(), isum) << "int64 add threads=" << t;
  });
}

TEST(PrefillKernelsTest, LargeStridedCopiesMatchElementwiseIndexing) {
  Generator gen(12);
  // [1, 14, 513, 64] as attention returns it, transposed to [1, 513, 14, 64] and made contiguous.
  const int64_t H = 14, L = 513, D = 64;
  Tensor attn = ops::randn({1, H, L, D}, gen);
  std::vector<float> v = attn.to_vector<float>(), want(v.size());
  for (int64_t l = 0; l < L; ++l)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t d = 0; d < D; ++d) want[size_t((l * H + h) * D + d)] = v[size_t((h * L + l) * D + d)];
  for_thread_counts([&](int t) {
    expect_bits(attn.transpose(1, 2).contiguous().to_vector<float>(), want,
                "transpose copy threads=" + std::to_string(t));
    // Into a strided destination: a narrow of a wider buffer (what a cache write looks like).
    Tensor wide = Tensor::zeros({1, L, H, D + 3});
    wide.narrow(3, 1, D).copy_(attn.transpose(1, 2));
    std::vector<float> w = wide.to_vector<float>();
    for (int64_t r = 0; r < L * H; ++r) {
      ASSERT_EQ(w[size_t(r * (D + 3))], 0.0f);
      ASSERT_EQ(std::memcmp(&w[size_t(r * (D + 3) + 1)], &want[size_t(r * D)], size_t(D) * 4), 0) << "row " << r;
      ASSERT_EQ(w[size_t(r * (D + 3) + D + 1)], 0.0f);
    }
  });
}

TEST(PrefillKernelsTest, RmsNormMatchesTheOneRowLoopForEveryRowCount) {
  Generator gen(13);
  // Row counts around the 8-row groups, widths odd and even; 512 x 896 is Qwen2.5-0.5B's prompt.
  for (auto [rows, n] : std::vector<std::pair<int64_t, int64_t>>{
           {1, 7}, {7, 33}, {8, 1}, {9, 64}, {17, 129}, {31, 896}, {512, 896}, {75, 2048}}) {
    Tensor x = ops::randn({rows, n}, gen), w = ops::randn({n}, gen);
    const double eps = 1e-6;
    std::vector<float> vx = x.to_vector<float>(), vw = w.to_vector<float>(), want(vx.size()), gemma(vx.size());
    for (int64_t r = 0; r < rows; ++r) {
      float ss = 0.0f;
      for (int64_t j = 0; j < n; ++j) ss += vx[size_t(r * n + j)] * vx[size_t(r * n + j)];
      const float scale = 1.0f / std::sqrt(ss / float(n) + float(eps));
      for (int64_t j = 0; j < n; ++j) {
        const float xs = vx[size_t(r * n + j)] * scale;
        want[size_t(r * n + j)] = vw[size_t(j)] * xs;
        gemma[size_t(r * n + j)] = (1.0f + vw[size_t(j)]) * xs;
      }
    }
    for_thread_counts([&](int t) {
      const std::string tag =
          " rows=" + std::to_string(rows) + " n=" + std::to_string(n) + " threads=" + std::to_string(t);
      expect_bits(ops::rms_norm(x, w, eps).to_vector<float>(), want, "rms_norm" + tag);
      expect_bits(ops::rms_norm(x, w, eps, 1.0).to_vector<float>(), gemma, "rms_norm (1 + w)" + tag);
    });
  }
}

TEST(PrefillKernelsTest, RotaryReadsTransposedProjectionsInPlace) {
  Generator gen(14);
  // q straight from its projection: [1, L, H, D] viewed as [1, H, L, D]; partial rotary (R < D).
  for (auto [L, H, D, R] : std::vector<std::array<int64_t, 4>>{{5, 3, 8, 8}, {300, 14, 64, 64}, {33, 4, 16, 8}}) {
    Tensor proj = ops::randn({1, L, H, D}, gen);
    Tensor x = proj.transpose(1, 2);
    Tensor cos = ops::randn({1, L, R}, gen), sin = ops::randn({1, L, R}, gen);
    std::vector<float> p = proj.to_vector<float>(), c = cos.to_vector<float>(), s = sin.to_vector<float>();
    std::vector<float> want(p.size());
    const int64_t half = R / 2;
    for (int64_t h = 0; h < H; ++h)
      for (int64_t l = 0; l < L; ++l) {
        const float* xr = &p[size_t((l * H + h) * D)];
        const float* cr = &c[size_t(l * R)];
        const float* sr = &s[size_t(l * R)];
        float* o = &want[size_t((h * L + l) * D)];
        for (int64_t i = 0; i < half; ++i) {
          o[i] = xr[i] * cr[i] - xr[i + half] * sr[i];
          o[i + half] = xr[i + half] * cr[i + half] + xr[i] * sr[i + half];
        }
        for (int64_t i = R; i < D; ++i) o[i] = xr[i];
      }
    for_thread_counts([&](int t) {
      const std::string tag = " L=" + std::to_string(L) + " threads=" + std::to_string(t);
      expect_bits(ops::apply_rotary(x, cos, sin).to_vector<float>(), want, "rotary strided" + tag);
      expect_bits(ops::apply_rotary(x.contiguous(), cos, sin).to_vector<float>(), want, "rotary contiguous" + tag);
    });
  }
}
