#include "transformers/pipelines/encoder_inputs.h"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "transformers/core/autograd.h"
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

std::vector<const tok::Encoding*> flatten_windows(const std::vector<tok::Encoding>& encodings, bool overflowing,
                                                  std::vector<size_t>* sample) {
  std::vector<const tok::Encoding*> rows;
  for (size_t i = 0; i < encodings.size(); ++i) {
    rows.push_back(&encodings[i]);
    if (sample) sample->push_back(i);
    if (!overflowing) continue;
    for (const tok::Encoding& window : encodings[i].overflowing) {
      rows.push_back(&window);
      if (sample) sample->push_back(i);
    }
  }
  return rows;
}

models::NamedTensors to_model_inputs(const std::vector<const tok::Encoding*>& rows,
                                     const std::vector<std::string>& names, int32_t pad_id) {
  TFM_CHECK(!rows.empty(), "[pipeline] nothing to run: no inputs");
  size_t seq = 0;
  for (const tok::Encoding* e : rows) seq = std::max(seq, e->size());
  const int64_t n = int64_t(rows.size());
  auto build = [&](auto&& value_of, int64_t pad) {
    std::vector<int64_t> flat(size_t(n) * seq, pad);
    for (size_t r = 0; r < rows.size(); ++r)
      for (size_t i = 0; i < rows[r]->size(); ++i) flat[r * seq + i] = value_of(*rows[r], i);
    return Tensor::from_vector(flat, {n, int64_t(seq)});
  };
  models::NamedTensors inputs;
  for (const std::string& name : names) {
    if (name == "input_ids")
      inputs.emplace_back(name, build([](const tok::Encoding& e, size_t i) { return int64_t(e.ids[i]); }, pad_id));
    else if (name == "attention_mask")
      inputs.emplace_back(
          name,
          build([](const tok::Encoding& e, size_t i) { return int64_t(e.attention_mask[i]); }, 0));
    else if (name == "token_type_ids")
      inputs.emplace_back(name, build([](const tok::Encoding& e, size_t i) { return int64_t(e.type_ids[i]); }, 0));
  }
  return inputs;
}

std::vector<Tensor> forward_outputs(models::PreTrainedModel& model, const models::NamedTensors& inputs,
                                    const std::vector<std::string>& names, const std::string& task) {
  autograd::NoGradGuard no_grad;
  const models::NamedTensors outputs = model.forward_named(inputs, /*output_hidden_states=*/false);
  std::vector<Tensor> found;
  for (const std::string& name : names) {
    Tensor out = models::find_named(outputs, name);
    TFM_CHECK(out.defined(), "[pipeline] ", task, " needs a model with a '", name, "' output; ",
              model.config().architectures.empty() ? std::string("this model") : model.config().architectures[0],
              " has none");
    found.push_back(out.to(DType::Float32).contiguous());
  }
  return found;
}

Tensor forward_output(models::PreTrainedModel& model, const models::NamedTensors& inputs, const std::string& name,
                      const std::string& task) {
  return forward_outputs(model, inputs, {name}, task)[0];
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
