#include "transformers/pipelines/zero_shot_classification.h"

#include <algorithm>
#include <cctype>
#include <numeric>

#include <nlohmann/json.hpp>

#include "transformers/core/error.h"
#include "transformers/models/auto/modeling_auto.h"
#include "transformers/pipelines/encoder_inputs.h"

namespace transformers::pipelines {

int64_t entailment_id(const std::map<std::string, int64_t>& label2id) {
  for (const auto& [label, id] : label2id) {
    std::string lower = label;
    for (char& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
    if (lower.rfind("entail", 0) == 0) return id;
  }
  return -1;
}

std::vector<std::string> parse_candidate_labels(const std::string& labels) {
  std::vector<std::string> out;
  size_t begin = 0;
  while (begin <= labels.size()) {
    size_t comma = labels.find(',', begin);
    if (comma == std::string::npos) comma = labels.size();
    std::string piece = labels.substr(begin, comma - begin);
    const size_t a = piece.find_first_not_of(" \t\n\r\f\v");
    if (a != std::string::npos) out.push_back(piece.substr(a, piece.find_last_not_of(" \t\n\r\f\v") - a + 1));
    begin = comma + 1;
  }
  return out;
}

std::string format_hypothesis(const std::string& t, const std::string& label) {
  std::string out;
  int auto_fields = 0;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '{' && i + 1 < t.size() && t[i + 1] == '{') {
      out += '{';
      ++i;
    } else if (t[i] == '}' && i + 1 < t.size() && t[i + 1] == '}') {
      out += '}';
      ++i;
    } else if (t[i] == '{') {
      const size_t close = t.find('}', i);
      TFM_CHECK(close != std::string::npos, "[pipeline] zero-shot-classification: hypothesis_template '", t,
                "' has an unclosed '{'");
      const std::string field = t.substr(i + 1, close - i - 1);
      // One positional argument: "{}" once, or "{0}" any number of times (Python's str.format).
      TFM_CHECK(field == "0" || (field.empty() && ++auto_fields == 1), "[pipeline] zero-shot-classification: "
                "hypothesis_template '", t, "' must have one {} (or {0}) field for the label");
      out += label;
      i = close;
    } else {
      TFM_CHECK(t[i] != '}', "[pipeline] zero-shot-classification: hypothesis_template '", t,
                "' has a single '}'");
      out += t[i];
    }
  }
  return out;
}

ZeroShotResult zero_shot_postprocess(const std::string& sequence, const std::vector<std::string>& candidate_labels,
                                     const std::vector<std::vector<double>>& logits, int64_t entail,
                                     bool multi_label) {
  const size_t n = candidate_labels.size();
  TFM_CHECK(logits.size() == n && n > 0, "[pipeline] zero-shot-classification: one logits row per label");
  const int64_t classes = int64_t(logits[0].size());
  // HF indexes with -1 when no label is called entailment: numpy's last column.
  auto column = [&](int64_t id) { return size_t(id < 0 ? classes + id : id); };
  std::vector<double> scores(n);
  if (multi_label || n == 1) {
    const int64_t contradiction = entail == 0 ? -1 : 0;
    for (size_t i = 0; i < n; ++i)
      scores[i] = softmax({logits[i][column(contradiction)], logits[i][column(entail)]})[1];
  } else {
    std::vector<double> entail_logits(n);
    for (size_t i = 0; i < n; ++i) entail_logits[i] = logits[i][column(entail)];
    scores = softmax(entail_logits);
  }
  // reversed(argsort(scores)): best first, equal scores in reverse label order.
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t(0));
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  std::reverse(order.begin(), order.end());
  ZeroShotResult r{sequence, {}, {}};
  for (size_t i : order) {
    r.labels.push_back(candidate_labels[i]);
    r.scores.push_back(scores[i]);
  }
  return r;
}

std::string zero_shot_to_json(const std::vector<ZeroShotResult>& results) {
  auto one = [](const ZeroShotResult& r) {
    return nlohmann::ordered_json{{"sequence", r.sequence}, {"labels", r.labels}, {"scores", r.scores}};
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

std::unique_ptr<ZeroShotClassificationPipeline> ZeroShotClassificationPipeline::from_pretrained(
    const std::filesystem::path& model_dir, const models::LoadOptions& options) {
  return std::make_unique<ZeroShotClassificationPipeline>(
      models::AutoModel::from_pretrained(model_dir, options),
      std::make_unique<tok::PreTrainedTokenizer>(tok::AutoTokenizer::from_pretrained(model_dir)));
}

ZeroShotClassificationPipeline::ZeroShotClassificationPipeline(std::unique_ptr<models::PreTrainedModel> model,
                                                               std::unique_ptr<tok::PreTrainedTokenizer> tokenizer)
    : model_(std::move(model)), tokenizer_(std::move(tokenizer)) {
  // HF falls back to the eos token when the tokenizer has no pad token.
  if (!tokenizer_->pad_token) tokenizer_->pad_token = tokenizer_->eos_token;
}

std::vector<ZeroShotResult> ZeroShotClassificationPipeline::operator()(const std::vector<std::string>& sequences,
                                                                       const ZeroShotClassificationOptions& options) {
  const std::vector<std::string>& labels = options.candidate_labels;
  TFM_CHECK(!labels.empty() && !sequences.empty(),
            "[pipeline] zero-shot-classification: you must include at least one label and at least one sequence");
  TFM_CHECK(format_hypothesis(options.hypothesis_template, labels[0]) != options.hypothesis_template,
            "[pipeline] zero-shot-classification: the provided hypothesis_template \"", options.hypothesis_template,
            "\" was not able to be formatted with the target labels; make sure it includes formatting syntax such "
            "as {} where the label should go");
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const std::string& s : sequences)
    for (const std::string& l : labels) pairs.emplace_back(s, format_hypothesis(options.hypothesis_template, l));
  tok::EncodeOptions e;
  e.truncation = true;  // only_first: the premise gives way, the hypothesis stays whole
  e.truncation_strategy = tok::TruncationParams::Strategy::OnlyFirst;
  tok::BatchEncoding batch;
  try {
    batch = tokenizer_->encode_batch(pairs, e);
  } catch (const Error&) {
    // HF retries without truncation when the premise is too short to truncate (the model then
    // rejects what is too long).
    e.truncation = false;
    batch = tokenizer_->encode_batch(pairs, e);
  }
  std::vector<const tok::Encoding*> rows = flatten_windows(batch.encodings, false);
  Tensor logits = forward_output(
      *model_, to_model_inputs(rows, model_input_names(*tokenizer_), tokenizer_->pad_token_id().value_or(0)), "logits",
      "zero-shot-classification");
  TFM_CHECK(logits.dim() == 2, "[pipeline] zero-shot-classification needs an NLI model with [batch, classes] logits "
            "(a ...ForSequenceClassification architecture)");
  const int64_t classes = logits.size(1);
  std::vector<double> all = logits.to_vector<double>();
  const int64_t entail = entailment_id(model_->config().label2id);
  std::vector<ZeroShotResult> results;
  for (size_t s = 0; s < sequences.size(); ++s) {
    std::vector<std::vector<double>> rows_logits;
    for (size_t l = 0; l < labels.size(); ++l) {
      const size_t r = s * labels.size() + l;
      rows_logits.emplace_back(all.begin() + int64_t(r) * classes, all.begin() + int64_t(r + 1) * classes);
    }
    results.push_back(zero_shot_postprocess(sequences[s], labels, rows_logits, entail, options.multi_label));
  }
  return results;
}

}  // namespace transformers::pipelines
