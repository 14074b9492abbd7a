// text-classification and fill-mask: post-processing on hand-built logits (values derived by
// hand from Hugging Face's documented algorithm), and end to end on the bert_seqcls / bert_mlm
// fixtures with a word-level tokenizer whose ids are the fixture's, so the expected scores come
// from Hugging Face's reference logits.
#include <gtest/gtest.h>

#include <cmath>

#include <nlohmann/json.hpp>

#include "pipelines/pipeline_test_support.h"
#include "support/fixtures.h"
#include "transformers/core/autograd.h"
#include "transformers/core/error.h"
#include "transformers/io/safetensors.h"
#include "transformers/models/auto/modeling_auto.h"
#include "transformers/pipelines/fill_mask.h"
#include "transformers/pipelines/text_classification.h"

using namespace transformers;
using namespace transformers::pipelines;
using namespace transformers::testing;

namespace {

tok::PreTrainedTokenizer word_tokenizer(int mask_id) { return transformers::testing::test_tokenizer(mask_id); }

}  // namespace

TEST(TextClassificationPostprocess, SoftmaxSigmoidNoneAndTopK) {
  const std::map<int64_t, std::string> labels = {{0, "neg"}, {1, "neu"}, {2, "pos"}};
  // softmax(1, 2, 3) = e^i / (e + e^2 + e^3) = 0.0900306, 0.2447285, 0.6652410
  auto best = classification_postprocess({1, 2, 3}, labels, "softmax", std::nullopt);
  ASSERT_EQ(best.size(), 1u);
  EXPECT_EQ(best[0].label, "pos");
  EXPECT_NEAR(best[0].score, 0.6652410, 1e-6);
  auto all = classification_postprocess({1, 2, 3}, labels, "softmax", 0);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[1].label, "neu");
  EXPECT_NEAR(all[1].score, 0.2447285, 1e-6);
  EXPECT_NEAR(all[2].score, 0.0900306, 1e-6);
  // sigmoid(0) = 0.5, sigmoid(2) = 0.8807971; top_k 1 as a list; labels without names.
  auto sig = classification_postprocess({0, 2}, {}, "sigmoid", 1);
  ASSERT_EQ(sig.size(), 1u);
  EXPECT_EQ(sig[0].label, "LABEL_1");
  EXPECT_NEAR(sig[0].score, 0.8807971, 1e-6);
  auto none = classification_postprocess({-1.5}, {}, "none", 0);
  EXPECT_DOUBLE_EQ(none[0].score, -1.5);
  // Equal scores keep label order.
  auto tie = classification_postprocess({0, 0}, labels, "softmax", 0);
  EXPECT_EQ(tie[0].label, "neg");
  EXPECT_THROW(classification_postprocess({0}, {}, "tanh", 0), Error);
  // The default top_k is one object per input; an explicit top_k a list.
  EXPECT_EQ(classification_to_json({{{"pos", 0.5}}}, std::nullopt), R"([{"label":"pos","score":0.5}])");
  EXPECT_EQ(classification_to_json({{{"pos", 0.5}}}, 1), R"([[{"label":"pos","score":0.5}]])");
}

TEST(TextClassificationPostprocess, FunctionToApplyFollowsProblemType) {
  models::PretrainedConfig c;
  EXPECT_EQ(default_function_to_apply(c, 3), "softmax");
  EXPECT_EQ(default_function_to_apply(c, 1), "sigmoid");
  c.problem_type = "multi_label_classification";
  EXPECT_EQ(default_function_to_apply(c, 3), "sigmoid");
  c.problem_type = "regression";
  EXPECT_EQ(default_function_to_apply(c, 1), "none");
  c.problem_type = "single_label_classification";
  EXPECT_EQ(default_function_to_apply(c, 2), "softmax");
}

TEST(FillMaskPostprocess, TopKOverVocabularyOrTargets) {
  // logits 0, ln 2, ln 3 -> probabilities 1/6, 2/6, 3/6
  std::vector<double> logits = {0, std::log(2.0), std::log(3.0)};
  auto top2 = fill_mask_candidates(logits, {}, 2);
  ASSERT_EQ(top2.size(), 2u);
  EXPECT_EQ(top2[0].first, 2);
  EXPECT_NEAR(top2[0].second, 0.5, 1e-12);
  EXPECT_EQ(top2[1].first, 1);
  EXPECT_NEAR(top2[1].second, 1.0 / 3, 1e-12);
  // Targets keep the whole-vocabulary probabilities (not renormalised).
  auto targeted = fill_mask_candidates(logits, {0, 1}, 5);
  ASSERT_EQ(targeted.size(), 2u);
  EXPECT_EQ(targeted[0].first, 1);
  EXPECT_NEAR(targeted[1].second, 1.0 / 6, 1e-12);
  EXPECT_THROW(fill_mask_candidates(logits, {7}, 1), Error);
}

