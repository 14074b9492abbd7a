// nn::SlidingWindowCache as Hugging Face's SlidingWindowCache (MaskColumns::kLeading): buffer
// contents, the attention options it hands a model, and what it refuses. The HybridCache flavour
// (kEndingAtQuery) is checked in tests/models/test_gemma2.cpp; model-level decoding against a
// double-precision reference in tests/models/test_mistral.cpp.
#include <gtest/gtest.h>

#include <vector>

#include "support/slot_order.h"
#include "transformers/core/error.h"
#include "transformers/core/ops.h"
#include "transformers/nn/cache.h"

using namespace transformers;
using Columns = nn::SlidingWindowCache::MaskColumns;
using transformers::testing::in_slot_order;

namespace {

// [batch, 1, n, 1] keys holding position + 1 + 100 * row (0 marks a slot never written).
Tensor positions(int64_t first, int64_t n, int64_t batch = 1) {
  std::vector<float> v;
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t i = 0; i < n; ++i) v.push_back(float(first + i + 1 + 100 * b));
  return Tensor::from_vector(v, {batch, 1, n, 1});
}

}  // namespace

TEST(SlidingWindowCacheTest, RollsAsHuggingFaceAndReadsTheFirstMaskColumns) {
  // Window 3 on layer 0; layer 1 has none. Expected buffers follow HF's update() by hand:
  // slot = min(p, 2); when slot == 2, shift left by one (slot 0 wraps to 2), then write.
  nn::SlidingWindowCache cache({3, 0}, /*max_cache_len=*/6, Columns::kLeading);
  auto [k, v] = cache.update(0, positions(0, 2), positions(0, 2));  // prompt: positions 0, 1
  EXPECT_EQ(k.to_vector<float>(), (std::vector<float>{1, 2}));
  EXPECT_FALSE(cache.window(0).buffered);
  cache.update(1, positions(0, 2), positions(0, 2));
  const std::vector<std::vector<float>> expected = {{2, 0, 3}, {0, 3, 4}, {3, 4, 5}, {4, 5, 6}};
  const float* storage = nullptr;
  for (int64_t p = 2; p < 6; ++p) {
    auto [kp, vp] = cache.update(0, positions(p, 1), positions(p, 1));
    const nn::SlidingWindowCache::Window w = cache.window(0);
    EXPECT_EQ(in_slot_order<float>(kp, w.start), expected[size_t(p - 2)]) << "position " << p;
    EXPECT_EQ(in_slot_order<float>(vp, w.start), expected[size_t(p - 2)]) << "position " << p;
    EXPECT_EQ(w.start, std::max<int64_t>(0, p - 1) % 3);  // the ring turns instead of copying
    if (!storage) storage = kp.data<float>();
    EXPECT_EQ(kp.data<float>(), storage) << "position " << p;
    EXPECT_TRUE(w.buffered);
    EXPECT_EQ(w.query_slot, 2);
    EXPECT_EQ(w.first_column, 0);  // HF's Mistral mask: attention_mask[:, :max_cache_len]
    EXPECT_EQ(cache.update(1, positions(p, 1), positions(p, 1)).first.size(2), p + 1);
    EXPECT_EQ(cache.seq_length(), p + 1);
  }
  // Keys and values: 3 slots for layer 0, 6 tokens allocated once for layer 1.
  EXPECT_EQ(cache.nbytes(), int64_t(2 * 3 * sizeof(float) + 2 * 6 * sizeof(float)));
}

