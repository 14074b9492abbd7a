// Tensor handle, views and the basic ops, against hand-derived values.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "support/errors.h"
#include "transformers/core/allocator.h"
#include "transformers/core/autograd.h"
#include "transformers/core/error.h"
#include "transformers/core/ops.h"
#include "transformers/core/tensor.h"

using namespace transformers;

TEST(DTypeTest, HalfConversionsRoundToNearestEven) {
  EXPECT_EQ(f32_to_f16(1.0f), 0x3c00);
  EXPECT_EQ(f32_to_f16(65504.0f), 0x7bff);
  EXPECT_EQ(f32_to_f16(65520.0f), 0x7c00);          // rounds up to inf
  EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -24)), 0x0001);  // smallest subnormal
  EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -25)), 0x0000);  // tie -> even (0)
  EXPECT_EQ(f32_to_f16(1.0f + std::ldexp(1.0f, -11)), 0x3c00);  // tie -> even
  EXPECT_EQ(f32_to_f16(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);  // tie -> even (up)
  EXPECT_EQ(f16_to_f32(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(f16_to_f32(0xc000), -2.0f);
  EXPECT_EQ(f32_to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(f32_to_bf16(1.0f + std::ldexp(1.0f, -8)), 0x3f80);  // tie -> even
  EXPECT_EQ(f32_to_bf16(1.0f + 3 * std::ldexp(1.0f, -8)), 0x3f82);
  EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(NAN))));
  EXPECT_TRUE(std::isnan(f16_to_f32(f32_to_f16(NAN))));
  // Every f16 value survives f16 -> f32 -> f16.
  for (uint32_t h = 0; h < 0x10000; ++h) {
    if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff)) continue;  // NaN payloads
    ASSERT_EQ(f32_to_f16(f16_to_f32(uint16_t(h))), h) << h;
  }
}

TEST(TensorTest, ViewsShareStorage) {
  Tensor t = Tensor::arange(0, 24, 1, DType::Float32).view({2, 3, 4});
  Tensor tr = t.transpose(0, 2);  // [4, 3, 2]
  EXPECT_EQ(tr.shape(), (Shape{4, 3, 2}));
  EXPECT_FALSE(tr.is_contiguous());
  // tr[3][1][1] == t[1][1][3] == 12 + 4 + 3
  EXPECT_EQ(tr.select(0, 3).select(0, 1).select(0, 1).item<float>(), 19.0f);
  Tensor n = t.narrow(2, 1, 2);  // [2, 3, 2]
  EXPECT_EQ(n.to_vector<float>(), (std::vector<float>{1, 2, 5, 6, 9, 10, 13, 14, 17, 18, 21, 22}));
  n.fill_(-1);
  EXPECT_EQ(t.select(0, 0).select(0, 0).to_vector<float>(), (std::vector<float>{0, -1, -1, 3}));
  EXPECT_THROW(tr.view({24}), Error);
  EXPECT_EQ(tr.reshape({24}).to_vector<float>()[1], 12.0f);
  EXPECT_EQ(t.slice(1, -2, 3).shape(), (Shape{2, 2, 4}));
  EXPECT_EQ(t.view({-1, 4}).shape(), (Shape{6, 4}));
  EXPECT_THROW(t.view({5, -1}), Error);
}

TEST(TensorTest, ImpossibleSizesAreClearErrors) {
  // 2^31 x 2^31 elements overflow no size computation: the shape is refused before allocating.
  const std::string overflow = transformers::testing::error_message(
      [] { Tensor::empty({int64_t(1) << 31, int64_t(1) << 31}, DType::Float32); });
  EXPECT_NE(overflow.find("too many elements"), std::string::npos) << overflow;
  // 2^50 bytes fit the arithmetic but not the machine: out of memory, and still an Error; the
  // failed request counts neither in use nor toward the peak.
  const allocator::Stats before = allocator::stats();
  const std::string oom =
      transformers::testing::error_message([] { Tensor::empty({int64_t(1) << 48}, DType::Float32); });
  EXPECT_NE(oom.find("out of memory"), std::string::npos) << oom;
  EXPECT_EQ(allocator::stats().bytes_in_use, before.bytes_in_use);
  EXPECT_EQ(allocator::stats().peak_bytes_in_use, before.peak_bytes_in_use);
  // Empty tensors whatever their other dimensions, in either order.
  EXPECT_EQ(Tensor::empty({0, int64_t(1) << 62}, DType::Float32).numel(), 0);
  EXPECT_EQ(Tensor::empty({int64_t(1) << 62, 0}, DType::Float32).numel(), 0);
}

