#pragma once
// Rotary position embeddings: inverse frequencies for every Hugging Face rope_type
// (modeling_rope_utils.py: default, linear, dynamic, yarn, longrope, llama3) and the cos/sin
// tables for given position ids.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "transformers/core/tensor.h"

namespace transformers::nn {

// config.rope_theta + config.rope_scaling, resolved (rope_scaling.type -> rope_type).
struct RopeParameters {
  std::string rope_type = "default";
  double rope_theta = 10000.0;
  int64_t dim = 0;                        // rotary dims (head_dim * partial_rotary_factor)
  int64_t max_position_embeddings = 2048;
  // rope_scaling fields (unused ones keep their defaults)
  double factor = 1.0;
  double low_freq_factor = 1.0, high_freq_factor = 4.0;            // llama3
  std::optional<int64_t> original_max_position_embeddings;         // llama3, longrope
  std::optional<double> attention_factor;                          // yarn, longrope
  std::optional<double> beta_fast, beta_slow;                      // yarn
  std::vector<double> short_factor, long_factor;                   // longrope
};

class RotaryEmbedding {
 public:
  RotaryEmbedding() = default;
  explicit RotaryEmbedding(RopeParameters params);

  // position_ids [batch, seq] (integer) -> cos, sin [batch, seq, dim] in f32, already multiplied
  // by the attention scaling. Dynamic NTK recomputes the frequencies when positions grow past
  // max_position_embeddings (and keeps the longest, as Hugging Face's module does).
  std::pair<Tensor, Tensor> forward(const Tensor& position_ids);

  const std::vector<float>& inv_freq() const { return inv_freq_; }
  double attention_scaling() const { return attention_scaling_; }

 private:
  RopeParameters params_;
  std::vector<float> inv_freq_;
  std::vector<float> original_inv_freq_;
  double attention_scaling_ = 1.0;
  int64_t max_seq_len_cached_ = 0;
};

// The (inv_freq, attention_factor) pair of Hugging Face's ROPE_INIT_FUNCTIONS[rope_type];
// seq_len only matters for "dynamic". Throws on an unknown rope_type.
std::pair<std::vector<float>, double> compute_rope_parameters(const RopeParameters& params,
                                                              int64_t seq_len = 0);

}  // namespace transformers::nn
