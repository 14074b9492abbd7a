// conv1d, conv2d and group_norm against hand-derived values and a direct-definition loop.
#include <gtest/gtest.h>

#include <cmath>

#include "transformers/core/error.h"
#include "transformers/core/ops.h"
#include "transformers/core/random.h"

using namespace transformers;

namespace {
Tensor f32(std::vector<float> v, Shape s) { return Tensor::from_vector(v, s); }

void expect_near(const std::vector<float>& got, const std::vector<float>& want, float tol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "at " << i;
}

// out[n][o][y][x] = b[o] + sum_{c, i, j} w[o][c][i][j] * xpad[n][g*cg + c][y*s - p + i*d][x*s - p + j*d]
std::vector<double> conv2d_by_definition(const Tensor& x, const Tensor& w, const Tensor& b,
                                         int64_t s, int64_t p, int64_t d, int64_t groups) {
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  const int64_t O = w.size(0), cg = w.size(1), KH = w.size(2), KW = w.size(3), og = O / groups;
  const int64_t OH = (H + 2 * p - d * (KH - 1) - 1) / s + 1, OW = (W + 2 * p - d * (KW - 1) - 1) / s + 1;
  std::vector<double> xv = x.to_vector<double>(), wv = w.to_vector<double>();
  std::vector<double> bv = b.defined() ? b.to_vector<double>() : std::vector<double>(size_t(O), 0.0);
  std::vector<double> out;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t o = 0; o < O; ++o)
      for (int64_t oy = 0; oy < OH; ++oy)
        for (int64_t ox = 0; ox < OW; ++ox) {
          double acc = bv[size_t(o)];
          for (int64_t c = 0; c < cg; ++c)
            for (int64_t i = 0; i < KH; ++i)
              for (int64_t j = 0; j < KW; ++j) {
                int64_t iy = oy * s - p + i * d, ix = ox * s - p + j * d;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                int64_t ch = (o / og) * cg + c;
                acc += wv[size_t(((o * cg + c) * KH + i) * KW + j)] *
                       xv[size_t(((n * C + ch) * H + iy) * W + ix)];
              }
          out.push_back(acc);
        }
  (void)C;
  return out;
}
}  // namespace

TEST(Conv1dTest, HandDerivedCases) {
  Tensor x = f32({1, 2, 3, 4, 5}, {1, 1, 5});
  Tensor w = f32({1, 0, -1}, {1, 1, 3});
  // out[i] = x[i] - x[i + 2]
  EXPECT_EQ(ops::conv1d(x, w, Tensor()).to_vector<float>(), (std::vector<float>{-2, -2, -2}));
  // zero padding 1: [0, 1, 2, 3, 4, 5, 0]
  EXPECT_EQ(ops::conv1d(x, w, Tensor(), 1, 1).to_vector<float>(), (std::vector<float>{-2, -2, -2, -2, 4}));
  EXPECT_EQ(ops::conv1d(x, w, Tensor(), 2, 1).to_vector<float>(), (std::vector<float>{-2, -2, 4}));
  // dilation 2 reads x[i], x[i + 2], x[i + 4]: 1 - 5
  EXPECT_EQ(ops::conv1d(x, w, Tensor(), 1, 0, 2).to_vector<float>(), (std::vector<float>{-4}));
  Tensor bias = f32({0.5f}, {1});
  EXPECT_EQ(ops::conv1d(x, w, bias).to_vector<float>(), (std::vector<float>{-1.5f, -1.5f, -1.5f}));
}

TEST(Conv1dTest, ChannelsAndGroups) {
  Tensor x = f32({1, 2, 3, 10, 20, 30}, {1, 2, 3});
  // Depthwise (groups = channels): channel 0 times 2, channel 1 times 3.
  Tensor dw = f32({2, 3}, {2, 1, 1});
  EXPECT_EQ(ops::conv1d(x, dw, Tensor(), 1, 0, 1, 2).to_vector<float>(),
            (std::vector<float>{2, 4, 6, 30, 60, 90}));
  // One output over both channels: x0[i] + x0[i+1] + x1[i] - x1[i+1].
  Tensor w = f32({1, 1, 1, -1}, {1, 2, 2});
  EXPECT_EQ(ops::conv1d(x, w, Tensor()).to_vector<float>(), (std::vector<float>{-7, -5}));
  // f16 input: computed in f32, returned as f16.
  Tensor h = ops::conv1d(x.to(DType::Float16), w.to(DType::Float16), Tensor());
  EXPECT_EQ(h.dtype(), DType::Float16);
  EXPECT_EQ(h.to_vector<float>(), (std::vector<float>{-7, -5}));
}