// Tensor::to / copy_ from f16 and bf16 to f32 take a vectorized path for contiguous rows: every
// layout must give each element's exact value (f16_to_f32 / bf16_to_f32, tested above).
TEST(TensorTest, HalfToFloatCopiesEveryLayoutExactly) {
  for (DType dt : {DType::Float16, DType::BFloat16}) {
    // 37 columns: a tail after the 8-wide vector loop; bit patterns cover normals, subnormals, signs.
    const int64_t rows = 5, cols = 37;
    Tensor half = Tensor::empty({rows, cols}, dt);
    uint16_t* bits = reinterpret_cast<uint16_t*>(half.raw_data());
    for (int64_t i = 0; i < rows * cols; ++i) bits[i] = uint16_t((i * 2654435761u) >> 13) & 0xbfff;  // no inf/NaN
    auto value = [&](int64_t r, int64_t c) {
      const uint16_t b = bits[r * cols + c];
      return dt == DType::Float16 ? f16_to_f32(b) : bf16_to_f32(b);
    };
    Tensor whole = half.to(DType::Float32);  // one contiguous block
    Tensor tail_rows = half.narrow(0, 1, 3).to(DType::Float32);  // contiguous at an offset
    Tensor narrowed = half.narrow(0, 1, 3).narrow(1, 2, 30).to(DType::Float32);  // offset, row stride
    Tensor transposed = half.transpose(0, 1).to(DType::Float32);  // strided rows
    Tensor broadcast = Tensor::empty({2, rows, cols});
    broadcast.copy_(half);  // source broadcast over a new leading dim
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) {
        ASSERT_EQ(whole.data<float>()[r * cols + c], value(r, c));
        ASSERT_EQ(transposed.data<float>()[c * rows + r], value(r, c));
        ASSERT_EQ(broadcast.data<float>()[rows * cols + r * cols + c], value(r, c));
        if (r >= 1 && r < 4) {
          ASSERT_EQ(tail_rows.data<float>()[(r - 1) * cols + c], value(r, c));
          if (c >= 2 && c < 32) {
            ASSERT_EQ(narrowed.data<float>()[(r - 1) * 30 + c - 2], value(r, c));
          }
        }
      }
  }
}

TEST(OpsTest, BroadcastingArithmetic) {
  Tensor a = Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor b = Tensor::from_vector(std::vector<float>{10, 20, 30}, {3});
  EXPECT_EQ(ops::add(a, b).to_vector<float>(), (std::vector<float>{11, 22, 33, 14, 25, 36}));
  Tensor c = Tensor::from_vector(std::vector<float>{2, 3}, {2, 1});
  EXPECT_EQ(ops::mul(a, c).to_vector<float>(), (std::vector<float>{2, 4, 6, 12, 15, 18}));
  EXPECT_EQ((a - 1.0).to_vector<float>(), (std::vector<float>{0, 1, 2, 3, 4, 5}));
  EXPECT_THROW(ops::add(a, Tensor::zeros({4})), Error);
  Tensor i = Tensor::from_vector(std::vector<int64_t>{1, 2}, {2});
  EXPECT_EQ(ops::add(i, i).dtype(), DType::Int64);
  EXPECT_EQ(ops::div(i, i).dtype(), DType::Float32);
  EXPECT_EQ(ops::add(a.to(DType::BFloat16), a).dtype(), DType::Float32);
}

