#pragma once
// Key/value caches for autoregressive decoding (Hugging Face's Cache classes).
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "transformers/core/tensor.h"

namespace transformers::ops {
struct AttentionOptions;
}

namespace transformers::nn {

class KVCache {
 public:
  virtual ~KVCache() = default;
  // Appends key/value states [batch, kv_heads, new_len, head_dim] for `layer` and returns the
  // layer's whole keys/values [batch, kv_heads, total_len, head_dim] (views, no copy).
  virtual std::pair<Tensor, Tensor> update(int64_t layer, const Tensor& key, const Tensor& value) = 0;
  // Tokens already cached (in layer 0).
  virtual int64_t seq_length() const = 0;
  // Beam search: row b of the cache becomes old row beam_idx[b].
  virtual void reorder(const std::vector<int64_t>& beam_idx) = 0;
  // Assisted decoding: forget every token from position `length` on (rejected candidates).
  // Caches that cannot rewind (rolling windows) throw.
  virtual void crop(int64_t length);
  // Bytes of key/value storage held (allocated capacity), for memory reports; 0 when unknown.
  virtual int64_t nbytes() const { return 0; }
};

// Grows as tokens arrive. Storage is preallocated per layer with doubling capacity (or a fixed
// max_cache_len, Hugging Face's StaticCache: no reallocation during decoding), so appending a
// token copies only that token.
class DynamicCache : public KVCache {
 public:
  // num_layers 0: layers are added as they arrive (HF's DynamicCache(), for any model).
  explicit DynamicCache(int64_t num_layers = 0, int64_t max_cache_len = 0);

  std::pair<Tensor, Tensor> update(int64_t layer, const Tensor& key, const Tensor& value) override;
  int64_t seq_length() const override;
  void reorder(const std::vector<int64_t>& beam_idx) override;
  void crop(int64_t length) override;
  int64_t nbytes() const override;

 private:
  struct Layer {
    Tensor keys, values;  // [batch, kv_heads, capacity, head_dim]
    int64_t length = 0;
  };
  std::vector<Layer> layers_;
  int64_t max_cache_len_;
  bool grows_;
};

// Hugging Face's HybridCache (Gemma2, Gemma3) and SlidingWindowCache (Mistral, Qwen2, Phi-3): a
// layer with a sliding window keeps a buffer of its last min(window, max_cache_len) keys, which
// rolls as tokens arrive (Note [Sliding buffer roll]); a layer without one keeps every key. The two
// HF classes store alike; their models read different attention_mask columns for the buffer's
// slots (MaskColumns). The prompt is fed at once, then one token per update().
class SlidingWindowCache : public KVCache {
 public:
  enum class MaskColumns {
    kEndingAtQuery,  // HybridCache: Gemma2/Gemma3's decoder layer slices the columns ending at the query
    kLeading,        // SlidingWindowCache: Mistral's mask keeps the first columns, whatever slots hold
  };
  // layer_sliding_window[i] > 0: layer i slides with that window; 0: it keeps every key.
  // max_cache_len > 0: those layers' storage is allocated once for that many tokens, and the
  // buffers hold min(window, max_cache_len) slots (as HF's caches).
  SlidingWindowCache(std::vector<int64_t> layer_sliding_window, int64_t max_cache_len, MaskColumns columns);

  std::pair<Tensor, Tensor> update(int64_t layer, const Tensor& key, const Tensor& value) override;
  int64_t seq_length() const override { return seen_tokens_; }
  void reorder(const std::vector<int64_t>& beam_idx) override;
  // Only crop(0), which empties the cache (a model that recomputes it, e.g. Phi-3's longrope switch).
  void crop(int64_t length) override;
  int64_t nbytes() const override;

  // How the keys the last update() returned for a layer line up with token positions. A buffer is
  // a ring: HF's slot j (the order its mask reads) is stored at index (start + j) % slots.
  struct Window {
    bool buffered = false;     // false: the update returned every key (prefill, or no window); positions = index
    int64_t first_column = 0;  // attention_mask column read for slot 0
    int64_t query_slot = 0;    // the query's slot: slots after it are masked as future
    int64_t start = 0;         // where slot 0 is stored
  };
  Window window(int64_t layer) const { return windows_.at(size_t(layer)); }

 private:
  struct Buffer {
    Tensor keys, values;  // [batch, kv_heads, slots, head_dim]
    int64_t written = 0;  // tokens seen by this layer
    int64_t start = 0;    // ring index of slot 0
  };
  std::vector<int64_t> layer_slots_;  // 0: the layer keeps every key
  MaskColumns columns_;
  DynamicCache full_;
  std::vector<Buffer> buffers_;
  std::vector<Window> windows_;
  int64_t seen_tokens_ = 0;
};

// HF's SlidingWindowCache for a model whose layer i has window layer_sliding_window[i] (0: none),
// as SlidingWindowCache with MaskColumns::kLeading; null when no layer has a window.
std::unique_ptr<KVCache> make_sliding_window_cache(std::vector<int64_t> layer_sliding_window, int64_t max_cache_len);

// The mask of a sliding buffer: attention_mask [batch, past + seq] -> its columns for the `slots`
// buffer slots from `first` (Window::first_column); slots past the mask's end hold no token yet
// (the causal mask hides them), marked 1 here.
Tensor window_mask(const Tensor& attention_mask, int64_t first, int64_t slots);

// Attention of `layer` after cache->update(): when the keys are a SlidingWindowCache's buffer,
// `options` (set up for keys in position order) are changed to mask its slots as Hugging Face does,
// in the ring's storage order.
void attend_through_window(const KVCache* cache, int64_t layer, const Tensor& attention_mask, int64_t key_len,
                           ops::AttentionOptions& options);

}  // namespace transformers::nn
