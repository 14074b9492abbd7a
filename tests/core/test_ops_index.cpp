// gather, tril/triu, sort and topk against hand-derived values.
#include <gtest/gtest.h>

#include <cmath>

#include "transformers/core/error.h"
#include "transformers/core/ops.h"

using namespace transformers;

namespace {
Tensor f32(std::vector<float> v, Shape s) { return Tensor::from_vector(v, s); }
Tensor i64(std::vector<int64_t> v, Shape s) { return Tensor::from_vector(v, s); }
}  // namespace

TEST(GatherTest, PicksAlongDim) {
  Tensor x = f32({1, 2, 3, 4}, {2, 2});
  // out[i][j] = x[i][index[i][j]]
  Tensor g1 = ops::gather(x, 1, i64({0, 0, 1, 0}, {2, 2}));
  EXPECT_EQ(g1.to_vector<float>(), (std::vector<float>{1, 1, 4, 3}));
  // out[i][j] = x[index[i][j]][j]; the index may be smaller than x outside dim.
  Tensor g0 = ops::gather(x, 0, i64({1, 0}, {1, 2}));
  EXPECT_EQ(g0.shape(), (Shape{1, 2}));
  EXPECT_EQ(g0.to_vector<float>(), (std::vector<float>{3, 2}));
  // Strided (transposed) input and int32 indices: x^T = [[1, 3], [2, 4]].
  Tensor gt = ops::gather(x.transpose(0, 1), -1, Tensor::from_vector(std::vector<int32_t>{1, 1}, {2, 1}));
  EXPECT_EQ(gt.to_vector<float>(), (std::vector<float>{3, 4}));
  // Integer payloads are copied exactly.
  Tensor xi = i64({(int64_t(1) << 60) + 1, 7}, {2});
  EXPECT_EQ(ops::gather(xi, 0, i64({0}, {1})).item<int64_t>(), (int64_t(1) << 60) + 1);
}

TEST(GatherTest, RejectsBadIndices) {
  Tensor x = f32({1, 2, 3, 4}, {2, 2});
  EXPECT_THROW(ops::gather(x, 1, i64({2}, {1, 1})), Error);        // out of range
  EXPECT_THROW(ops::gather(x, 1, i64({-1}, {1, 1})), Error);       // negative
  EXPECT_THROW(ops::gather(x, 1, i64({0, 1}, {2})), Error);        // rank mismatch
  EXPECT_THROW(ops::gather(x, 1, i64({0, 0, 0}, {3, 1})), Error);  // larger than x in dim 0
  EXPECT_THROW(ops::gather(x, 1, f32({0}, {1, 1})), Error);        // float index
  EXPECT_THROW(ops::gather(x, 2, i64({0}, {1, 1})), Error);        // dim out of range
}

