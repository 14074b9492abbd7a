#pragma once
// pipeline("token-classification") / pipeline("ner"): a label per token, or entities grouped
// from them, with character offsets into the input, as Hugging Face's TokenClassificationPipeline
// (aggregation_strategy none/simple/first/average/max, ignore_labels, stride).
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "transformers/models/modeling_utils.h"
#include "transformers/pipelines/token_strings.h"
#include "transformers/tokenizers/auto_tokenizer.h"

namespace transformers::pipelines {

enum class AggregationStrategy { None, Simple, First, Average, Max };
// "none" | "simple" | "first" | "average" | "max" (any case, as HF's AggregationStrategy[s.upper()]).
AggregationStrategy parse_aggregation_strategy(const std::string& name);

struct TokenClassificationOptions {
  AggregationStrategy aggregation_strategy = AggregationStrategy::None;
  std::optional<std::vector<std::string>> ignore_labels;  // nullopt: {"O"}
  // Long texts split into windows of model_max_length overlapping by `stride` tokens (HF: needs
  // an aggregation strategy other than none); nullopt: truncated to model_max_length.
  std::optional<int64_t> stride;
};

// One result: a token (aggregation none: `entity` is its label, `index` its position) or a word /
// entity group (`entity` is the group's tag, HF's "entity_group"; no index).
struct TokenEntity {
  std::string entity;
  double score;
  std::optional<int64_t> index;
  std::string word;
  int64_t start, end;  // characters of the input
};

// A non-special token before aggregation (HF gather_pre_entities' dicts).
struct PreEntity {
  std::string word;
  std::vector<double> scores;  // softmax over the labels
  int64_t start, end;
  int64_t index;
  bool is_subword;
};

using TokensToString = std::function<std::string(const std::vector<std::string>&)>;

// HF gather_pre_entities for one window: special tokens skipped, is_subword from the continuing
// prefix (len(token) != len(text[start:end])) or, without one, "no space at or just before start";
// unknown tokens become their text and never subwords. `scores` is [tokens][labels].
std::vector<PreEntity> gather_pre_entities(const std::string& sentence, const std::vector<std::string>& tokens,
                                           const std::vector<int32_t>& input_ids,
                                           const std::vector<std::vector<double>>& scores,
                                           const std::vector<std::pair<size_t, size_t>>& offsets,
                                           const std::vector<int32_t>& special_tokens_mask,
                                           std::optional<int32_t> unk_token_id, bool has_subword_prefix);

// HF aggregate + the ignore_labels filter: per-token labels (none), B-/I- grouping (simple), or
// words fused first (first/average/max) and then grouped.
std::vector<TokenEntity> aggregate_entities(const std::vector<PreEntity>& pre_entities, AggregationStrategy strategy,
                                            const std::map<int64_t, std::string>& id2label,
                                            const TokensToString& tokens_to_string,
                                            const std::vector<std::string>& ignore_labels);

// HF aggregate_overlapping_entities: entities of overlapping windows merged by start, the longer
// (then the higher-scoring) one kept.
std::vector<TokenEntity> aggregate_overlapping_entities(std::vector<TokenEntity> entities);

// HF's JSON: a list of objects per input ({entity, score, index, word, start, end}, or
// {entity_group, score, word, start, end} when aggregated).
std::string token_classification_to_json(const std::vector<std::vector<TokenEntity>>& results);

class TokenClassificationPipeline {
 public:
  static std::unique_ptr<TokenClassificationPipeline> from_pretrained(const std::filesystem::path& model_dir,
                                                                      const models::LoadOptions& options = {});
  TokenClassificationPipeline(std::unique_ptr<models::PreTrainedModel> model,
                              std::unique_ptr<tok::PreTrainedTokenizer> tokenizer);

  // One entity list per text; every window of every text runs in one padded batch.
  std::vector<std::vector<TokenEntity>> operator()(const std::vector<std::string>& texts,
                                                   const TokenClassificationOptions& options = {});

  const tok::PreTrainedTokenizer& tokenizer() const { return *tokenizer_; }

 private:
  std::unique_ptr<models::PreTrainedModel> model_;
  std::unique_ptr<tok::PreTrainedTokenizer> tokenizer_;
  TokenStrings strings_;
};

}  // namespace transformers::pipelines
