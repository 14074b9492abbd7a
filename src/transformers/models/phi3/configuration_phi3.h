#pragma once
// Phi3Config: config.json keys verbatim, Hugging Face's defaults (configuration_phi3.py).
#include <filesystem>
#include <optional>

#include "transformers/models/configuration_utils.h"

namespace transformers::models::phi3 {

struct Phi3Config : PretrainedConfig {
  int64_t vocab_size = 32064;
  int64_t hidden_size = 3072;
  int64_t intermediate_size = 8192;
  int64_t num_hidden_layers = 32;
  int64_t num_attention_heads = 32;
  int64_t num_key_value_heads = 32;  // null -> num_attention_heads
  int64_t head_dim = 96;             // absent -> hidden_size / num_attention_heads
  std::string hidden_act = "silu";
  int64_t max_position_embeddings = 4096;
  int64_t original_max_position_embeddings = 4096;
  double initializer_range = 0.02;
  double rms_norm_eps = 1e-5;
  double partial_rotary_factor = 1.0;
  std::optional<int64_t> sliding_window;
  // rope_theta + rope_scaling over int(head_dim * partial_rotary_factor) dims; rope_scaling types
  // "su" and "yarn" are old names of "longrope" (Phi3Config._rope_scaling_adjustment).
  nn::RopeParameters rope;

  static Phi3Config from_json(const nlohmann::json& j, const std::string& source = "config.json");
  static Phi3Config from_file(const std::filesystem::path& path);
};

}  // namespace transformers::models::phi3
