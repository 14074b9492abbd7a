#include "transformers/pipelines/encoder_inputs.h"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "transformers/core/error.h"

namespace transformers::pipelines {

std::vector<std::string> model_input_names(const tok::PreTrainedTokenizer& tokenizer) {
  nlohmann::json config = nlohmann::json::parse(tokenizer.config_json, nullptr, /*allow_exceptions=*/false);
  if (config.is_object() && config.contains("model_input_names") && config["model_input_names"].is_array()) {
    std::vector<std::string> names;
    for (const auto& n : config["model_input_names"])
      if (n.is_string()) names.push_back(n.get<std::string>());
    return names;
  }
  // Tokenizer classes whose model_input_names class attribute has no token_type_ids.
  static const char* kNoTokenTypes[] = {"DistilBertTokenizer", "DistilBertTokenizerFast", "RobertaTokenizer",
                                        "RobertaTokenizerFast", "XLMRobertaTokenizer", "XLMRobertaTokenizerFast",
                                        "BartTokenizer", "BartTokenizerFast", "GPT2Tokenizer", "GPT2TokenizerFast",
                                        "CamembertTokenizer", "CamembertTokenizerFast"};
  for (const char* c : kNoTokenTypes)
    if (tokenizer.tokenizer_class == c) return {"input_ids", "attention_mask"};
  return {"input_ids", "token_type_ids", "attention_mask"};
}

models::NamedTensors to_model_inputs(const tok::BatchEncoding& batch, const std::vector<std::string>& names) {
  const int64_t rows = int64_t(batch.input_ids.size());
  TFM_CHECK(rows > 0, "[pipeline] nothing to run: no inputs");
  const int64_t seq = int64_t(batch.input_ids[0].size());
  auto to_tensor = [&](const std::vector<std::vector<int32_t>>& values, const char* name) {
    TFM_CHECK(int64_t(values.size()) == rows, "[pipeline] the tokenizer returned no ", name);
    std::vector<int64_t> flat;
    flat.reserve(size_t(rows * seq));
    for (const auto& row : values) {
      TFM_CHECK(int64_t(row.size()) == seq, "[pipeline] rows of ", name, " differ in length (padding missing)");
      flat.insert(flat.end(), row.begin(), row.end());
    }
    return Tensor::from_vector(flat, {rows, seq});
  };
  models::NamedTensors inputs;
  for (const std::string& name : names) {
    if (name == "input_ids") inputs.emplace_back(name, to_tensor(batch.input_ids, "input_ids"));
    else if (name == "attention_mask") inputs.emplace_back(name, to_tensor(batch.attention_mask, "attention_mask"));
    else if (name == "token_type_ids") inputs.emplace_back(name, to_tensor(batch.token_type_ids, "token_type_ids"));
  }
  return inputs;
}

std::vector<double> softmax(const std::vector<double>& logits) {
  if (logits.empty()) return {};
  const double mx = *std::max_element(logits.begin(), logits.end());
  std::vector<double> out(logits.size());
  double sum = 0;
  for (size_t i = 0; i < logits.size(); ++i) sum += out[i] = std::exp(logits[i] - mx);
  for (double& v : out) v /= sum;
  return out;
}

std::vector<double> sigmoid(const std::vector<double>& logits) {
  std::vector<double> out(logits.size());
  for (size_t i = 0; i < logits.size(); ++i) out[i] = 1.0 / (1.0 + std::exp(-logits[i]));
  return out;
}

}  // namespace transformers::pipelines
