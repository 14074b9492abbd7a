#include "transformers/nn/cache.h"

#include <algorithm>

#include "transformers/core/error.h"
#include "transformers/core/ops.h"

namespace transformers::nn {

DynamicCache::DynamicCache(int64_t num_layers, int64_t max_cache_len)
    : layers_(static_cast<size_t>(num_layers)), max_cache_len_(max_cache_len) {}

std::pair<Tensor, Tensor> DynamicCache::update(int64_t layer, const Tensor& key, const Tensor& value) {
  TFM_CHECK(layer >= 0 && layer < int64_t(layers_.size()), "[cache] layer ", layer, " out of range");
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

}  // namespace transformers::nn
