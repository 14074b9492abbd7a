#pragma once
// Gemma2's generation cache, as Hugging Face's HybridCache (cache_utils.py): global layers keep
// every key; sliding layers keep a buffer of the last sliding_window keys that rolls as tokens
// arrive. Gemma2Attention reads the buffer through window().
#include <vector>

#include "transformers/nn/cache.h"

namespace transformers::models::gemma2 {

class Gemma2HybridCache : public nn::KVCache {
 public:
  // layer_sliding_window[i] > 0: layer i is a sliding layer with that window; 0: global.
  // max_cache_len > 0: the global layers' storage is allocated once for that many tokens, and the
  // sliding buffers hold min(window, max_cache_len) (as HF's HybridCache).
  explicit Gemma2HybridCache(std::vector<int64_t> layer_sliding_window, int64_t max_cache_len = 0);

  std::pair<Tensor, Tensor> update(int64_t layer, const Tensor& key, const Tensor& value) override;
  int64_t seq_length() const override { return seen_tokens_; }
  void reorder(const std::vector<int64_t>& beam_idx) override;

  // How the keys the last update() returned for a sliding layer line up with token positions.
  struct Window {
    bool buffered = false;     // false: the update returned every key (prefill); positions = index
    int64_t first_column = 0;  // attention_mask column read for buffer slot 0 (HF's mask slice)
    int64_t query_slot = 0;    // the query's slot: slots after it are masked as future
  };
  Window window(int64_t layer) const { return windows_.at(size_t(layer)); }

 private:
  struct Sliding {
    Tensor keys, values;  // [batch, kv_heads, sliding_window, head_dim]
    int64_t written = 0;  // tokens seen by this layer
  };
  std::vector<int64_t> layer_sliding_window_;
  nn::DynamicCache global_;
  std::vector<Sliding> sliding_;
  std::vector<Window> windows_;
  int64_t seen_tokens_ = 0;
};

// The mask of a sliding layer's buffer: attention_mask [batch, past + seq] -> its columns for the
// `slots` buffer slots from `first` (Window::first_column); slots past the mask's end hold no
// token yet (the causal mask hides them), marked 1 here. Gemma2 and Gemma3 attention use it.
Tensor window_mask(const Tensor& attention_mask, int64_t first, int64_t slots);

}  // namespace transformers::models::gemma2
