#pragma once
// DistilBertConfig: config.json keys verbatim (dim, n_layers, n_heads, hidden_dim ...), Hugging
// Face's defaults (configuration_distilbert.py).
#include <filesystem>

#include "transformers/models/configuration_utils.h"

namespace transformers::models::distilbert {

struct DistilBertConfig : PretrainedConfig {
  int64_t vocab_size = 30522;
  int64_t max_position_embeddings = 512;
  bool sinusoidal_pos_embds = false;  // only changes initialisation; checkpoints store the table
  int64_t n_layers = 6;
  int64_t n_heads = 12;
  int64_t dim = 768;
  int64_t hidden_dim = 3072;
  double dropout = 0.1;
  double attention_dropout = 0.1;
  std::string activation = "gelu";
  double initializer_range = 0.02;
  double qa_dropout = 0.1;
  double seq_classif_dropout = 0.2;
  int64_t num_labels = 2;  // len(id2label), else "num_labels", else 2

  static DistilBertConfig from_json(const nlohmann::json& j, const std::string& source = "config.json");
  static DistilBertConfig from_file(const std::filesystem::path& path);
};

}  // namespace transformers::models::distilbert
