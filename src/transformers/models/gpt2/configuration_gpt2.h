#pragma once
// GPT2Config: config.json keys verbatim (n_embd, n_head, n_layer, n_positions ...), Hugging Face's
// defaults (configuration_gpt2.py).
#include <filesystem>
#include <optional>

#include "transformers/models/configuration_utils.h"

namespace transformers::models::gpt2 {

struct GPT2Config : PretrainedConfig {
  int64_t vocab_size = 50257;
  int64_t n_positions = 1024;  // max_position_embeddings
  int64_t n_embd = 768;        // hidden_size
  int64_t n_layer = 12;        // num_hidden_layers
  int64_t n_head = 12;         // num_attention_heads
  std::optional<int64_t> n_inner;  // null -> 4 * n_embd
  std::string activation_function = "gelu_new";
  double layer_norm_epsilon = 1e-5;
  double initializer_range = 0.02;
  bool scale_attn_weights = true;
  bool scale_attn_by_inverse_layer_idx = false;
  bool reorder_and_upcast_attn = false;  // changes only the precision of fp16 attention scores

  static GPT2Config from_json(const nlohmann::json& j, const std::string& source = "config.json");
  static GPT2Config from_file(const std::filesystem::path& path);
};

}  // namespace transformers::models::gpt2