TEST(TextClassificationPipelineTest, ScoresAreSoftmaxOfTransformersLogits) {
  TFM_SKIP_WITHOUT_SHARED();
  auto dir = shared_path("fixtures/models/bert_seqcls");
  // Reference rows: [CLS] 5 words [SEP] 4 words [SEP] (a pair), and [CLS] 6 words [SEP] + padding.
  std::vector<double> ids = reference("bert_seqcls", "input_ids"), ref_logits = reference("bert_seqcls", "logits");
  auto id = [&](int row, int pos) { return int64_t(ids[size_t(row * 12 + pos)]); };
  std::vector<int64_t> a, b, single;
  for (int p = 1; p <= 5; ++p) a.push_back(id(0, p));
  for (int p = 7; p <= 10; ++p) b.push_back(id(0, p));
  for (int p = 1; p <= 6; ++p) single.push_back(id(1, p));
  TextClassificationPipeline pipe(models::AutoModel::from_pretrained(dir),
                                  std::make_unique<tok::PreTrainedTokenizer>(word_tokenizer(4)));
  const std::vector<std::string> names = {"negative", "neutral", "positive"};
  auto expect_row = [&](const std::vector<LabelScore>& got, int row) {
    std::vector<double> p = hand_softmax({ref_logits[size_t(row * 3)], ref_logits[size_t(row * 3 + 1)],
                                          ref_logits[size_t(row * 3 + 2)]});
    ASSERT_EQ(got.size(), 3u);
    for (const LabelScore& s : got) {
      size_t k = size_t(std::find(names.begin(), names.end(), s.label) - names.begin());
      ASSERT_LT(k, 3u) << s.label;
      EXPECT_NEAR(s.score, p[k], 1e-5) << "row " << row << " " << s.label;
    }
    EXPECT_GE(got[0].score, got[1].score);
    EXPECT_GE(got[1].score, got[2].score);
  };
  TextClassificationOptions all;
  all.top_k = 0;
  expect_row(pipe(std::vector<std::pair<std::string, std::string>>{{words(a), words(b)}}, all)[0], 0);
  // Batched with a longer text: padding must not change the shorter row's scores.
  auto batch = pipe(std::vector<std::string>{words(single), words(a) + " " + words(b) + " w9 w10"}, all);
  ASSERT_EQ(batch.size(), 2u);
  expect_row(batch[0], 1);
  // Default: the best label only.
  auto best = pipe(std::vector<std::string>{words(single)});
  ASSERT_EQ(best[0].size(), 1u);
  EXPECT_EQ(best[0][0].label, batch[0][0].label);
  // Too long for max_position_embeddings (64) without truncation: a clear error, as HF raises.
  std::string long_text;
  for (int i = 0; i < 70; ++i) long_text += "w9 ";
  EXPECT_THROW(pipe(std::vector<std::string>{long_text}), Error);
  // With truncation and the tokenizer's model_max_length, it runs.
  auto short_tokenizer = std::make_unique<tok::PreTrainedTokenizer>(word_tokenizer(4));
  short_tokenizer->model_max_length = 64;
  TextClassificationPipeline truncating(models::AutoModel::from_pretrained(dir), std::move(short_tokenizer));
  TextClassificationOptions truncate;
  truncate.truncation = true;
  EXPECT_EQ(truncating(std::vector<std::string>{long_text}, truncate).size(), 1u);
}

TEST(FillMaskPipelineTest, PredictionsAreTransformersProbabilities) {
  TFM_SKIP_WITHOUT_SHARED();
  auto dir = shared_path("fixtures/models/bert_mlm");
  std::vector<double> ids = reference("bert_mlm", "input_ids"), logits = reference("bert_mlm", "logits");
  // Row 1 is [CLS] 6 words [SEP] + padding; its 3rd word's id becomes the mask token.
  const int mask_pos = 3, vocab = 256;
  const int mask_id = int(ids[size_t(12 + mask_pos)]);
  std::vector<int64_t> row;
  for (int p = 1; p <= 6; ++p) row.push_back(int64_t(ids[size_t(12 + p)]));
  std::string text = words(row);
  text.replace(text.find("w" + std::to_string(mask_id)), 1 + std::to_string(mask_id).size(), "[MASK]");
  FillMaskPipeline pipe(models::AutoModel::from_pretrained(dir),
                        std::make_unique<tok::PreTrainedTokenizer>(word_tokenizer(mask_id)));
  std::vector<double> probs = hand_softmax(
      std::vector<double>(logits.begin() + (12 + mask_pos) * vocab, logits.begin() + (12 + mask_pos + 1) * vocab));
  std::vector<int> order(vocab);
  for (int i = 0; i < vocab; ++i) order[size_t(i)] = i;
  std::stable_sort(order.begin(), order.end(), [&](int x, int y) { return probs[size_t(x)] > probs[size_t(y)]; });

  auto results = pipe({text, text + " w9 w10 w11"});  // batched with a longer input
  ASSERT_EQ(results.size(), 2u);
  ASSERT_EQ(results[0].size(), 1u);
  const auto& preds = results[0][0];
  ASSERT_EQ(preds.size(), 5u);
  for (size_t k = 0; k < 5; ++k) {
    EXPECT_EQ(preds[k].token, order[k]);
    EXPECT_NEAR(preds[k].score, probs[size_t(order[k])], 1e-5);
    EXPECT_EQ(preds[k].token_str, "w" + std::to_string(order[k]));  // the test vocabulary's word for that id
    EXPECT_NE(preds[k].sequence.find(preds[k].token_str), std::string::npos) << preds[k].sequence;
    EXPECT_EQ(preds[k].sequence.find("[CLS]"), std::string::npos) << "one mask: special tokens skipped";
  }
  // Targets: only those tokens, with their whole-vocabulary probabilities; top_k capped.
  FillMaskOptions o;
  o.targets = {"w" + std::to_string(order[7]), "w" + std::to_string(order[3])};
  o.top_k = 10;
  auto targeted = pipe({text}, o)[0][0];
  ASSERT_EQ(targeted.size(), 2u);
  EXPECT_EQ(targeted[0].token, order[3]);
  EXPECT_EQ(targeted[1].token, order[7]);
  EXPECT_NEAR(targeted[1].score, probs[size_t(order[7])], 1e-5);
  // No mask in the input: HF's error.
  EXPECT_THROW(pipe({words(row)}), Error);
  EXPECT_NE(fill_mask_to_json(results).find("\"token_str\""), std::string::npos);
}
