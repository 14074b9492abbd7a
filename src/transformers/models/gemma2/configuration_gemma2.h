#pragma once
// Gemma2Config: config.json keys verbatim, Hugging Face's defaults (configuration_gemma2.py).
#include <filesystem>
#include <optional>

#include "transformers/models/configuration_utils.h"

namespace transformers::models::gemma2 {

struct Gemma2Config : PretrainedConfig {
  int64_t vocab_size = 256000;
  int64_t hidden_size = 2304;
  int64_t intermediate_size = 9216;
  int64_t num_hidden_layers = 26;
  int64_t num_attention_heads = 8;
  int64_t num_key_value_heads = 4;
  int64_t head_dim = 256;
  std::string hidden_activation = "gelu_pytorch_tanh";
  int64_t max_position_embeddings = 8192;
  double initializer_range = 0.02;
  double rms_norm_eps = 1e-6;
  bool attention_bias = false;
  double query_pre_attn_scalar = 256;  // attention scale = query_pre_attn_scalar ** -0.5
  std::optional<int64_t> sliding_window = 4096;  // even layers; null: every layer global
  std::optional<double> final_logit_softcapping = 30.0;
  std::optional<double> attn_logit_softcapping = 50.0;
  std::string cache_implementation = "hybrid";

  // Layers 0, 2, 4 ... attend locally (sliding_window), odd layers globally; 0 = full attention.
  int64_t layer_sliding_window(int64_t layer_idx) const;
  nn::RopeParameters rope;  // rope_theta (+ rope_scaling when present), resolved

  static Gemma2Config from_json(const nlohmann::json& j, const std::string& source = "config.json");
  static Gemma2Config from_file(const std::filesystem::path& path);
};

}  // namespace transformers::models::gemma2