TEST(OpsTest, ReductionsAndSoftmax) {
  Tensor a = Tensor::from_vector(std::vector<float>{1, 5, 3, 4, 2, 6}, {2, 3});
  EXPECT_EQ(ops::sum(a, 1).to_vector<float>(), (std::vector<float>{9, 12}));
  EXPECT_EQ(ops::max(a, 0).to_vector<float>(), (std::vector<float>{4, 5, 6}));
  EXPECT_EQ(ops::argmax(a, -1).to_vector<int64_t>(), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(ops::mean(a, 0, true).shape(), (Shape{1, 3}));
  Tensor s = ops::softmax(Tensor::from_vector(std::vector<float>{0, std::log(3.0f)}, {2}), 0);
  EXPECT_NEAR(s.to_vector<float>()[0], 0.25, 1e-6);
  EXPECT_NEAR(s.to_vector<float>()[1], 0.75, 1e-6);
  Tensor ls = ops::log_softmax(Tensor::from_vector(std::vector<float>{1, 1}, {1, 2}), 1);
  EXPECT_NEAR(ls.to_vector<float>()[0], -std::log(2.0), 1e-6);
  EXPECT_EQ(ops::cumsum(Tensor::from_vector(std::vector<int64_t>{1, 0, 1, 1}, {4}), 0).to_vector<int64_t>(),
            (std::vector<int64_t>{1, 1, 2, 3}));
}

TEST(OpsTest, MatmulAndLinear) {
  Tensor a = Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor w = Tensor::from_vector(std::vector<float>{1, 0, 1, 0, 1, 0}, {2, 3});  // [out=2, in=3]
  Tensor bias = Tensor::from_vector(std::vector<float>{0.5f, -0.5f}, {2});
  // rows: [1+3, 2] and [4+6, 5]
  EXPECT_EQ(ops::linear(a, w, bias).to_vector<float>(), (std::vector<float>{4.5f, 1.5f, 10.5f, 4.5f}));
  EXPECT_EQ(ops::matmul(a, w.transpose(0, 1)).to_vector<float>(), (std::vector<float>{4, 2, 10, 5}));
  // Half weights accumulate in f32.
  EXPECT_EQ(ops::linear(a, w.to(DType::BFloat16), bias).to_vector<float>(),
            (std::vector<float>{4.5f, 1.5f, 10.5f, 4.5f}));
  EXPECT_THROW(ops::linear(a, Tensor::zeros({2, 4})), Error);
}

TEST(OpsTest, RmsNormMatchesDefinition) {
  Tensor x = Tensor::from_vector(std::vector<float>{3, 4}, {1, 2});
  Tensor w = Tensor::from_vector(std::vector<float>{1, 2}, {2});
  // rms = sqrt((9 + 16) / 2) = sqrt(12.5)
  std::vector<float> y = ops::rms_norm(x, w, 0.0).to_vector<float>();
  EXPECT_NEAR(y[0], 3 / std::sqrt(12.5), 1e-6);
  EXPECT_NEAR(y[1], 8 / std::sqrt(12.5), 1e-6);
  std::vector<float> g = ops::rms_norm(x, w, 0.0, 1.0).to_vector<float>();  // Gemma (1 + w)
  EXPECT_NEAR(g[1], 12 / std::sqrt(12.5), 1e-5);
}

TEST(OpsTest, AttentionCausalAndPadding) {
  // One head, head_dim 1: q = k = 0 so all visible scores tie; v = key index.
  Tensor q = Tensor::zeros({1, 1, 3, 1}), k = Tensor::zeros({1, 1, 3, 1});
  Tensor v = Tensor::from_vector(std::vector<float>{0, 1, 2}, {1, 1, 3, 1});
  ops::AttentionOptions o;
  o.is_causal = true;
  // query i averages keys 0..i
  EXPECT_EQ(ops::scaled_dot_product_attention(q, k, v, o).to_vector<float>(),
            (std::vector<float>{0, 0.5f, 1}));
  o.key_padding_mask = Tensor::from_vector(std::vector<int64_t>{0, 1, 1}, {1, 3});
  std::vector<float> r = ops::scaled_dot_product_attention(q, k, v, o).to_vector<float>();
  EXPECT_FLOAT_EQ(r[1], 1.0f);
  EXPECT_FLOAT_EQ(r[2], 1.5f);
  o.key_padding_mask = Tensor();
  o.sliding_window = 2;  // query 2 sees keys 1, 2
  EXPECT_FLOAT_EQ(ops::scaled_dot_product_attention(q, k, v, o).to_vector<float>()[2], 1.5f);
}

TEST(AutogradTest, ChainRuleThroughMulAndSum) {
  Tensor x = Tensor::from_vector(std::vector<float>{1, 2, 3}, {3});
  x.set_requires_grad(true);
  Tensor y = ops::sum(ops::mul(x, x));  // dy/dx = 2x
  y.backward();
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{2, 4, 6}));
  {
    autograd::NoGradGuard guard;
    EXPECT_FALSE(ops::mul(x, x).requires_grad());
  }
}