TEST(SlidingWindowCacheTest, AttentionReadsTheBufferBySlot) {
  // A window of 4 after a 1-token prompt: at position 1 the buffer has slots 2, 3 empty.
  nn::SlidingWindowCache cache({4}, 0, Columns::kLeading);
  cache.update(0, positions(0, 1, 2), positions(0, 1, 2));
  ops::AttentionOptions options;
  options.is_causal = true;
  options.sliding_window = 4;
  options.q_offset = 0;
  Tensor mask = Tensor::from_vector(std::vector<int64_t>{0, 1, 1, 1}, {2, 2});  // row 0 left-padded
  nn::attend_through_window(&cache, 0, mask, 1, options);  // prompt: untouched
  EXPECT_EQ(options.sliding_window, 4);
  EXPECT_FALSE(options.key_padding_mask.defined());

  auto [k, v] = cache.update(0, positions(1, 1, 2), positions(1, 1, 2));
  EXPECT_EQ(k.to_vector<float>(), (std::vector<float>{1, 2, 0, 0, 101, 102, 0, 0}));
  nn::attend_through_window(&cache, 0, mask, k.size(2), options);
  EXPECT_EQ(options.sliding_window, 0);
  EXPECT_EQ(options.q_offset, 1);  // slots 2 and 3 are future keys
  // The two mask columns so far, then 1 for the slots past the mask's end.
  EXPECT_EQ(options.key_padding_mask.to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 1, 1, 1, 1, 1, 1}));

  // Later, the mask is cut to its first 4 columns whatever positions the slots hold, and rotated
  // as the ring stores the slots: three turns put slot 0 at index 3.
  Tensor longer = Tensor::from_vector(std::vector<int64_t>{0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, {2, 6});
  for (int64_t p = 2; p < 6; ++p) k = cache.update(0, positions(p, 1, 2), positions(p, 1, 2)).first;
  ASSERT_EQ(cache.window(0).start, 3);
  EXPECT_EQ(in_slot_order<float>(k, 3), (std::vector<float>{0, 4, 5, 6, 0, 104, 105, 106}));
  nn::attend_through_window(&cache, 0, longer, 4, options);
  EXPECT_EQ(options.q_offset, 3);
  EXPECT_EQ(in_slot_order<int64_t>(options.key_padding_mask, 3), (std::vector<int64_t>{0, 0, 1, 1, 1, 1, 1, 1}));
  EXPECT_EQ(options.key_padding_mask.to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 1, 0, 1, 1, 1, 1}));

  // A DynamicCache leaves the options as they are.
  nn::DynamicCache dynamic(1);
  ops::AttentionOptions plain;
  plain.sliding_window = 4;
  nn::attend_through_window(&dynamic, 0, longer, 6, plain);
  EXPECT_EQ(plain.sliding_window, 4);
  nn::attend_through_window(nullptr, 0, longer, 6, plain);
  EXPECT_EQ(plain.sliding_window, 4);
}

TEST(SlidingWindowCacheTest, BeamsReorderAndOnlyAFullResetRewinds) {
  nn::SlidingWindowCache cache({2, 0}, 8, Columns::kLeading);
  cache.update(0, positions(0, 2, 2), positions(0, 2, 2));
  cache.update(1, positions(0, 2, 2), positions(0, 2, 2));
  cache.reorder({1, 1});
  Tensor k = cache.update(0, positions(2, 1, 2), positions(2, 1, 2)).first;
  EXPECT_EQ(in_slot_order<float>(k, cache.window(0).start), (std::vector<float>{102, 3, 102, 103}));
  EXPECT_EQ(cache.update(1, positions(2, 1, 2), positions(2, 1, 2)).first.to_vector<float>(),
            (std::vector<float>{101, 102, 3, 101, 102, 103}));
  EXPECT_THROW(cache.crop(1), Error);  // a rolled buffer cannot rewind
  cache.crop(0);                       // a model that recomputes its cache starts over
  EXPECT_EQ(cache.seq_length(), 0);
  EXPECT_FALSE(cache.window(0).buffered);
  EXPECT_EQ(cache.update(0, positions(0, 3), positions(0, 3)).first.size(2), 3);
  // After the prompt it takes one token at a time, of the cache's shape.
  EXPECT_THROW(cache.update(0, positions(3, 2), positions(3, 2)), Error);
  EXPECT_THROW(cache.update(0, positions(3, 1, 2), positions(3, 1, 2)), Error);
}

TEST(SlidingWindowCacheTest, NeedsAWindow) {
  EXPECT_EQ(nn::make_sliding_window_cache({0, 0}, 16), nullptr);
  auto cache = nn::make_sliding_window_cache({0, 6}, 4);  // buffers of min(6, 4) slots
  ASSERT_NE(cache, nullptr);
  cache->update(1, positions(0, 1), positions(0, 1));
  for (int64_t p = 1; p < 4; ++p) cache->update(1, positions(p, 1), positions(p, 1));
  EXPECT_EQ(cache->update(1, positions(4, 1), positions(4, 1)).first.size(2), 4);
  EXPECT_THROW(nn::SlidingWindowCache({-1}, 0, Columns::kLeading), Error);
}
