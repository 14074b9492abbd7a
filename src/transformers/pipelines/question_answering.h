#pragma once
// pipeline("question-answering"): extractive QA as Hugging Face's QuestionAnsweringPipeline.
// question + context -> windows of max_seq_len tokens overlapping by doc_stride -> start/end
// logits -> the best spans (max_answer_len, top_k, handle_impossible_answer) mapped back to
// characters of the context (aligned to words).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "transformers/models/modeling_utils.h"
#include "transformers/tokenizers/auto_tokenizer.h"

namespace transformers::pipelines {

struct QuestionAnsweringOptions {
  int64_t top_k = 1;
  std::optional<int64_t> doc_stride{};   // default min(max_seq_len / 2, 128)
  int64_t max_answer_len = 15;           // in tokens
  std::optional<int64_t> max_seq_len{};  // default min(model_max_length, 384)
  bool handle_impossible_answer = false;
  bool align_to_words = true;
};

struct QuestionAnsweringInput {
  std::string question;
  std::string context;
};

struct Answer {
  double score;
  int64_t start, end;  // characters of the context
  std::string answer;
};

// A candidate span of one window: token positions and its probability start_p * end_p.
struct SpanCandidate {
  int64_t start, end;
  double score;
};

// HF select_starts_ends + decode_spans for one window. Positions with p_mask 1 or attention 0 get
// logit -10000 before each softmax; `min_null_score` takes start_p[0] * end_p[0] when
// handle_impossible_answer; position 0 is then excluded; the `top_k` best spans with
// start <= end < start + max_answer_len, both ends allowed, best first.
std::vector<SpanCandidate> select_starts_ends(const std::vector<double>& start_logits,
                                              const std::vector<double>& end_logits,
                                              const std::vector<int32_t>& p_mask,
                                              const std::vector<int32_t>& attention_mask, double& min_null_score,
                                              int64_t top_k, bool handle_impossible_answer, int64_t max_answer_len);

// One window as the post-processing sees it.
struct QuestionAnsweringWindow {
  std::vector<double> start_logits, end_logits;  // per token of the window
  std::vector<int32_t> p_mask;                   // 1: cannot be in the answer
  std::vector<int32_t> attention_mask;
  std::vector<std::pair<size_t, size_t>> offsets;  // characters of the context per token
  // Per token, the characters of its word (word alignment); nullopt where HF's get_indices falls
  // back to the token's own offsets (no word, or no such word in the context's input).
  std::vector<std::optional<std::pair<size_t, size_t>>> word_chars;
};

// One window from its encoding and the model's logits for its tokens, as HF's preprocess and
// postprocess see it: p_mask 1 on tokens outside the context when the question comes first (HF
// masks nothing when the context comes first), except the CLS token; word_chars[i] =
// enc.word_to_chars(enc.token_to_word(i), sequence_index), sequence_index being the context's
// input (1 when the question comes first, else 0).
QuestionAnsweringWindow question_answering_window(const tok::Encoding& enc, std::vector<double> start_logits,
                                                  std::vector<double> end_logits, bool question_first,
                                                  std::optional<int32_t> cls_token_id);

// HF postprocess over all windows of one example: top_k * 2 + 10 spans per window when aligning
// to words, spans mapped to characters, answers with the same text (case-insensitive) summed,
// the null answer added when handle_impossible_answer, best top_k kept.
std::vector<Answer> question_answering_postprocess(const std::vector<QuestionAnsweringWindow>& windows,
                                                   const std::string& context,
                                                   const QuestionAnsweringOptions& options);

// HF's JSON: one answer is an object, several a list; a list of those for several inputs.
std::string question_answering_to_json(const std::vector<std::vector<Answer>>& results);

class QuestionAnsweringPipeline {
 public:
  static std::unique_ptr<QuestionAnsweringPipeline> from_pretrained(const std::filesystem::path& model_dir,
                                                                    const models::LoadOptions& options = {});
  QuestionAnsweringPipeline(std::unique_ptr<models::PreTrainedModel> model,
                            std::unique_ptr<tok::PreTrainedTokenizer> tokenizer);

  // Per input, its answers (best first); every window of every input runs in one padded batch.
  std::vector<std::vector<Answer>> operator()(const std::vector<QuestionAnsweringInput>& inputs,
                                              const QuestionAnsweringOptions& options = {});

 private:
  std::unique_ptr<models::PreTrainedModel> model_;
  std::unique_ptr<tok::PreTrainedTokenizer> tokenizer_;
};

}  // namespace transformers::pipelines
