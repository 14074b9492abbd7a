#pragma once
// ElectraConfig: config.json keys verbatim, Hugging Face's defaults (configuration_electra.py;
// the defaults describe google/electra-small-discriminator).
#include <filesystem>
#include <optional>

#include "transformers/models/configuration_utils.h"

namespace transformers::models::electra {

struct ElectraConfig : PretrainedConfig {
  int64_t vocab_size = 30522;
  int64_t embedding_size = 128;  // width of the embeddings; projected to hidden_size when different
  int64_t hidden_size = 256;
  int64_t num_hidden_layers = 12;
  int64_t num_attention_heads = 4;
  int64_t intermediate_size = 1024;
  std::string hidden_act = "gelu";
  double hidden_dropout_prob = 0.1;
  double attention_probs_dropout_prob = 0.1;
  int64_t max_position_embeddings = 512;
  int64_t type_vocab_size = 2;
  double initializer_range = 0.02;
  double layer_norm_eps = 1e-12;
  // ElectraForMultipleChoice's SequenceSummary (that head is not implemented here); kept so the
  // config reads as HF's.
  std::string summary_type = "first";
  bool summary_use_proj = true;
  std::string summary_activation = "gelu";
  double summary_last_dropout = 0.1;
  std::string position_embedding_type = "absolute";
  std::optional<double> classifier_dropout;  // null -> hidden_dropout_prob
  int64_t num_labels = 2;                    // len(id2label), else "num_labels", else 2

  static ElectraConfig from_json(const nlohmann::json& j, const std::string& source = "config.json");
  static ElectraConfig from_file(const std::filesystem::path& path);
};

}  // namespace transformers::models::electra
