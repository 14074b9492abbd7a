#pragma once
// RobertaConfig: config.json keys verbatim, Hugging Face's defaults (configuration_roberta.py).
// Also serves xlm-roberta, whose config and modeling are RoBERTa's under other names.
#include <filesystem>
#include <optional>

#include "transformers/models/configuration_utils.h"

namespace transformers::models::roberta {

struct RobertaConfig : PretrainedConfig {
  int64_t vocab_size = 50265;
  int64_t hidden_size = 768;
  int64_t num_hidden_layers = 12;
  int64_t num_attention_heads = 12;
  int64_t intermediate_size = 3072;
  std::string hidden_act = "gelu";
  double hidden_dropout_prob = 0.1;
  double attention_probs_dropout_prob = 0.1;
  int64_t max_position_embeddings = 512;
  int64_t type_vocab_size = 2;
  double initializer_range = 0.02;
  double layer_norm_eps = 1e-12;
  std::string position_embedding_type = "absolute";
  std::optional<double> classifier_dropout;  // null -> hidden_dropout_prob
  int64_t num_labels = 2;                    // len(id2label), else "num_labels", else 2

  static RobertaConfig from_json(const nlohmann::json& j, const std::string& source = "config.json");
  static RobertaConfig from_file(const std::filesystem::path& path);
};

}  // namespace transformers::models::roberta
