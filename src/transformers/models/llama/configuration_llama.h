#pragma once
// LlamaConfig: config.json keys verbatim, Hugging Face's defaults (configuration_llama.py).
#include <filesystem>

#include "transformers/models/configuration_utils.h"

namespace transformers::models::llama {

struct LlamaConfig : PretrainedConfig {
  int64_t vocab_size = 32000;
  int64_t hidden_size = 4096;
  int64_t intermediate_size = 11008;
  int64_t num_hidden_layers = 32;
  int64_t num_attention_heads = 32;
  int64_t num_key_value_heads = 32;  // null -> num_attention_heads
  int64_t head_dim = 128;            // null -> hidden_size / num_attention_heads
  std::string hidden_act = "silu";
  int64_t max_position_embeddings = 2048;
  double initializer_range = 0.02;
  double rms_norm_eps = 1e-6;
  bool attention_bias = false;
  bool mlp_bias = false;
  nn::RopeParameters rope;  // rope_theta + rope_scaling, resolved

  static LlamaConfig from_json(const nlohmann::json& j, const std::string& source = "config.json");
  static LlamaConfig from_file(const std::filesystem::path& path);
};

}  // namespace transformers::models::llama
