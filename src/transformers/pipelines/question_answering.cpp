#include "transformers/pipelines/question_answering.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <numeric>

#include <nlohmann/json.hpp>

#include "transformers/core/error.h"
#include "transformers/models/auto/modeling_auto.h"
#include "transformers/pipelines/encoder_inputs.h"
#include "transformers/pipelines/token_strings.h"

namespace transformers::pipelines {

namespace {

// Softmax after masking, as HF: masked positions get logit -10000 (so exp gives exactly 0).
std::vector<double> masked_softmax(const std::vector<double>& logits, const std::vector<bool>& allowed) {
  std::vector<double> x(logits.size());
  for (size_t i = 0; i < x.size(); ++i) x[i] = allowed[i] ? logits[i] : -10000.0;
  return softmax(x);
}

std::string lower_ascii(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::vector<SpanCandidate> select_starts_ends(const std::vector<double>& start_logits,
                                              const std::vector<double>& end_logits,
                                              const std::vector<int32_t>& p_mask,
                                              const std::vector<int32_t>& attention_mask, double& min_null_score,
                                              int64_t top_k, bool handle_impossible_answer, int64_t max_answer_len) {
  const size_t n = start_logits.size();
  TFM_CHECK(end_logits.size() == n && p_mask.size() == n, "[pipeline] question-answering: window sizes differ");
  std::vector<bool> allowed(n);
  for (size_t i = 0; i < n; ++i) allowed[i] = p_mask[i] == 0 && (attention_mask.empty() || attention_mask[i] != 0);
  std::vector<double> start = masked_softmax(start_logits, allowed), end = masked_softmax(end_logits, allowed);
  if (handle_impossible_answer) min_null_score = std::min(min_null_score, start[0] * end[0]);
  start[0] = end[0] = 0.0;  // the CLS position is only ever the null answer

  // Scores of all (s, e) pairs, zero outside s <= e < s + max_answer_len (HF: tril(triu(outer))),
  // ranked best first over the flattened matrix; the top_k are taken before the filter below.
  auto score = [&](size_t s, size_t e) {
    return e >= s && int64_t(e - s) <= max_answer_len - 1 ? start[s] * end[e] : 0.0;
  };
  std::vector<size_t> flat(n * n);
  std::iota(flat.begin(), flat.end(), size_t(0));
  auto better = [&](size_t a, size_t b) {
    const double sa = score(a / n, a % n), sb = score(b / n, b % n);
    return sa != sb ? sa > sb : a < b;
  };
  const size_t k = std::min(flat.size(), size_t(std::max<int64_t>(top_k, 0)));
  std::partial_sort(flat.begin(), flat.begin() + std::ptrdiff_t(k), flat.end(), better);
  std::vector<SpanCandidate> out;
  for (size_t i = 0; i < k; ++i) {
    const size_t s = flat[i] / n, e = flat[i] % n;
    if (allowed[s] && allowed[e]) out.push_back({int64_t(s), int64_t(e), score(s, e)});
  }
  return out;
}

QuestionAnsweringWindow question_answering_window(const tok::Encoding& enc, std::vector<double> start_logits,
                                                  std::vector<double> end_logits, bool question_first,
                                                  std::optional<int32_t> cls_token_id) {
  TFM_CHECK(start_logits.size() == enc.size() && end_logits.size() == enc.size(),
            "[pipeline] question-answering: ", enc.size(), " tokens but ", start_logits.size(), " start and ",
            end_logits.size(), " end logits");
  QuestionAnsweringWindow w;
  w.start_logits = std::move(start_logits);
  w.end_logits = std::move(end_logits);
  const size_t sequence_index = question_first ? 1 : 0;
  for (size_t i = 0; i < enc.size(); ++i) {
    // Only context tokens can be answers; HF masks nothing when the context comes first.
    int32_t masked = question_first ? int32_t(enc.sequence_ids[i] != 1) : 0;
    if (cls_token_id && enc.ids[i] == *cls_token_id) masked = 0;  // kept for models that point at CLS for "no answer"
    w.p_mask.push_back(masked);
    // HF get_indices: word_to_chars(token_to_word(i), sequence_index); a token without a word,
    // or a word the context's input lacks, makes HF fall back to token offsets. With the context
    // first a question token's word number is looked up in the context, as HF does.
    std::optional<uint32_t> word = enc.token_to_word(i);
    w.word_chars.push_back(word ? enc.word_to_chars(*word, sequence_index) : std::nullopt);
  }
  w.attention_mask = enc.attention_mask;
  w.offsets = enc.offsets;
  return w;
}

std::vector<Answer> question_answering_postprocess(const std::vector<QuestionAnsweringWindow>& windows,
                                                   const std::string& context,
                                                   const QuestionAnsweringOptions& options) {
  TFM_CHECK(options.top_k >= 1, "[pipeline] question-answering: top_k parameter should be >= 1 (got ", options.top_k,
            ")");
  TFM_CHECK(options.max_answer_len >= 1, "[pipeline] question-answering: max_answer_len parameter should be >= 1 (got ",
            options.max_answer_len, ")");
  CodePoints text(context);
  double min_null_score = 1000000;  // large and positive, as HF
  // Spans that word alignment maps onto the same text are merged, so take more than top_k.
  const int64_t pre_topk = options.align_to_words ? options.top_k * 2 + 10 : options.top_k;
  std::vector<Answer> answers;
  for (const QuestionAnsweringWindow& w : windows) {
    for (const SpanCandidate& c : select_starts_ends(w.start_logits, w.end_logits, w.p_mask, w.attention_mask,
                                                     min_null_score, pre_topk, options.handle_impossible_answer,
                                                     options.max_answer_len)) {
      const size_t s = size_t(c.start), e = size_t(c.end);
      size_t begin = w.offsets[s].first, finish = w.offsets[e].second;
      const bool words_known = s < w.word_chars.size() && e < w.word_chars.size() && w.word_chars[s] && w.word_chars[e];
      if (options.align_to_words && words_known) {
        begin = w.word_chars[s]->first;
        finish = w.word_chars[e]->second;
      }
      const std::string target = text.slice(begin, finish);
      auto same = std::find_if(answers.begin(), answers.end(),
                               [&](const Answer& a) { return lower_ascii(a.answer) == lower_ascii(target); });
      if (same != answers.end()) same->score += c.score;
      else answers.push_back({c.score, int64_t(begin), int64_t(finish), target});
    }
  }
  if (options.handle_impossible_answer) answers.push_back({min_null_score, 0, 0, ""});
  std::stable_sort(answers.begin(), answers.end(), [](const Answer& a, const Answer& b) { return a.score > b.score; });
  if (answers.size() > size_t(options.top_k)) answers.resize(size_t(options.top_k));
  return answers;
}

std::string question_answering_to_json(const std::vector<std::vector<Answer>>& results) {
  auto one = [](const std::vector<Answer>& answers) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const Answer& a : answers)
      list.push_back({{"score", a.score}, {"start", a.start}, {"end", a.end}, {"answer", a.answer}});
    return list.size() == 1 ? list[0] : list;
  };
  nlohmann::ordered_json out;
  if (results.size() == 1) {
    out = one(results[0]);
  } else {
    out = nlohmann::ordered_json::array();
    for (const auto& r : results) out.push_back(one(r));
  }
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::unique_ptr<QuestionAnsweringPipeline> QuestionAnsweringPipeline::from_pretrained(
    const std::filesystem::path& model_dir, const models::LoadOptions& options) {
  return std::make_unique<QuestionAnsweringPipeline>(
      models::AutoModel::from_pretrained(model_dir, options),
      std::make_unique<tok::PreTrainedTokenizer>(tok::AutoTokenizer::from_pretrained(model_dir)));
}

QuestionAnsweringPipeline::QuestionAnsweringPipeline(std::unique_ptr<models::PreTrainedModel> model,
                                                     std::unique_ptr<tok::PreTrainedTokenizer> tokenizer)
    : model_(std::move(model)), tokenizer_(std::move(tokenizer)) {}

std::vector<std::vector<Answer>> QuestionAnsweringPipeline::operator()(
    const std::vector<QuestionAnsweringInput>& inputs, const QuestionAnsweringOptions& options) {
  if (inputs.empty()) return {};
  for (const QuestionAnsweringInput& in : inputs) {
    TFM_CHECK(!in.question.empty(), "[pipeline] question-answering: `question` cannot be empty");
    TFM_CHECK(!in.context.empty(), "[pipeline] question-answering: `context` cannot be empty");
  }
  const int64_t max_seq_len = options.max_seq_len.value_or(
      std::min<int64_t>(int64_t(std::min<size_t>(tokenizer_->model_max_length, 1 << 30)), 384));
  const int64_t doc_stride = options.doc_stride.value_or(std::min<int64_t>(max_seq_len / 2, 128));
  TFM_CHECK(doc_stride <= max_seq_len, "[pipeline] question-answering: `doc_stride` (", doc_stride,
            ") is larger than `max_seq_len` (", max_seq_len, ")");
  // The question goes first unless the tokenizer pads on the left (HF's question_first).
  const bool question_first = tokenizer_->padding_side == "right";
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const QuestionAnsweringInput& in : inputs)
    pairs.emplace_back(question_first ? in.question : in.context, question_first ? in.context : in.question);
  tok::EncodeOptions e;
  e.truncation = true;
  e.truncation_strategy = question_first ? tok::TruncationParams::Strategy::OnlySecond
                                         : tok::TruncationParams::Strategy::OnlyFirst;
  e.max_length = size_t(max_seq_len);
  e.stride = size_t(doc_stride);
  e.return_overflowing_tokens = true;
  tok::BatchEncoding batch = tokenizer_->encode_batch(pairs, e);
  std::vector<size_t> sample;
  std::vector<const tok::Encoding*> rows = flatten_windows(batch.encodings, true, &sample);

