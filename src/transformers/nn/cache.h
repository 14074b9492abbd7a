#pragma once
// Key/value caches for autoregressive decoding (Hugging Face's Cache classes).
#include <cstdint>
#include <utility>
#include <vector>

#include "transformers/core/tensor.h"

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
  explicit DynamicCache(int64_t num_layers, int64_t max_cache_len = 0);

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
};

}  // namespace transformers::nn