TEST(Conv1dTest, RejectsBadShapes) {
  Tensor x = Tensor::zeros({1, 2, 5});
  EXPECT_THROW(ops::conv1d(x, Tensor::zeros({1, 3, 3}), Tensor()), Error);          // C_in mismatch
  EXPECT_THROW(ops::conv1d(x, Tensor::zeros({3, 1, 3}), Tensor(), 1, 0, 1, 2), Error);  // C_out % groups
  EXPECT_THROW(ops::conv1d(x, Tensor::zeros({2, 2, 6}), Tensor()), Error);          // kernel > input
  EXPECT_THROW(ops::conv1d(x, Tensor::zeros({2, 2, 3}), Tensor::zeros({3})), Error);  // bias
  EXPECT_THROW(ops::conv1d(x, Tensor::zeros({2, 2, 3}), Tensor(), 0), Error);       // stride 0
  EXPECT_THROW(ops::conv1d(Tensor::zeros({2, 5}), Tensor::zeros({2, 2, 3}), Tensor()), Error);
}

TEST(Conv2dTest, HandDerivedCases) {
  Tensor x = Tensor::arange(1, 10, 1, DType::Float32).view({1, 1, 3, 3});
  Tensor w = f32({1, 0, 0, 1}, {1, 1, 2, 2});
  // out[i][j] = x[i][j] + x[i+1][j+1]
  EXPECT_EQ(ops::conv2d(x, w, Tensor()).to_vector<float>(), (std::vector<float>{6, 8, 12, 14}));
  // padding 1, stride 2: (-1,-1)+(0,0), (-1,1)+(0,2), (1,-1)+(2,0), (1,1)+(2,2)
  EXPECT_EQ(ops::conv2d(x, w, Tensor(), 2, 1).to_vector<float>(), (std::vector<float>{1, 3, 7, 14}));
  // dilation 2: x[0][0] + x[2][2]
  EXPECT_EQ(ops::conv2d(x, w, Tensor(), 1, 0, 2).to_vector<float>(), (std::vector<float>{10}));
  EXPECT_THROW(ops::conv2d(x, Tensor::zeros({1, 1, 4, 4}), Tensor()), Error);
  EXPECT_THROW(ops::conv2d(x.view({1, 9}), w, Tensor()), Error);
}

TEST(Conv2dTest, MatchesDefinitionWithGroupsStridePaddingDilation) {
  Generator gen(7);
  struct Case { int64_t n, c, h, w, o, k, s, p, d, g; };
  for (Case t : {Case{2, 4, 7, 6, 6, 3, 2, 1, 2, 2}, Case{1, 3, 5, 5, 4, 1, 1, 0, 1, 1},
                 Case{1, 6, 9, 4, 6, 3, 1, 2, 1, 6}, Case{2, 2, 4, 4, 3, 2, 3, 1, 1, 1}}) {
    Tensor x = ops::randn({t.n, t.c, t.h, t.w}, gen);
    Tensor w = ops::randn({t.o, t.c / t.g, t.k, t.k}, gen);
    Tensor b = ops::randn({t.o}, gen);
    std::vector<double> want = conv2d_by_definition(x, w, b, t.s, t.p, t.d, t.g);
    std::vector<float> got = ops::conv2d(x, w, b, t.s, t.p, t.d, t.g).to_vector<float>();
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-4) << "at " << i;
    // f64 goes through dgemm.
    std::vector<double> got64 =
        ops::conv2d(x.to(DType::Float64), w.to(DType::Float64), b.to(DType::Float64), t.s, t.p, t.d, t.g)
            .to_vector<double>();
    for (size_t i = 0; i < got64.size(); ++i) ASSERT_NEAR(got64[i], want[i], 1e-12) << "at " << i;
  }
}

TEST(GroupNormTest, HandDerived) {
  // Two groups of two channels: group 0 = {1, 3, 5, 7} (mean 4, var 5),
  // group 1 = {0, 0, 2, -2} (mean 0, var 2).
  Tensor x = f32({1, 3, 5, 7, 0, 0, 2, -2}, {1, 4, 2});
  Tensor w = f32({1, 1, 2, 1}, {4});
  Tensor b = f32({0, 0, 0, 1}, {4});
  const float r5 = 1 / std::sqrt(5.0f), r2 = std::sqrt(2.0f);
  std::vector<float> want{-3 * r5, -1 * r5, 1 * r5, 3 * r5, 0, 0, 1 + r2, 1 - r2};
  expect_near(ops::group_norm(x, 2, w, b, 0.0).to_vector<float>(), want, 1e-6f);
  // Without affine parameters, one group over everything: mean 2, var = 92/8 - 4 = 7.5.
  std::vector<float> one = ops::group_norm(x, 1, Tensor(), Tensor(), 0.0).to_vector<float>();
  EXPECT_NEAR(one[3], (7 - 2) / std::sqrt(7.5f), 1e-6);
  // The composed path (autograd) gives the same numbers.
  Tensor xg = x.clone();
  xg.set_requires_grad(true);
  expect_near(ops::group_norm(xg, 2, w, b, 0.0).to_vector<float>(), want, 1e-6f);
  EXPECT_THROW(ops::group_norm(x, 3, w, b, 1e-5), Error);
  EXPECT_THROW(ops::group_norm(x, 2, f32({1, 1}, {2}), b, 1e-5), Error);
  EXPECT_THROW(ops::group_norm(f32({1}, {1}), 1, Tensor(), Tensor(), 1e-5), Error);
}
