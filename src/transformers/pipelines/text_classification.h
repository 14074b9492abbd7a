#pragma once
// pipeline("text-classification") / pipeline("sentiment-analysis"): texts or text pairs in,
// labels with scores out, as Hugging Face's TextClassificationPipeline.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "transformers/models/modeling_utils.h"
#include "transformers/tokenizers/auto_tokenizer.h"

namespace transformers::pipelines {

struct TextClassificationOptions {
  // nullopt: HF's default, the best label only; 0: every label, best first (HF top_k=None);
  // k > 0: the k best labels.
  std::optional<int64_t> top_k;
  // "softmax" | "sigmoid" | "none"; nullopt: from the config (regression -> none, multi-label or
  // one label -> sigmoid, otherwise softmax).
  std::optional<std::string> function_to_apply;
  bool truncation = false;  // HF does not truncate unless asked; the model rejects what is too long
};

struct LabelScore {
  std::string label;
  double score;
};

// HF's choice of function_to_apply for a config with `num_labels` outputs.
std::string default_function_to_apply(const models::PretrainedConfig& config, int64_t num_labels);

// One row of logits -> labels with scores, as HF's postprocess (id2label, or "LABEL_i" when absent).
std::vector<LabelScore> classification_postprocess(const std::vector<double>& logits,
                                                   const std::map<int64_t, std::string>& id2label,
                                                   const std::string& function_to_apply, std::optional<int64_t> top_k);

// HF's JSON: one object per input for the default top_k, else a list of objects per input.
std::string classification_to_json(const std::vector<std::vector<LabelScore>>& results, std::optional<int64_t> top_k);

class TextClassificationPipeline {
 public:
  // A model folder with a sequence-classification architecture and tokenizer files.
  static std::unique_ptr<TextClassificationPipeline> from_pretrained(const std::filesystem::path& model_dir,
                                                                     const models::LoadOptions& options = {});
  TextClassificationPipeline(std::unique_ptr<models::PreTrainedModel> model,
                             std::unique_ptr<tok::PreTrainedTokenizer> tokenizer);

  // One result list per text; the batch is padded to its longest row only.
  std::vector<std::vector<LabelScore>> operator()(const std::vector<std::string>& texts,
                                                  const TextClassificationOptions& options = {});
  std::vector<std::vector<LabelScore>> operator()(const std::vector<std::pair<std::string, std::string>>& pairs,
                                                  const TextClassificationOptions& options = {});

 private:
  std::vector<std::vector<LabelScore>> run(const tok::BatchEncoding& batch, const TextClassificationOptions& options);

  std::unique_ptr<models::PreTrainedModel> model_;
  std::unique_ptr<tok::PreTrainedTokenizer> tokenizer_;
};

}  // namespace transformers::pipelines
