#pragma once
// Gemma3TextConfig (model_type "gemma3_text"): config.json keys verbatim, Hugging Face v4.51's
// defaults (configuration_gemma3.py).
#include <filesystem>
#include <optional>
#include <vector>

#include "transformers/models/configuration_utils.h"

namespace transformers::models::gemma3 {

struct Gemma3TextConfig : PretrainedConfig {
  int64_t vocab_size = 262208;
  int64_t hidden_size = 2304;
  int64_t intermediate_size = 9216;
  int64_t num_hidden_layers = 26;
  int64_t num_attention_heads = 8;
  int64_t num_key_value_heads = 4;
  int64_t head_dim = 256;
  std::string hidden_activation = "gelu_pytorch_tanh";
  int64_t max_position_embeddings = 131072;
  double initializer_range = 0.02;
  double rms_norm_eps = 1e-6;
  bool attention_bias = false;
  double query_pre_attn_scalar = 256;  // attention scale = query_pre_attn_scalar ** -0.5
  int64_t sliding_window = 4096;
  // Layer i slides unless (i + 1) % sliding_window_pattern == 0 (every 6th layer is global).
  int64_t sliding_window_pattern = 6;
  std::optional<double> final_logit_softcapping;  // null by default
  // Read and kept, but Gemma3Attention never applies it (v4.51 passes no softcap to attention).
  std::optional<double> attn_logit_softcapping;
  std::string cache_implementation = "hybrid";
  double rope_local_base_freq = 10000.0;
  // Global layers: rope_theta (default 1e6) + rope_scaling. Sliding layers: rope_local_base_freq,
  // "default" rope (HF builds rotary_emb_local from a config copy with rope_scaling reset).
  nn::RopeParameters rope, rope_local;
  // Per layer: true when it attends through the sliding window (filled by from_json).
  std::vector<bool> layer_is_sliding;

  // The window of layer `layer_idx`; 0 = global attention.
  int64_t layer_sliding_window(int64_t layer_idx) const {
    return layer_is_sliding.at(size_t(layer_idx)) ? sliding_window : 0;
  }

  static Gemma3TextConfig from_json(const nlohmann::json& j, const std::string& source = "config.json");
  static Gemma3TextConfig from_file(const std::filesystem::path& path);
};

}  // namespace transformers::models::gemma3
