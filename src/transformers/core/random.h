#pragma once
// Seeded, reproducible random numbers: a counter-based Philox-4x32-10 generator, so a stream is
// a pure function of (seed, offset) and independent of thread count.
#include <cstdint>

#include "transformers/core/tensor.h"

namespace transformers {

class Generator {
 public:
  explicit Generator(uint64_t seed = 0) : seed_(seed) {}
  void manual_seed(uint64_t seed) {
    seed_ = seed;
    offset_ = 0;
  }
  uint64_t seed() const { return seed_; }
  // Blocks drawn so far (the counter of the next block), and a jump over `blocks` of them:
  // parallel fills compute each block from its index (Note [Random streams]).
  uint64_t offset() const { return offset_; }
  void skip(uint64_t blocks) { offset_ += blocks; }
  // Four fresh 32-bit words; advances the stream.
  void next4(uint32_t out[4]);
  // Uniform in [0, 1) with 24 random bits (float) or 53 (double).
  float uniform_float();
  double uniform_double();
  // Standard normal (Box-Muller).
  double normal();

 private:
  uint64_t seed_;
  uint64_t offset_ = 0;
};

// The process default generator (like torch's default CPU generator).
Generator& default_generator();

namespace ops {
// New tensors filled from `gen`.
Tensor rand(const Shape& shape, Generator& gen, DType dtype = DType::Float32);   // U[0, 1)
Tensor randn(const Shape& shape, Generator& gen, DType dtype = DType::Float32);  // N(0, 1)
// In place.
void uniform_(const Tensor& x, double low, double high, Generator& gen);
void normal_(const Tensor& x, double mean, double std, Generator& gen);
// probs [batch, n] (non-negative, need not sum to 1) -> [batch, num_samples] Int64 indices.
// Without replacement, num_samples <= number of non-zero entries.
Tensor multinomial(const Tensor& probs, int64_t num_samples, bool replacement, Generator& gen);
}  // namespace ops

}  // namespace transformers
