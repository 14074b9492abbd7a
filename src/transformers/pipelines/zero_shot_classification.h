#pragma once
// pipeline("zero-shot-classification"): an NLI model scores "premise = text, hypothesis =
// template filled with each candidate label", as Hugging Face's ZeroShotClassificationPipeline.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "transformers/models/modeling_utils.h"
#include "transformers/tokenizers/auto_tokenizer.h"

namespace transformers::pipelines {

struct ZeroShotClassificationOptions {
  std::vector<std::string> candidate_labels;
  std::string hypothesis_template = "This example is {}.";
  // false: softmax of the entailment logits across labels (scores sum to 1); true: each label on
  // its own, softmax over (contradiction, entailment). One label is always scored on its own.
  bool multi_label = false;
};

struct ZeroShotResult {
  std::string sequence;
  std::vector<std::string> labels;  // best first
  std::vector<double> scores;
};

// HF's entailment_id: the first label2id entry whose lower-cased name starts with "entail", else -1
// (then the last logit is used, as HF's logits[..., -1]).
int64_t entailment_id(const std::map<std::string, int64_t>& label2id);

// "a, b,,c" -> {"a", "b", "c"} (HF _parse_labels for a string).
std::vector<std::string> parse_candidate_labels(const std::string& labels);

// Python's template.format(label) for templates with "{}" / "{0}" fields and "{{" "}}" escapes.
std::string format_hypothesis(const std::string& hypothesis_template, const std::string& label);

// One sequence's NLI logits ([labels][classes], in candidate order) -> the result, as HF's postprocess.
ZeroShotResult zero_shot_postprocess(const std::string& sequence, const std::vector<std::string>& candidate_labels,
                                     const std::vector<std::vector<double>>& logits, int64_t entailment_id,
                                     bool multi_label);

// HF's JSON: one object for one sequence, else a list.
std::string zero_shot_to_json(const std::vector<ZeroShotResult>& results);

class ZeroShotClassificationPipeline {
 public:
  static std::unique_ptr<ZeroShotClassificationPipeline> from_pretrained(const std::filesystem::path& model_dir,
                                                                         const models::LoadOptions& options = {});
  ZeroShotClassificationPipeline(std::unique_ptr<models::PreTrainedModel> model,
                                 std::unique_ptr<tok::PreTrainedTokenizer> tokenizer);

  // All (sequence, hypothesis) pairs run as one padded batch.
  std::vector<ZeroShotResult> operator()(const std::vector<std::string>& sequences,
                                         const ZeroShotClassificationOptions& options);

 private:
  std::unique_ptr<models::PreTrainedModel> model_;
  std::unique_ptr<tok::PreTrainedTokenizer> tokenizer_;
};

}  // namespace transformers::pipelines
