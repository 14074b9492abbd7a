#pragma once
// Reading an nn::SlidingWindowCache buffer in Hugging Face's slot order, for the cache tests.
#include <cstdint>
#include <vector>

#include "transformers/core/tensor.h"

namespace transformers::testing {

// A buffer [batch, 1, slots, 1] (or a mask [batch, slots]) stored as a ring, listed by slot: slot j
// of each row is at index (start + j) % slots (SlidingWindowCache::Window::start).
template <typename T>
std::vector<T> in_slot_order(const Tensor& stored, int64_t start) {
  const std::vector<T> flat = stored.to_vector<T>();
  const int64_t slots = stored.dim() == 2 ? stored.size(1) : stored.size(2);
  std::vector<T> out(flat.size());
  for (size_t row = 0; row < flat.size() / size_t(slots); ++row)
    for (int64_t j = 0; j < slots; ++j)
      out[row * size_t(slots) + size_t(j)] = flat[row * size_t(slots) + size_t((start + j) % slots)];
  return out;
}

}  // namespace transformers::testing
