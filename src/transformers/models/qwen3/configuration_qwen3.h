#pragma once
// Qwen3Config: config.json keys verbatim, Hugging Face's defaults (configuration_qwen3.py).
#include <filesystem>
#include <optional>

#include "transformers/models/configuration_utils.h"

namespace transformers::models::qwen3 {

struct Qwen3Config : PretrainedConfig {
  int64_t vocab_size = 151936;
  int64_t hidden_size = 4096;
  int64_t intermediate_size = 22016;
  int64_t num_hidden_layers = 32;
  int64_t num_attention_heads = 32;
  int64_t num_key_value_heads = 32;  // null -> num_attention_heads
  int64_t head_dim = 128;            // null -> hidden_size / num_attention_heads
  std::string hidden_act = "silu";
  int64_t max_position_embeddings = 32768;
  double initializer_range = 0.02;
  double rms_norm_eps = 1e-6;
  bool attention_bias = false;
  bool use_sliding_window = false;
  std::optional<int64_t> sliding_window = 4096;
  int64_t max_window_layers = 28;  // layers at index >= this use the window (when enabled)
  nn::RopeParameters rope;         // rope_theta + rope_scaling, resolved

  // The window of layer `layer_idx` (0 = full attention).
  int64_t layer_sliding_window(int64_t layer_idx) const;

  static Qwen3Config from_json(const nlohmann::json& j, const std::string& source = "config.json");
  static Qwen3Config from_file(const std::filesystem::path& path);
};

}  // namespace transformers::models::qwen3
