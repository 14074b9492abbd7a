// Philox-4x32-10 known answers, stream reproducibility, distribution moments, multinomial.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "transformers/core/cpu/philox.h"
#include "transformers/core/error.h"
#include "transformers/core/ops.h"
#include "transformers/core/random.h"
#include "transformers/core/runtime.h"

using namespace transformers;

TEST(PhiloxTest, KnownAnswerVectors) {
  // The published Random123 known-answer vectors for philox4x32-10 (counter, key -> output).
  struct Kat { uint32_t ctr[4]; uint32_t key[2]; uint32_t out[4]; };
  const Kat kats[] = {
      {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
      {{~0u, ~0u, ~0u, ~0u}, {~0u, ~0u}, {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
      {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0},
       {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
  };
  for (const Kat& k : kats) {
    uint32_t out[4];
    cpu::philox4x32_10(k.ctr, k.key, out);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(out[i], k.out[i]) << i;
  }
}

TEST(GeneratorTest, StreamIsCounterOverSeed) {
  Generator g(0);
  uint32_t w[4];
  g.next4(w);  // block 0 of seed 0 is the all-zero known answer
  EXPECT_EQ(w[0], 0x6627e8d5u);
  EXPECT_EQ(w[3], 0x9b00dbd8u);
  Generator h(0);
  EXPECT_EQ(h.uniform_float(), float(0x6627e8d5u >> 8) * 0x1p-24f);
  h.manual_seed(0);
  // 53 bits from the first two words.
  EXPECT_EQ(h.uniform_double(), double(((uint64_t(0x6627e8d5u) << 32) | 0xe169c58du) >> 11) * 0x1p-53);
  EXPECT_NE(Generator(1).uniform_double(), Generator(2).uniform_double());
}

TEST(RandomTest, FillsAreReproducibleAndFollowTheStream) {
  Generator a(42), b(42);
  std::vector<float> x = ops::rand({8}, a).to_vector<float>();
  std::vector<float> y = ops::rand({8}, b).to_vector<float>();
  EXPECT_EQ(x, y);
  // Four 32-bit draws per block: a fill of 4 then 4 equals one fill of 8.
  Generator c(42);
  std::vector<float> first = ops::rand({4}, c).to_vector<float>();
  std::vector<float> second = ops::rand({2, 2}, c).to_vector<float>();
  first.insert(first.end(), second.begin(), second.end());
  EXPECT_EQ(first, x);
  EXPECT_NE(ops::rand({8}, a).to_vector<float>(), x);  // the stream moved on
  EXPECT_THROW(ops::rand({2}, a, DType::Int64), Error);
}

TEST(RandomTest, UniformAndNormalMoments) {
  Generator gen(123);
  const int64_t n = 200000;
  for (DType dt : {DType::Float32, DType::Float64, DType::BFloat16, DType::Float16}) {
    std::vector<double> u = ops::rand({n}, gen, dt).to_vector<double>();
    double m = 0, v = 0;
    for (double x : u) {
      ASSERT_GE(x, 0.0);
      ASSERT_LT(x, 1.0);  // even after rounding to a half type
      m += x;
    }
    m /= n;
    for (double x : u) v += (x - m) * (x - m);
    v /= n;
    EXPECT_NEAR(m, 0.5, 0.005) << dtype_name(dt);
    EXPECT_NEAR(v, 1.0 / 12.0, 0.002) << dtype_name(dt);
  }
  std::vector<double> z = ops::randn({n}, gen, DType::Float64).to_vector<double>();
  double m = 0, v = 0, tail = 0;
  for (double x : z) m += x;
  m /= n;
  for (double x : z) {
    v += (x - m) * (x - m);
    tail += std::abs(x) > 1.959964;
  }
  EXPECT_NEAR(m, 0.0, 0.01);
  EXPECT_NEAR(v / n, 1.0, 0.015);
  EXPECT_NEAR(tail / n, 0.05, 0.003);  // two-sided 95% quantile
}

TEST(RandomTest, InPlaceFillsRespectViewsAndParameters) {
  Generator gen(5);
  Tensor t = Tensor::zeros({4, 1000});
  Tensor row = t.select(0, 1);
  ops::uniform_(row, -2.0, 3.0, gen);
  std::vector<float> r = row.to_vector<float>();
  double mean = 0;
  for (float x : r) {
    ASSERT_GE(x, -2.0f);
    ASSERT_LE(x, 3.0f);
    mean += x / 1000.0;
  }
  EXPECT_NEAR(mean, 0.5, 0.15);
  EXPECT_EQ(t.select(0, 0).to_vector<float>(), std::vector<float>(1000, 0.0f));  // untouched
  Tensor col = t.select(1, 3);  // strided
  ops::normal_(col, 10.0, 0.0, gen);
  EXPECT_EQ(col.to_vector<float>(), std::vector<float>(4, 10.0f));
  EXPECT_THROW(ops::normal_(t, 0, -1, gen), Error);
  EXPECT_THROW(ops::uniform_(t, 1, 0, gen), Error);
}

TEST(RandomTest, LargeFillsMatchTheSerialStreamOnAnyThreadCount) {
  // Large fills are cut into chunks across threads; each element must still be the value of its
  // own block (Note [Random streams]), here rebuilt by hand from next4().
  const int64_t n = 70001;  // several chunks and an odd tail
  for (int threads : {1, 2}) {
    const int saved = runtime::num_threads();
    runtime::set_num_threads(threads);
    Generator gen(77), ref(77);
    std::vector<double> z = ops::randn({n}, gen, DType::Float64).to_vector<double>();
    std::vector<float> u = ops::rand({n}, gen, DType::Float32).to_vector<float>();
    runtime::set_num_threads(saved);
    uint32_t w[4];
    for (int64_t i = 0; i < n; i += 2) {
      ref.next4(w);
      const double u1 = double(((uint64_t(w[0]) << 32) | w[1]) >> 11) * 0x1p-53;
      const double u2 = double(((uint64_t(w[2]) << 32) | w[3]) >> 11) * 0x1p-53;
      const double r = std::sqrt(-2.0 * std::log(1.0 - u1)), theta = 2.0 * M_PI * u2;
      ASSERT_EQ(z[size_t(i)], r * std::cos(theta)) << i;
      if (i + 1 < n) {
        ASSERT_EQ(z[size_t(i + 1)], r * std::sin(theta)) << i;
      }
    }
    for (int64_t i = 0; i < n; i += 4) {
      ref.next4(w);
      for (int64_t j = 0; j < 4 && i + j < n; ++j) ASSERT_EQ(u[size_t(i + j)], float(w[j] >> 8) * 0x1p-24f) << i + j;
    }
    EXPECT_EQ(gen.offset(), ref.offset());  // both fills advanced the stream by whole blocks
  }
}

TEST(RandomTest, StridedFillEqualsContiguousFill) {
  Generator a(9), b(9);
  Tensor t = Tensor::zeros({300, 200}).transpose(0, 1);  // [200, 300], not contiguous
  ops::normal_(t, 1.0, 2.0, a);
  Tensor c = Tensor::zeros({200, 300});
  ops::normal_(c, 1.0, 2.0, b);
  EXPECT_EQ(t.contiguous().to_vector<float>(), c.to_vector<float>());
}

TEST(MultinomialTest, WithReplacementFollowsWeights) {
  Generator gen(9);
  Tensor probs = Tensor::from_vector(std::vector<float>{0.2f, 0, 0.8f, 0, 1, 0}, {2, 3});
  Tensor s = ops::multinomial(probs, 20000, true, gen);
  EXPECT_EQ(s.shape(), (Shape{2, 20000}));
  EXPECT_EQ(s.dtype(), DType::Int64);
  std::vector<int64_t> v = s.to_vector<int64_t>();
  int64_t zeros = 0;
  for (int64_t i = 0; i < 20000; ++i) {
    ASSERT_NE(v[size_t(i)], 1);  // zero weight is never drawn
    zeros += v[size_t(i)] == 0;
    ASSERT_EQ(v[size_t(20000 + i)], 1);  // one-hot row
  }
  EXPECT_NEAR(double(zeros) / 20000, 0.2, 0.015);
  // Unnormalised weights, 1-d input.
  Generator g1(3), g2(3);
  Tensor a = ops::multinomial(Tensor::from_vector(std::vector<float>{1, 3}, {2}), 50, true, g1);
  Tensor b = ops::multinomial(Tensor::from_vector(std::vector<float>{0.25f, 0.75f}, {2}), 50, true, g2);
  EXPECT_EQ(a.shape(), (Shape{50}));
  EXPECT_EQ(a.to_vector<int64_t>(), b.to_vector<int64_t>());
}

TEST(MultinomialTest, WithoutReplacementDrawsDistinct) {
  Generator gen(11);
  Tensor probs = Tensor::from_vector(std::vector<float>{1, 2, 1, 0}, {4});
  int64_t first_is_one = 0;
  for (int trial = 0; trial < 4000; ++trial) {
    std::vector<int64_t> v = ops::multinomial(probs, 3, false, gen).to_vector<int64_t>();
    ASSERT_EQ(std::set<int64_t>(v.begin(), v.end()), (std::set<int64_t>{0, 1, 2}));
    first_is_one += v[0] == 1;
  }
  EXPECT_NEAR(first_is_one / 4000.0, 0.5, 0.03);  // P(first = 1) = 2 / 4
  EXPECT_THROW(ops::multinomial(probs, 4, false, gen), Error);
  EXPECT_THROW(ops::multinomial(Tensor::from_vector(std::vector<float>{1, -1}, {2}), 1, true, gen), Error);
  EXPECT_THROW(ops::multinomial(Tensor::zeros({2}), 1, true, gen), Error);
  EXPECT_THROW(ops::multinomial(Tensor::ones({1, 2, 2}), 1, true, gen), Error);
  EXPECT_THROW(ops::multinomial(probs, 0, true, gen), Error);
}
