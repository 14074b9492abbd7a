#pragma once
// MistralConfig: config.json keys verbatim, Hugging Face's defaults (configuration_mistral.py).
#include <filesystem>
#include <optional>

#include "transformers/models/configuration_utils.h"

namespace transformers::models::mistral {

struct MistralConfig : PretrainedConfig {
  int64_t vocab_size = 32000;
  int64_t hidden_size = 4096;
  int64_t intermediate_size = 14336;
  int64_t num_hidden_layers = 32;
  int64_t num_attention_heads = 32;
  int64_t num_key_value_heads = 8;
  int64_t head_dim = 128;  // null -> hidden_size / num_attention_heads
  std::string hidden_act = "silu";
  int64_t max_position_embeddings = 4096 * 32;
  double initializer_range = 0.02;
  double rms_norm_eps = 1e-6;
  std::optional<int64_t> sliding_window = 4096;  // null: full attention
  nn::RopeParameters rope;  // rope_theta (+ rope_scaling when present), resolved

  static MistralConfig from_json(const nlohmann::json& j, const std::string& source = "config.json");
  static MistralConfig from_file(const std::filesystem::path& path);
};

}  // namespace transformers::models::mistral
