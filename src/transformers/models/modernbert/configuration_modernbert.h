#pragma once
// ModernBertConfig: config.json keys verbatim, Hugging Face's defaults (configuration_modernbert.py).
#include <filesystem>
#include <optional>

#include "transformers/models/configuration_utils.h"

namespace transformers::models::modernbert {

struct ModernBertConfig : PretrainedConfig {
  int64_t vocab_size = 50368;
  int64_t hidden_size = 768;
  int64_t intermediate_size = 1152;
  int64_t num_hidden_layers = 22;
  int64_t num_attention_heads = 12;
  std::string hidden_activation = "gelu";
  int64_t max_position_embeddings = 8192;
  double initializer_range = 0.02;
  double initializer_cutoff_factor = 2.0;
  double norm_eps = 1e-5;
  bool norm_bias = false;
  std::optional<int64_t> cls_token_id = 50281, sep_token_id = 50282;
  double global_rope_theta = 160000.0;
  bool attention_bias = false;
  double attention_dropout = 0.0;
  int64_t global_attn_every_n_layers = 3;  // layer i is global when i % this == 0
  int64_t local_attention = 128;           // window width: a local query sees keys within local_attention / 2
  std::optional<double> local_rope_theta = 10000.0;  // null -> global_rope_theta
  double embedding_dropout = 0.0;
  bool mlp_bias = false;
  double mlp_dropout = 0.0;
  bool decoder_bias = true;
  std::string classifier_pooling = "cls";  // "cls" | "mean"
  double classifier_dropout = 0.0;
  bool classifier_bias = false;
  std::string classifier_activation = "gelu";
  bool sparse_prediction = false;
  int64_t sparse_pred_ignore_index = -100;
  int64_t num_labels = 2;  // len(id2label), else "num_labels", else 2

  static ModernBertConfig from_json(const nlohmann::json& j, const std::string& source = "config.json");
  static ModernBertConfig from_file(const std::filesystem::path& path);
};

}  // namespace transformers::models::modernbert
