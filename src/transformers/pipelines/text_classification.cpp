#include "transformers/pipelines/text_classification.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "transformers/core/autograd.h"
#include "transformers/core/error.h"
#include "transformers/models/auto/modeling_auto.h"
#include "transformers/pipelines/encoder_inputs.h"

namespace transformers::pipelines {

std::string default_function_to_apply(const models::PretrainedConfig& config, int64_t num_labels) {
  const std::string problem = config.problem_type.value_or("");
  if (problem == "regression") return "none";
  if (problem == "multi_label_classification" || num_labels == 1) return "sigmoid";
  return "softmax";  // single_label_classification, or more than one label
}

std::vector<LabelScore> classification_postprocess(const std::vector<double>& logits,
                                                   const std::map<int64_t, std::string>& id2label,
                                                   const std::string& function_to_apply, std::optional<int64_t> top_k) {
  std::vector<double> scores;
  if (function_to_apply == "softmax") scores = softmax(logits);
  else if (function_to_apply == "sigmoid") scores = sigmoid(logits);
  else if (function_to_apply == "none") scores = logits;
  else throw Error("[pipeline] function_to_apply must be softmax, sigmoid or none, got '" + function_to_apply + "'");
  auto label = [&](int64_t i) {
    auto it = id2label.find(i);
    return it != id2label.end() ? it->second : "LABEL_" + std::to_string(i);
  };
  std::vector<LabelScore> out;
  for (size_t i = 0; i < scores.size(); ++i) out.push_back({label(int64_t(i)), scores[i]});
  // Best first; equal scores keep label order (Python's sort is stable).
  std::stable_sort(out.begin(), out.end(), [](const LabelScore& a, const LabelScore& b) { return a.score > b.score; });
  const int64_t keep = !top_k ? 1 : *top_k <= 0 ? int64_t(out.size()) : std::min<int64_t>(*top_k, int64_t(out.size()));
  out.resize(size_t(keep));
  return out;
}

std::string classification_to_json(const std::vector<std::vector<LabelScore>>& results, std::optional<int64_t> top_k) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& row : results) {
    nlohmann::json items = nlohmann::json::array();
    for (const LabelScore& s : row) items.push_back({{"label", s.label}, {"score", s.score}});
    out.push_back(!top_k && items.size() == 1 ? items[0] : items);
  }
  return out.dump();
}

std::unique_ptr<TextClassificationPipeline> TextClassificationPipeline::from_pretrained(
    const std::filesystem::path& model_dir, const models::LoadOptions& options) {
  return std::make_unique<TextClassificationPipeline>(
      models::AutoModel::from_pretrained(model_dir, options),
      std::make_unique<tok::PreTrainedTokenizer>(tok::AutoTokenizer::from_pretrained(model_dir)));
}

TextClassificationPipeline::TextClassificationPipeline(std::unique_ptr<models::PreTrainedModel> model,
                                                       std::unique_ptr<tok::PreTrainedTokenizer> tokenizer)
    : model_(std::move(model)), tokenizer_(std::move(tokenizer)) {}

namespace {
tok::EncodeOptions encode_options(const TextClassificationOptions& options) {
  tok::EncodeOptions e;
  e.padding = tok::EncodeOptions::Padding::Longest;  // padded to the batch's longest row, no further
  e.truncation = options.truncation;
  return e;
}
}  // namespace

std::vector<std::vector<LabelScore>> TextClassificationPipeline::operator()(const std::vector<std::string>& texts,
                                                                            const TextClassificationOptions& options) {
  return run(tokenizer_->encode_batch(texts, encode_options(options)), options);
}

std::vector<std::vector<LabelScore>> TextClassificationPipeline::operator()(
    const std::vector<std::pair<std::string, std::string>>& pairs, const TextClassificationOptions& options) {
  return run(tokenizer_->encode_batch(pairs, encode_options(options)), options);
}

std::vector<std::vector<LabelScore>> TextClassificationPipeline::run(const tok::BatchEncoding& batch,
                                                                     const TextClassificationOptions& options) {
  if (batch.input_ids.empty()) return {};
  autograd::NoGradGuard no_grad;
  models::NamedTensors outputs = model_->forward_named(to_model_inputs(batch, model_input_names(*tokenizer_)), false);
  Tensor logits = models::find_named(outputs, "logits");
  TFM_CHECK(logits.defined() && logits.dim() == 2, "[pipeline] text-classification needs a model with [batch, labels] "
            "logits (a ...ForSequenceClassification architecture)");
  const int64_t rows = logits.size(0), num_labels = logits.size(1);
  const std::string fn = options.function_to_apply.value_or(default_function_to_apply(model_->config(), num_labels));
  std::vector<double> all = logits.to(DType::Float32).contiguous().to_vector<double>();
  std::vector<std::vector<LabelScore>> results;
  for (int64_t r = 0; r < rows; ++r) {
    std::vector<double> row(all.begin() + r * num_labels, all.begin() + (r + 1) * num_labels);
    results.push_back(classification_postprocess(row, model_->config().id2label, fn, options.top_k));
  }
  return results;
}

}  // namespace transformers::pipelines
