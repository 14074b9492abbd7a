#pragma once
// Olmo2Config: config.json keys verbatim, Hugging Face v4.51's defaults (configuration_olmo2.py:
// OlmoConfig's fields less clip_qkv, plus rms_norm_eps).
#include <filesystem>

#include "transformers/models/configuration_utils.h"

namespace transformers::models::olmo2 {

struct Olmo2Config : PretrainedConfig {
  int64_t vocab_size = 50304;
  int64_t hidden_size = 4096;
  int64_t intermediate_size = 11008;
  int64_t num_hidden_layers = 32;
  int64_t num_attention_heads = 32;
  int64_t num_key_value_heads = 32;  // null -> num_attention_heads
  int64_t head_dim = 128;            // absent -> hidden_size / num_attention_heads
  std::string hidden_act = "silu";
  int64_t max_position_embeddings = 2048;
  double initializer_range = 0.02;
  bool attention_bias = false;
  double rms_norm_eps = 1e-5;
  nn::RopeParameters rope;  // rope_theta + rope_scaling, resolved

  static Olmo2Config from_json(const nlohmann::json& j, const std::string& source = "config.json");
  static Olmo2Config from_file(const std::filesystem::path& path);
};

}  // namespace transformers::models::olmo2
