#pragma once
// PhiConfig: config.json keys verbatim, Hugging Face's defaults (configuration_phi.py).
#include <filesystem>

#include "transformers/models/configuration_utils.h"

namespace transformers::models::phi {

struct PhiConfig : PretrainedConfig {
  int64_t vocab_size = 51200;
  int64_t hidden_size = 2048;
  int64_t intermediate_size = 8192;
  int64_t num_hidden_layers = 24;
  int64_t num_attention_heads = 32;
  int64_t num_key_value_heads = 32;  // null -> num_attention_heads
  int64_t head_dim = 64;             // hidden_size / num_attention_heads
  std::string hidden_act = "gelu_new";
  int64_t max_position_embeddings = 2048;
  double initializer_range = 0.02;
  double layer_norm_eps = 1e-5;
  double partial_rotary_factor = 0.5;
  bool qk_layernorm = false;
  nn::RopeParameters rope;  // rope_theta + rope_scaling over int(head_dim * partial_rotary_factor) dims

  static PhiConfig from_json(const nlohmann::json& j, const std::string& source = "config.json");
  static PhiConfig from_file(const std::filesystem::path& path);
};

}  // namespace transformers::models::phi
