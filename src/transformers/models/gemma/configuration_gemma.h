#pragma once
// GemmaConfig: config.json keys verbatim, Hugging Face's defaults (configuration_gemma.py).
#include <filesystem>

#include "transformers/models/configuration_utils.h"

namespace transformers::models::gemma {

struct GemmaConfig : PretrainedConfig {
  int64_t vocab_size = 256000;
  int64_t hidden_size = 3072;
  int64_t intermediate_size = 24576;
  int64_t num_hidden_layers = 28;
  int64_t num_attention_heads = 16;
  int64_t num_key_value_heads = 16;
  int64_t head_dim = 256;
  std::string hidden_act = "gelu_pytorch_tanh";
  std::string hidden_activation;  // "" when null; see GemmaMLP
  int64_t max_position_embeddings = 8192;
  double initializer_range = 0.02;
  double rms_norm_eps = 1e-6;
  bool attention_bias = false;
  nn::RopeParameters rope;  // rope_theta (+ rope_scaling when present), resolved

  static GemmaConfig from_json(const nlohmann::json& j, const std::string& source = "config.json");
  static GemmaConfig from_file(const std::filesystem::path& path);
};

}  // namespace transformers::models::gemma
