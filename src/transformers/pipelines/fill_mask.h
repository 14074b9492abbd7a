#pragma once
// pipeline("fill-mask"): texts with the tokenizer's mask token in, the most likely fillers out,
// as Hugging Face's FillMaskPipeline (top_k, targets).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "transformers/models/modeling_utils.h"
#include "transformers/tokenizers/auto_tokenizer.h"

namespace transformers::pipelines {

struct FillMaskOptions {
  int64_t top_k = 5;                 // capped at the number of targets when targets are given
  std::vector<std::string> targets;  // restrict the candidates to these tokens (empty: whole vocabulary)
};

struct FillMaskPrediction {
  double score;
  int64_t token;
  std::string token_str;
  std::string sequence;  // the input with the mask filled (special tokens skipped for one mask)
};

// Per input, per mask token (in order): the predictions, best first.
using FillMaskResult = std::vector<std::vector<FillMaskPrediction>>;

// Softmax over the whole vocabulary, then the top_k of `target_ids` (all ids when empty):
// (token id, probability) pairs, best first.
std::vector<std::pair<int64_t, double>> fill_mask_candidates(const std::vector<double>& logits,
                                                             const std::vector<int64_t>& target_ids, int64_t top_k);

// HF's JSON: for an input with one mask, the list of predictions; with several, one list per mask.
std::string fill_mask_to_json(const std::vector<FillMaskResult>& results);

class FillMaskPipeline {
 public:
  static std::unique_ptr<FillMaskPipeline> from_pretrained(const std::filesystem::path& model_dir,
                                                           const models::LoadOptions& options = {});
  FillMaskPipeline(std::unique_ptr<models::PreTrainedModel> model, std::unique_ptr<tok::PreTrainedTokenizer> tokenizer);

  std::vector<FillMaskResult> operator()(const std::vector<std::string>& texts, const FillMaskOptions& options = {});

  // HF's get_target_ids: a target that is not a vocabulary entry counts as its first token.
  std::vector<int64_t> target_ids(const std::vector<std::string>& targets) const;

 private:
  std::unique_ptr<models::PreTrainedModel> model_;
  std::unique_ptr<tok::PreTrainedTokenizer> tokenizer_;
};

}  // namespace transformers::pipelines
