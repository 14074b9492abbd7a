#pragma once
// GPTNeoXConfig: config.json keys verbatim, Hugging Face's defaults (configuration_gpt_neox.py).
#include <filesystem>

#include "transformers/models/configuration_utils.h"

namespace transformers::models::gpt_neox {

struct GPTNeoXConfig : PretrainedConfig {
  int64_t vocab_size = 50432;
  int64_t hidden_size = 6144;
  int64_t num_hidden_layers = 44;
  int64_t num_attention_heads = 64;
  int64_t intermediate_size = 24576;
  std::string hidden_act = "gelu";
  // rotary_pct and rotary_emb_base are the model's own names; HF copies them over
  // partial_rotary_factor and rope_theta, so those two keys of config.json have no effect.
  double rotary_pct = 0.25;
  double rotary_emb_base = 10000;
  int64_t max_position_embeddings = 2048;
  double initializer_range = 0.02;
  double layer_norm_eps = 1e-5;
  bool use_parallel_residual = true;
  bool attention_bias = true;
  int64_t head_size = 96;  // hidden_size / num_attention_heads
  nn::RopeParameters rope;  // rotary_emb_base + rope_scaling over int(head_size * rotary_pct) dims

  static GPTNeoXConfig from_json(const nlohmann::json& j, const std::string& source = "config.json");
  static GPTNeoXConfig from_file(const std::filesystem::path& path);
};

}  // namespace transformers::models::gpt_neox