TEST(TriangleTest, TrilAndTriuWithDiagonals) {
  Tensor x = Tensor::arange(1, 10, 1, DType::Float32).view({3, 3});
  EXPECT_EQ(ops::tril(x).to_vector<float>(), (std::vector<float>{1, 0, 0, 4, 5, 0, 7, 8, 9}));
  EXPECT_EQ(ops::tril(x, -1).to_vector<float>(), (std::vector<float>{0, 0, 0, 4, 0, 0, 7, 8, 0}));
  EXPECT_EQ(ops::tril(x, 1).to_vector<float>(), (std::vector<float>{1, 2, 0, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(ops::triu(x).to_vector<float>(), (std::vector<float>{1, 2, 3, 0, 5, 6, 0, 0, 9}));
  EXPECT_EQ(ops::triu(x, 1).to_vector<float>(), (std::vector<float>{0, 2, 3, 0, 0, 6, 0, 0, 0}));
  EXPECT_EQ(ops::triu(x, -5).to_vector<float>(), x.to_vector<float>());
  EXPECT_EQ(ops::tril(x, -5).to_vector<float>(), std::vector<float>(9, 0.0f));
  // Batched, non-square, strided, boolean (the causal-mask use).
  Tensor b = Tensor::ones({2, 2, 3}, DType::Bool);
  EXPECT_EQ(ops::tril(b).to_vector<int64_t>(), (std::vector<int64_t>{1, 0, 0, 1, 1, 0, 1, 0, 0, 1, 1, 0}));
  Tensor xt = x.transpose(0, 1);  // [[1, 4, 7], [2, 5, 8], [3, 6, 9]]
  EXPECT_EQ(ops::triu(xt).to_vector<float>(), (std::vector<float>{1, 4, 7, 0, 5, 8, 0, 0, 9}));
  EXPECT_EQ(x.to_vector<float>()[1], 2.0f);  // the input is untouched
  EXPECT_THROW(ops::tril(f32({1, 2}, {2})), Error);
}

TEST(SortTest, StableAscendingAndDescending) {
  Tensor x = f32({3, 1, 2, 1}, {4});
  ops::TopK a = ops::sort(x);
  EXPECT_EQ(a.values.to_vector<float>(), (std::vector<float>{1, 1, 2, 3}));
  EXPECT_EQ(a.indices.to_vector<int64_t>(), (std::vector<int64_t>{1, 3, 2, 0}));
  EXPECT_EQ(a.indices.dtype(), DType::Int64);
  ops::TopK d = ops::sort(x, 0, true);
  EXPECT_EQ(d.values.to_vector<float>(), (std::vector<float>{3, 2, 1, 1}));
  EXPECT_EQ(d.indices.to_vector<int64_t>(), (std::vector<int64_t>{0, 2, 1, 3}));
}

TEST(SortTest, NanSortsAboveNumbers) {
  Tensor x = f32({1, NAN, 0}, {3});
  ops::TopK a = ops::sort(x);
  EXPECT_EQ(a.indices.to_vector<int64_t>(), (std::vector<int64_t>{2, 0, 1}));
  EXPECT_TRUE(std::isnan(a.values.to_vector<float>()[2]));
  EXPECT_EQ(ops::sort(x, 0, true).indices.to_vector<int64_t>(), (std::vector<int64_t>{1, 0, 2}));
}

TEST(SortTest, AlongInnerAndOuterDims) {
  Tensor x = f32({5, 2, 9, 1, 7, 3}, {2, 3});
  ops::TopK r = ops::sort(x, 1);
  EXPECT_EQ(r.values.to_vector<float>(), (std::vector<float>{2, 5, 9, 1, 3, 7}));
  EXPECT_EQ(r.indices.to_vector<int64_t>(), (std::vector<int64_t>{1, 0, 2, 0, 2, 1}));
  ops::TopK c = ops::sort(x, 0, true);  // columns: (5, 1), (2, 7), (9, 3)
  EXPECT_EQ(c.values.to_vector<float>(), (std::vector<float>{5, 7, 9, 1, 2, 3}));
  EXPECT_EQ(c.indices.to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 0, 1, 0, 1}));
  // Integers keep their dtype and exact values.
  ops::TopK i = ops::sort(i64({4, -2, 4}, {3}));
  EXPECT_EQ(i.values.dtype(), DType::Int64);
  EXPECT_EQ(i.values.to_vector<int64_t>(), (std::vector<int64_t>{-2, 4, 4}));
  EXPECT_THROW(ops::sort(Tensor::scalar(1.0)), Error);
}

TEST(TopKTest, LargestFirstTiesByIndex) {
  ops::TopK t = ops::topk(f32({1, 3, 3, 2}, {4}), 2);
  EXPECT_EQ(t.values.to_vector<float>(), (std::vector<float>{3, 3}));
  EXPECT_EQ(t.indices.to_vector<int64_t>(), (std::vector<int64_t>{1, 2}));
  // Per row of a batch, k = 1 is argmax.
  Tensor logits = f32({0.1f, 0.7f, 0.2f, 0.5f, -1, 0.4f}, {2, 3});
  ops::TopK r = ops::topk(logits, 1, -1);
  EXPECT_EQ(r.indices.shape(), (Shape{2, 1}));
  EXPECT_EQ(r.indices.to_vector<int64_t>(), (std::vector<int64_t>{1, 0}));
  ops::TopK all = ops::topk(logits, 3, 1);
  EXPECT_EQ(all.indices.to_vector<int64_t>(), (std::vector<int64_t>{1, 2, 0, 0, 2, 1}));
  EXPECT_EQ(ops::topk(logits, 0).values.shape(), (Shape{2, 0}));
  // bf16 values come back as bf16, unchanged.
  ops::TopK h = ops::topk(logits.to(DType::BFloat16), 1);
  EXPECT_EQ(h.values.dtype(), DType::BFloat16);
  EXPECT_EQ(h.values.to_vector<float>()[1], bf16_to_f32(f32_to_bf16(0.5f)));
  EXPECT_THROW(ops::topk(logits, 4), Error);
  EXPECT_THROW(ops::topk(logits, -1), Error);
}
