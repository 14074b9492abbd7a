#include "transformers/pipelines/fill_mask.h"

#include <algorithm>
#include <numeric>
#include <set>

#include <nlohmann/json.hpp>

#include "transformers/core/autograd.h"
#include "transformers/core/error.h"
#include "transformers/models/auto/modeling_auto.h"
#include "transformers/pipelines/encoder_inputs.h"

namespace transformers::pipelines {

std::vector<std::pair<int64_t, double>> fill_mask_candidates(const std::vector<double>& logits,
                                                             const std::vector<int64_t>& target_ids, int64_t top_k) {
  std::vector<double> probs = softmax(logits);
  std::vector<std::pair<int64_t, double>> candidates;
  if (target_ids.empty()) {
    for (size_t i = 0; i < probs.size(); ++i) candidates.emplace_back(int64_t(i), probs[i]);
  } else {
    for (int64_t id : target_ids) {
      TFM_CHECK(id >= 0 && id < int64_t(probs.size()), "[pipeline] target id ", id, " is outside the vocabulary");
      candidates.emplace_back(id, probs[size_t(id)]);
    }
  }
  // torch.topk: largest first; equal probabilities keep the lower position first.
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  candidates.resize(size_t(std::clamp<int64_t>(top_k, 0, int64_t(candidates.size()))));
  return candidates;
}

std::string fill_mask_to_json(const std::vector<FillMaskResult>& results) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const FillMaskResult& per_input : results) {
    nlohmann::ordered_json masks = nlohmann::ordered_json::array();
    for (const auto& predictions : per_input) {
      nlohmann::ordered_json list = nlohmann::ordered_json::array();
      for (const FillMaskPrediction& p : predictions)
        list.push_back({{"score", p.score}, {"token", p.token}, {"token_str", p.token_str}, {"sequence", p.sequence}});
      masks.push_back(list);
    }
    out.push_back(masks.size() == 1 ? masks[0] : masks);
  }
  return out.dump();
}

std::unique_ptr<FillMaskPipeline> FillMaskPipeline::from_pretrained(const std::filesystem::path& model_dir,
                                                                    const models::LoadOptions& options) {
  return std::make_unique<FillMaskPipeline>(
      models::AutoModel::from_pretrained(model_dir, options),
      std::make_unique<tok::PreTrainedTokenizer>(tok::AutoTokenizer::from_pretrained(model_dir)));
}

FillMaskPipeline::FillMaskPipeline(std::unique_ptr<models::PreTrainedModel> model,
                                   std::unique_ptr<tok::PreTrainedTokenizer> tokenizer)
    : model_(std::move(model)), tokenizer_(std::move(tokenizer)) {}

std::vector<int64_t> FillMaskPipeline::target_ids(const std::vector<std::string>& targets) const {
  std::set<int64_t> ids;  // HF de-duplicates through a set
  for (const std::string& target : targets) {
    if (auto id = tokenizer_->convert_token_to_id(target)) {
      ids.insert(*id);
      continue;
    }
    std::vector<int32_t> pieces = tokenizer_->encode_ids(target, /*add_special_tokens=*/false);
    if (!pieces.empty()) ids.insert(pieces[0]);  // HF warns and keeps the first token
  }
  TFM_CHECK(!ids.empty(), "[pipeline] fill-mask: at least one target must be provided when targets are passed");
  return {ids.begin(), ids.end()};
}

std::vector<FillMaskResult> FillMaskPipeline::operator()(const std::vector<std::string>& texts,
                                                         const FillMaskOptions& options) {
  if (texts.empty()) return {};
  const std::optional<int32_t> mask_id = tokenizer_->mask_token_id();
  TFM_CHECK(mask_id.has_value(), "[pipeline] fill-mask: the tokenizer has no mask token");
  std::vector<int64_t> targets = options.targets.empty() ? std::vector<int64_t>{} : target_ids(options.targets);
  const int64_t top_k = targets.empty() ? options.top_k : std::min<int64_t>(options.top_k, int64_t(targets.size()));

  tok::EncodeOptions e;
  e.padding = tok::EncodeOptions::Padding::Longest;
  tok::BatchEncoding batch = tokenizer_->encode_batch(texts, e);
  for (size_t r = 0; r < batch.input_ids.size(); ++r)
    TFM_CHECK(std::count(batch.input_ids[r].begin(), batch.input_ids[r].end(), *mask_id) > 0,
              "[pipeline] fill-mask: no mask_token (", tokenizer_->mask_token.value_or(""), ") found in input ", r,
              ": '", texts[r], "'");
  autograd::NoGradGuard no_grad;
  Tensor logits = models::find_named(
      model_->forward_named(to_model_inputs(batch, model_input_names(*tokenizer_)), false),
      "logits");
  TFM_CHECK(logits.defined() && logits.dim() == 3,
            "[pipeline] fill-mask needs a masked-LM model ([batch, seq, vocab] logits)");
  logits = logits.to(DType::Float32).contiguous();
  const int64_t seq = logits.size(1), vocab = logits.size(2);
  const float* data = logits.data<float>();
  const std::optional<int32_t> pad_id = tokenizer_->pad_token_id();

  std::vector<FillMaskResult> results;
  for (size_t r = 0; r < batch.input_ids.size(); ++r) {
    const std::vector<int32_t>& ids = batch.input_ids[r];
    std::vector<size_t> masked;
    for (size_t i = 0; i < ids.size(); ++i)
      if (ids[i] == *mask_id) masked.push_back(i);
    const bool single_mask = masked.size() == 1;
    FillMaskResult per_input;
    for (size_t m : masked) {
      const float* row = data + (int64_t(r) * seq + int64_t(m)) * vocab;
      std::vector<double> row_logits(row, row + vocab);
      std::vector<FillMaskPrediction> predictions;
      for (auto [token, score] : fill_mask_candidates(row_logits, targets, top_k)) {
        // The input with this mask filled, padding removed (HF decodes the row without pad ids).
        std::vector<int32_t> filled;
        for (size_t i = 0; i < ids.size(); ++i) {
          int32_t id = i == m ? int32_t(token) : ids[i];
          if (!pad_id || id != *pad_id) filled.push_back(id);
        }
        predictions.push_back({score, token, tokenizer_->decode({int32_t(token)}),
                               tokenizer_->decode(filled, /*skip_special_tokens=*/single_mask)});
      }
      per_input.push_back(std::move(predictions));
    }
    results.push_back(std::move(per_input));
  }
  return results;
}

}  // namespace transformers::pipelines
