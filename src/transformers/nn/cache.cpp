#include "transformers/nn/cache.h"

#include <algorithm>

#include "transformers/core/error.h"
#include "transformers/core/ops.h"

namespace transformers::nn {

DynamicCache::DynamicCache(int64_t num_layers, int64_t max_cache_len)
    : layers_(static_cast<size_t>(num_layers)), max_cache_len_(max_cache_len), grows_(num_layers == 0) {}

std::pair<Tensor, Tensor> DynamicCache::update(int64_t layer, const Tensor& key, const Tensor& value) {
  TFM_CHECK(layer >= 0, "[cache] layer ", layer, " out of range");
  if (grows_ && layer >= int64_t(layers_.size())) layers_.resize(size_t(layer) + 1);
  TFM_CHECK(layer < int64_t(layers_.size()), "[cache] layer ", layer, " out of range");
  TFM_CHECK(key.dim() == 4 && value.dim() == 4, "[cache] key/value must be 4-d");
  Layer& l = layers_[size_t(layer)];
  const int64_t n = key.size(2), needed = l.length + n;
  const int64_t capacity = l.keys.defined() ? l.keys.size(2) : 0;
  if (needed > capacity) {
    TFM_CHECK(max_cache_len_ == 0 || capacity == 0, "[cache] static cache of ", max_cache_len_,
              " tokens is full");
    int64_t new_capacity = max_cache_len_ > 0 ? std::max(max_cache_len_, needed)
                                              : std::max<int64_t>(needed, std::max<int64_t>(2 * capacity, 64));
    Shape ks = key.shape(), vs = value.shape();
    ks[2] = vs[2] = new_capacity;
    Tensor nk = Tensor::empty(ks, key.dtype()), nv = Tensor::empty(vs, value.dtype());
    if (l.length > 0) {
      nk.narrow(2, 0, l.length).copy_(l.keys.narrow(2, 0, l.length));
      nv.narrow(2, 0, l.length).copy_(l.values.narrow(2, 0, l.length));
    }
    l.keys = nk;
    l.values = nv;
  }
  TFM_CHECK(key.size(0) == l.keys.size(0) && key.size(1) == l.keys.size(1) && key.size(3) == l.keys.size(3),
            "[cache] key ", shape_str(key.shape()), " does not match the cache ", shape_str(l.keys.shape()));
  l.keys.narrow(2, l.length, n).copy_(key);
  l.values.narrow(2, l.length, n).copy_(value);
  l.length = needed;
  return {l.keys.narrow(2, 0, l.length), l.values.narrow(2, 0, l.length)};
}

void KVCache::crop(int64_t) {
  throw Error("[cache] this cache cannot be cropped (assisted decoding needs a cache that can rewind)");
}

void DynamicCache::crop(int64_t length) {
  TFM_CHECK(length >= 0, "[cache] crop to a negative length");
  for (Layer& l : layers_) l.length = std::min(l.length, length);
}

int64_t DynamicCache::nbytes() const {
  int64_t total = 0;
  for (const Layer& l : layers_)
    if (l.keys.defined()) total += int64_t(l.keys.nbytes() + l.values.nbytes());
  return total;
}

int64_t DynamicCache::seq_length() const { return layers_.empty() ? 0 : layers_[0].length; }

void DynamicCache::reorder(const std::vector<int64_t>& beam_idx) {
  Tensor idx = Tensor::from_vector(beam_idx, {int64_t(beam_idx.size())});
  for (Layer& l : layers_) {
    if (!l.keys.defined()) continue;
    l.keys = ops::index_select(l.keys, 0, idx);
    l.values = ops::index_select(l.values, 0, idx);
  }
}

SlidingWindowCache::SlidingWindowCache(std::vector<int64_t> layer_sliding_window, int64_t max_cache_len,
                                       MaskColumns columns)
    : layer_slots_(std::move(layer_sliding_window)),
      columns_(columns),
      full_(int64_t(layer_slots_.size()), max_cache_len),
      buffers_(layer_slots_.size()),
      windows_(layer_slots_.size()) {
  // HF: "Sliding layers can't be larger than the overall max cache len". generate() sizes the cache
  // for max_length - 1 tokens, so a generation shorter than the window rolls once, at its last step.
  for (int64_t& slots : layer_slots_) {
    TFM_CHECK(slots >= 0, "[cache] negative sliding window ", slots);
    if (max_cache_len > 0 && slots > 0) slots = std::min(slots, max_cache_len);
  }
}

// Note [Sliding buffer roll]: Hugging Face's HybridCache._sliding_update and
// SlidingWindowCache.update write a decoded token at slot min(position, slots - 1), and first shift
// the buffer left by one whenever that slot is the last one. The shift already happens at position
// slots - 1, when the buffer still has one free slot: the oldest key (position 0) is dropped and the
// free (zero) slot moves to slots - 2, where the mask leaves it visible (it reads attention_mask
// columns by slot). A zero key scores 0, so for the next slots - 1 tokens that slot adds weight to a
// zero value instead of the oldest key of the window. Generations from prompts shorter than the
// buffer depend on it (the gemma2 fixture's beam3 scores differ by 5e-4 without it), so it is
// reproduced on purpose. HF copies the whole buffer to shift it; here the buffer is a ring and a
// shift moves its start, so a token past the window costs one slot's write, not a buffer's copy
// (32 MB per layer for Mistral-7B's window of 4096). Attention reads the slots in ring order with
// the mask rotated to match (attend_through_window), which changes only the order of its sums.
std::pair<Tensor, Tensor> SlidingWindowCache::update(int64_t layer, const Tensor& key, const Tensor& value) {
  TFM_CHECK(layer >= 0 && layer < int64_t(buffers_.size()), "[cache] layer ", layer, " out of range");
  TFM_CHECK(key.dim() == 4 && value.dim() == 4, "[cache] key/value must be 4-d");
  const int64_t n = key.size(2);
  const int64_t slots = layer_slots_[size_t(layer)];
  if (slots == 0) {
    auto kv = full_.update(layer, key, value);
    if (layer == 0) seen_tokens_ += n;
    return kv;
  }

  Buffer& b = buffers_[size_t(layer)];
  Window& w = windows_[size_t(layer)];
  if (b.written == 0) {
    // Prompt: attention sees every prompt key (the mask applies the window); the buffer keeps the
    // last `slots` of them. (HF returns the buffer itself for prompts that fit it; its empty slots
    // are masked as future keys, so attention is the same.)
    Shape ks = key.shape(), vs = value.shape();
    ks[2] = vs[2] = slots;
    b.keys = Tensor::zeros(ks, key.dtype());
    b.values = Tensor::zeros(vs, value.dtype());
    const int64_t kept = std::min(n, slots);
    b.keys.narrow(2, 0, kept).copy_(key.narrow(2, n - kept, kept));
    b.values.narrow(2, 0, kept).copy_(value.narrow(2, n - kept, kept));
    b.written = n;
    w = Window{};
    if (layer == 0) seen_tokens_ += n;
    return {key, value};
  }
  TFM_CHECK(n == 1, "[cache] a sliding-window cache takes one token at a time after the prompt (as Hugging "
            "Face's HybridCache and SlidingWindowCache), got ", n);
  TFM_CHECK(key.size(0) == b.keys.size(0) && key.size(1) == b.keys.size(1) && key.size(3) == b.keys.size(3),
            "[cache] key ", shape_str(key.shape()), " does not match the cache ", shape_str(b.keys.shape()));
  const int64_t slot = std::min(b.written, slots - 1);
  if (slot == slots - 1) b.start = (b.start + 1) % slots;  // Note [Sliding buffer roll]
  const int64_t index = (b.start + slot) % slots;
  b.keys.narrow(2, index, 1).copy_(key);
  b.values.narrow(2, index, 1).copy_(value);
  w.buffered = true;
  w.start = b.start;
  // HybridCache: Gemma2's decoder layer slices the mask from last_position + 1 - window.
  // SlidingWindowCache: Mistral's causal-mask builder truncates attention_mask to its first
  // `slots` columns, although after a roll slot j no longer holds position j; with left padding
  // this masks slots by the padding of the first positions, and it is reproduced as it is.
  w.first_column = columns_ == MaskColumns::kLeading ? 0 : std::max<int64_t>(0, b.written + 1 - slots);
  w.query_slot = slot;
  b.written += 1;
  if (layer == 0) seen_tokens_ += 1;
  return {b.keys, b.values};
}

void SlidingWindowCache::reorder(const std::vector<int64_t>& beam_idx) {
  full_.reorder(beam_idx);
  Tensor idx = Tensor::from_vector(beam_idx, {int64_t(beam_idx.size())});
  for (Buffer& b : buffers_) {
    if (!b.keys.defined()) continue;
    b.keys = ops::index_select(b.keys, 0, idx);
    b.values = ops::index_select(b.values, 0, idx);
  }
}

void SlidingWindowCache::crop(int64_t length) {
  if (length > 0) KVCache::crop(length);  // a rolled buffer cannot rewind
  full_.crop(0);
  for (Buffer& b : buffers_) b = Buffer{};
  for (Window& w : windows_) w = Window{};
  seen_tokens_ = 0;
}

int64_t SlidingWindowCache::nbytes() const {
  int64_t total = full_.nbytes();
  for (const Buffer& b : buffers_)
    if (b.keys.defined()) total += int64_t(b.keys.nbytes() + b.values.nbytes());
  return total;
}

std::unique_ptr<KVCache> make_sliding_window_cache(std::vector<int64_t> layer_sliding_window, int64_t max_cache_len) {
  if (std::all_of(layer_sliding_window.begin(), layer_sliding_window.end(), [](int64_t w) { return w == 0; }))
    return nullptr;
  return std::make_unique<SlidingWindowCache>(std::move(layer_sliding_window), max_cache_len,
                                              SlidingWindowCache::MaskColumns::kLeading);
}

Tensor window_mask(const Tensor& attention_mask, int64_t first, int64_t slots) {
  const int64_t available = std::min(slots, attention_mask.size(1) - first);
  Tensor mask = attention_mask.narrow(1, first, available);
  if (available == slots) return mask;
  return ops::cat({mask, Tensor::ones({mask.size(0), slots - available}, mask.dtype())}, 1);
}

void attend_through_window(const KVCache* cache, int64_t layer, const Tensor& attention_mask, int64_t key_len,
                           ops::AttentionOptions& options) {
  const auto* sliding = dynamic_cast<const SlidingWindowCache*>(cache);
  if (!sliding) return;
  const SlidingWindowCache::Window w = sliding->window(layer);
  if (!w.buffered) return;
  // The buffer holds at most the window, in slot order: no sliding mask, the query sits at its slot.
  options.sliding_window = 0;
  options.q_offset = w.query_slot;
  if (!attention_mask.defined()) return;
  Tensor by_slot = window_mask(attention_mask, w.first_column, key_len);
  // Storage index i holds slot (i - start) mod key_len. Once the ring has turned (start > 0) the
  // query is in the last slot, so the causal mask hides nothing and only this mask moves.
  if (w.start == 0) {
    options.key_padding_mask = by_slot;
    return;
  }
  options.key_padding_mask =
      ops::cat({by_slot.narrow(1, key_len - w.start, w.start), by_slot.narrow(1, 0, key_len - w.start)}, 1);
}

}  // namespace transformers::nn