  models::NamedTensors model_inputs =
      to_model_inputs(rows, model_input_names(*tokenizer_), tokenizer_->pad_token_id().value_or(0));
  // One forward for both outputs.
  const std::vector<Tensor> logits =
      forward_outputs(*model_, model_inputs, {"start_logits", "end_logits"}, "question-answering");
  const Tensor& start_logits = logits[0];
  const Tensor& end_logits = logits[1];
  const int64_t seq = start_logits.size(1);
  const float* starts = start_logits.data<float>();
  const float* ends = end_logits.data<float>();
  const std::optional<int32_t> cls_id = tokenizer_->cls_token_id();

  std::vector<std::vector<QuestionAnsweringWindow>> windows(inputs.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    const tok::Encoding& enc = *rows[r];
    const float* s = starts + int64_t(r) * seq;
    const float* en = ends + int64_t(r) * seq;
    QuestionAnsweringWindow w = question_answering_window(enc, std::vector<double>(s, s + enc.size()),
                                                          std::vector<double>(en, en + enc.size()), question_first,
                                                          cls_id);
    windows[sample[r]].push_back(std::move(w));
  }
  std::vector<std::vector<Answer>> results;
  for (size_t i = 0; i < inputs.size(); ++i)
    results.push_back(question_answering_postprocess(windows[i], inputs[i].context, options));
  return results;
}

}  // namespace transformers::pipelines
