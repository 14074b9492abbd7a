#include "transformers/models/gemma2/cache_gemma2.h"

#include <algorithm>

#include "transformers/core/error.h"
#include "transformers/core/ops.h"

namespace transformers::models::gemma2 {

Gemma2HybridCache::Gemma2HybridCache(std::vector<int64_t> layer_sliding_window, int64_t max_cache_len)
    : layer_sliding_window_(std::move(layer_sliding_window)),
      global_(int64_t(layer_sliding_window_.size()), max_cache_len),
      sliding_(layer_sliding_window_.size()),
      windows_(layer_sliding_window_.size()) {
  // HF: "Sliding layers can't be larger than the overall max cache len": a buffer of
  // min(sliding_window, max_cache_len) slots, which rolls (Note [HybridCache roll]) at its own end.
  // generate() sizes the cache for max_length - 1 tokens, so generations shorter than the window
  // roll once, at their last step.
  if (max_cache_len > 0)
    for (int64_t& w : layer_sliding_window_)
      if (w > 0) w = std::min(w, max_cache_len);
}

// Note [HybridCache roll]: Hugging Face's _sliding_update writes a decoded token at slot
// min(position, window - 1) and first shifts the buffer left by one whenever that slot is the last
// one. The shift already happens at position window - 1, when the buffer still has one free slot:
// the oldest key (position 0) is dropped and the free (zero) slot moves to window - 2, where the
// mask (which reads attention_mask columns by slot) leaves it visible. A zero key scores 0, so for
// the next window - 1 tokens that slot adds weight to a zero value instead of the oldest key of the
// window. Generations from prompts shorter than the window depend on it (the gemma2 fixture's
// beam3 scores differ by 5e-4 without it), so it is reproduced here on purpose.
std::pair<Tensor, Tensor> Gemma2HybridCache::update(int64_t layer, const Tensor& key, const Tensor& value) {
  TFM_CHECK(layer >= 0 && layer < int64_t(sliding_.size()), "[cache] layer ", layer, " out of range");
  TFM_CHECK(key.dim() == 4 && value.dim() == 4, "[cache] key/value must be 4-d");
  const int64_t n = key.size(2);
  if (layer == 0) seen_tokens_ += n;
  const int64_t window = layer_sliding_window_[size_t(layer)];
  if (window == 0) return global_.update(layer, key, value);

  Sliding& s = sliding_[size_t(layer)];
  Window& w = windows_[size_t(layer)];
  if (s.written == 0) {
    // Prefill: attention sees every prompt key (the mask applies the window); the buffer keeps the
    // last `window` of them.
    Shape ks = key.shape(), vs = value.shape();
    ks[2] = vs[2] = window;
    s.keys = Tensor::zeros(ks, key.dtype());
    s.values = Tensor::zeros(vs, value.dtype());
    const int64_t kept = std::min(n, window);
    s.keys.narrow(2, 0, kept).copy_(key.narrow(2, n - kept, kept));
    s.values.narrow(2, 0, kept).copy_(value.narrow(2, n - kept, kept));
    s.written = n;
    w = Window{};
    return {key, value};
  }
  TFM_CHECK(n == 1, "[cache] Gemma2's hybrid cache takes one token at a time after the prompt (as Hugging Face's "
            "HybridCache), got ", n);
  TFM_CHECK(key.size(0) == s.keys.size(0), "[cache] batch ", key.size(0), " does not match the cache's ", s.keys.size(0));
  const int64_t slot = std::min(s.written, window - 1);
  if (slot == window - 1) {  // Note [HybridCache roll]
    s.keys = ops::cat({s.keys.narrow(2, 1, window - 1), s.keys.narrow(2, 0, 1)}, 2);
    s.values = ops::cat({s.values.narrow(2, 1, window - 1), s.values.narrow(2, 0, 1)}, 2);
  }
  s.keys.narrow(2, slot, 1).copy_(key);
  s.values.narrow(2, slot, 1).copy_(value);
  w.buffered = true;
  w.first_column = std::max<int64_t>(0, s.written + 1 - window);
  w.query_slot = slot;
  s.written += 1;
  return {s.keys, s.values};
}

void Gemma2HybridCache::reorder(const std::vector<int64_t>& beam_idx) {
  global_.reorder(beam_idx);
  Tensor idx = Tensor::from_vector(beam_idx, {int64_t(beam_idx.size())});
  for (Sliding& s : sliding_) {
    if (!s.keys.defined()) continue;
    s.keys = ops::index_select(s.keys, 0, idx);
    s.values = ops::index_select(s.values, 0, idx);
  }
}

Tensor window_mask(const Tensor& attention_mask, int64_t first, int64_t slots) {
  const int64_t available = std::min(slots, attention_mask.size(1) - first);
  Tensor mask = attention_mask.narrow(1, first, available);
  if (available == slots) return mask;
  return ops::cat({mask, Tensor::ones({mask.size(0), slots - available}, mask.dtype())}, 1);
}

}  // namespace transformers::models::gemma2
