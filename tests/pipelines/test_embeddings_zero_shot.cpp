// feature-extraction, sentence-transformers embeddings and zero-shot-classification: pooling,
// normalisation and zero-shot scoring on hand-built values (derived by hand from
// sentence-transformers' and Hugging Face's documented algorithms), and end to end on the
// bert_base / bert_seqcls fixtures against Hugging Face's reference outputs.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>

#include "pipelines/pipeline_test_support.h"
#include "transformers/core/error.h"
#include "transformers/models/auto/modeling_auto.h"
#include "transformers/pipelines/feature_extraction.h"
#include "transformers/pipelines/pipeline.h"
#include "transformers/pipelines/zero_shot_classification.h"

using namespace transformers;
using namespace transformers::pipelines;
using namespace transformers::testing;

TEST(SentenceEmbeddings, PoolingModes) {
  // 3 tokens of dim 2, the last one padding.
  const float hidden[] = {1, -2, 3, 4, 100, 100};
  const std::vector<int32_t> mask = {1, 1, 0};
  PoolingConfig mean;
  EXPECT_EQ(pool(hidden, mask, 2, mean), (std::vector<float>{2, 1}));
  PoolingConfig all;
  all.word_embedding_dimension = 2;
  all.pooling_mode_cls_token = all.pooling_mode_max_tokens = all.pooling_mode_mean_sqrt_len_tokens = true;
  all.pooling_mode_lasttoken = true;
  EXPECT_EQ(all.output_dimension(), 10);
  // Order: cls, max, mean, mean_sqrt_len (sum / sqrt(2)), lasttoken (the last unmasked token).
  std::vector<float> v = pool(hidden, mask, 2, all);
  ASSERT_EQ(v.size(), 10u);
  EXPECT_EQ(std::vector<float>(v.begin(), v.begin() + 6), (std::vector<float>{1, -2, 3, 4, 2, 1}));
  EXPECT_NEAR(v[6], 4 / std::sqrt(2.0), 1e-6);
  EXPECT_NEAR(v[7], 2 / std::sqrt(2.0), 1e-6);
  EXPECT_EQ(v[8], 3);
  EXPECT_EQ(v[9], 4);
  // Max over padding only: sentence-transformers' -1e9 fill.
  PoolingConfig max_only;
  max_only.pooling_mode_mean_tokens = false;
  max_only.pooling_mode_max_tokens = true;
  EXPECT_EQ(pool(hidden, {0, 0, 0}, 2, max_only)[0], -1e9f);
}

TEST(SentenceEmbeddings, NormalizeAndCosine) {
  std::vector<float> n = l2_normalize({3, 4});
  EXPECT_FLOAT_EQ(n[0], 0.6f);
  EXPECT_FLOAT_EQ(n[1], 0.8f);
  EXPECT_EQ(l2_normalize({0, 0}), (std::vector<float>{0, 0}));  // eps: no division by zero
  EXPECT_NEAR(cosine_similarity(std::vector<float>{1, 0}, std::vector<float>{1, 1}), 1 / std::sqrt(2.0), 1e-7);
  EXPECT_NEAR(cosine_similarity(std::vector<float>{1, 2}, std::vector<float>{-2, -4}), -1, 1e-7);
  EXPECT_EQ(cosine_similarity(std::vector<float>{0, 0}, std::vector<float>{1, 1}), 0);
  auto m = cosine_similarity(std::vector<std::vector<float>>{{1, 0}, {0, 1}}, {{1, 0}, {0, 2}, {1, 1}});
  ASSERT_EQ(m.size(), 2u);
  ASSERT_EQ(m[0].size(), 3u);
  EXPECT_NEAR(m[1][1], 1, 1e-7);
  EXPECT_NEAR(m[0][1], 0, 1e-7);
  EXPECT_THROW(cosine_similarity(std::vector<float>{1}, std::vector<float>{1, 2}), Error);
}

TEST(ZeroShotPostprocess, SingleAndMultiLabelScores) {
  // Classes (contradiction, neutral, entailment); entailment logits 0, ln 2, ln 5.
  std::vector<std::vector<double>> logits = {{0, 7, 0}, {0, 7, std::log(2.0)}, {0, 7, std::log(5.0)}};
  const std::vector<std::string> labels = {"a", "b", "c"};
  // Single label: softmax over the entailment logits -> 1/8, 2/8, 5/8, best first.
  ZeroShotResult r = zero_shot_postprocess("text", labels, logits, 2, false);
  EXPECT_EQ(r.sequence, "text");
  EXPECT_EQ(r.labels, (std::vector<std::string>{"c", "b", "a"}));
  EXPECT_NEAR(r.scores[0], 5.0 / 8, 1e-12);
  EXPECT_NEAR(r.scores[2], 1.0 / 8, 1e-12);
  // Multi label: each label's softmax over (contradiction, entailment): 1/2, 2/3, 5/6.
  r = zero_shot_postprocess("text", labels, logits, 2, true);
  EXPECT_NEAR(r.scores[0], 5.0 / 6, 1e-12);
  EXPECT_NEAR(r.scores[1], 2.0 / 3, 1e-12);
  EXPECT_NEAR(r.scores[2], 0.5, 1e-12);
  // One label is always scored on its own.
  r = zero_shot_postprocess("text", {"b"}, {logits[1]}, 2, false);
  EXPECT_NEAR(r.scores[0], 2.0 / 3, 1e-12);
  // Entailment at index 0: contradiction is the last class.
  r = zero_shot_postprocess("text", {"x"}, {{std::log(3.0), 5, 0}}, 0, true);
  EXPECT_NEAR(r.scores[0], 0.75, 1e-12);
  // No entailment label (-1): the last class is used, as HF's logits[..., -1].
  r = zero_shot_postprocess("text", {"x", "y"}, {{9, 9, 0}, {9, 9, std::log(3.0)}}, -1, false);
  EXPECT_EQ(r.labels[0], "y");
  EXPECT_NEAR(r.scores[0], 0.75, 1e-12);
  // Ties: reversed argsort puts the later label first.
  r = zero_shot_postprocess("text", {"x", "y"}, {{0, 0, 1}, {0, 0, 1}}, 2, false);
  EXPECT_EQ(r.labels, (std::vector<std::string>{"y", "x"}));
}

TEST(ZeroShotPostprocess, EntailmentIdTemplateAndLabels) {
  EXPECT_EQ(entailment_id({{"CONTRADICTION", 0}, {"ENTAILMENT", 2}, {"NEUTRAL", 1}}), 2);
  EXPECT_EQ(entailment_id({{"entails", 1}, {"other", 0}}), 1);
  EXPECT_EQ(entailment_id({{"negative", 0}, {"positive", 1}}), -1);
  EXPECT_EQ(format_hypothesis("This example is {}.", "sports"), "This example is sports.");
  EXPECT_EQ(format_hypothesis("{0} or {0}", "x"), "x or x");
  EXPECT_EQ(format_hypothesis("{{}} {}", "x"), "{} x");
  EXPECT_EQ(format_hypothesis("no field", "x"), "no field");
  EXPECT_THROW(format_hypothesis("{} {}", "x"), Error);
  EXPECT_THROW(format_hypothesis("{name}", "x"), Error);
  EXPECT_EQ(parse_candidate_labels(" a, b,,c "), (std::vector<std::string>{"a", "b", "c"}));
}

namespace {

// bert_base / bert_seqcls reference row 1: [CLS] 6 words [SEP] + 4 padding.
std::vector<int64_t> row1_words(const std::string& case_name) {
  std::vector<double> ids = reference(case_name, "input_ids");
  std::vector<int64_t> w;
  for (int p = 1; p <= 6; ++p) w.push_back(int64_t(ids[size_t(12 + p)]));
  return w;
}

// A sentence-transformers module file, its folder created as needed.
void write(const std::filesystem::path& p, const nlohmann::json& j) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p) << j.dump();
}

}  // namespace

TEST(FeatureExtractionPipelineTest, TokensAreTransformersLastHiddenState) {
  TFM_SKIP_WITHOUT_SHARED();
  FeatureExtractionPipeline pipe(models::AutoModel::from_pretrained(shared_path("fixtures/models/bert_base")),
                                 std::make_unique<tok::PreTrainedTokenizer>(test_tokenizer()));
  std::vector<double> ref = reference("bert_base", "last_hidden_state");  // [2, 12, 64]
  const std::string text = words(row1_words("bert_base"));
  auto out = pipe({text, text + " w9 w10 w11"});
  ASSERT_EQ(out.size(), 2u);
  ASSERT_EQ(out[0].size(), 8u);  // its own tokens only
  EXPECT_EQ(out[1].size(), 11u);
  for (size_t t = 0; t < 8; ++t) {
    ASSERT_EQ(out[0][t].size(), 64u);
    for (size_t d = 0; d < 64; ++d) EXPECT_NEAR(out[0][t][d], ref[(12 + t) * 64 + d], 2e-4) << t << "," << d;
  }
  nlohmann::json j = nlohmann::json::parse(feature_extraction_to_json({out[0]}));
  EXPECT_EQ(j[0].size(), 1u);  // HF keeps the batch dimension of one
  EXPECT_EQ(j[0][0].size(), 8u);
}

TEST(SentenceTransformerTest, FolderPoolsTransformersHiddenStates) {
  TFM_SKIP_WITHOUT_SHARED();
  std::filesystem::path dir = fixture_with_tokenizer("bert_base", test_tokenizer(), "pipelines_sentence_transformer");
  write(dir / "modules.json",
        nlohmann::json::array({{{"idx", 0},
                                {"name", "0"},
                                {"path", ""},
                                {"type", "sentence_transformers.models.Transformer"}},
                               {{"idx", 1},
                                {"name", "1"},
                                {"path", "1_Pooling"},
                                {"type", "sentence_transformers.models.Pooling"}}}));
  write(dir / "1_Pooling" / "config.json", {{"word_embedding_dimension", 64}, {"pooling_mode_mean_tokens", true},
                                            {"pooling_mode_cls_token", false}, {"pooling_mode_max_tokens", false}});
  write(dir / "sentence_bert_config.json", {{"max_seq_length", 16}, {"do_lower_case", false}});
  EXPECT_EQ(default_task(dir), "sentence-embeddings");
  auto st = SentenceTransformer::from_pretrained(dir);
  std::vector<double> ref = reference("bert_base", "last_hidden_state");
  // Mean over row 1's 8 real tokens of Hugging Face's last_hidden_state.
  std::vector<float> expected(64, 0);
  for (size_t t = 0; t < 8; ++t)
    for (size_t d = 0; d < 64; ++d) expected[d] += float(ref[(12 + t) * 64 + d] / 8);
  const std::string text = words(row1_words("bert_base"));
  auto emb = st->encode({text, text + " w9 w10"});
  ASSERT_EQ(emb.size(), 2u);
  ASSERT_EQ(emb[0].size(), 64u);
  for (size_t d = 0; d < 64; ++d) EXPECT_NEAR(emb[0][d], expected[d], 1e-4) << d;
  EXPECT_NEAR(cosine_similarity(emb[0], expected), 1.0, 1e-6);
  EXPECT_LT(cosine_similarity(emb[0], emb[1]), 1.0 - 1e-6);
  auto unit = st->encode({text}, /*normalize_embeddings=*/true)[0];
  std::vector<float> expected_unit = l2_normalize(expected);
  for (size_t d = 0; d < 64; ++d) EXPECT_NEAR(unit[d], expected_unit[d], 1e-5);
  // Inputs longer than max_seq_length are truncated, not rejected.
  std::string long_text;
  for (int i = 0; i < 40; ++i) long_text += "w9 ";
  EXPECT_EQ(st->encode({long_text}).size(), 1u);
  // Through the factory, with a Normalize module: unit vectors.
  auto modules = nlohmann::json::parse(read_file(dir / "modules.json"));
  modules.push_back({{"idx", 2},
                     {"name", "2"},
                     {"path", "2_Normalize"},
                     {"type", "sentence_transformers.models.Normalize"}});
  write(dir / "modules.json", modules);
  auto p = pipeline("", dir);
  EXPECT_EQ(p->task(), "sentence-embeddings");
  nlohmann::json j = nlohmann::json::parse((*p)(nlohmann::json(text).dump()));
  ASSERT_EQ(j.size(), 64u);
  for (size_t d = 0; d < 64; ++d) EXPECT_NEAR(j[d].get<double>(), expected_unit[d], 1e-5);
  // Modules we cannot run are named.
  modules.push_back({{"idx", 3},
                     {"name", "3"},
                     {"path", "3_LayerNorm"},
                     {"type", "sentence_transformers.models.LayerNorm"}});
  write(dir / "modules.json", modules);
  try {
    SentenceTransformer::from_pretrained(dir);
    FAIL() << "expected the LayerNorm module to be refused";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("sentence_transformers.models.LayerNorm"), std::string::npos) << e.what();
  }
}

TEST(SentenceTransformerTest, DenseModuleProjectsThePooledEmbedding) {
  TFM_SKIP_WITHOUT_SHARED();
  // Transformer -> mean Pooling -> Dense(64 -> 3, tanh) -> Normalize. The expected embedding is
  // built by hand from Hugging Face's last_hidden_state: mean over row 1's 8 real tokens, then
  // tanh(W m + b) with the weights written below, then L2 normalisation.
  std::filesystem::path dir = fixture_with_tokenizer("bert_base", test_tokenizer(), "pipelines_sentence_dense");
  write(dir / "modules.json",
        nlohmann::json::array({{{"idx", 0},
                                {"name", "0"},
                                {"path", ""},
                                {"type", "sentence_transformers.models.Transformer"}},
                               {{"idx", 1},
                                {"name", "1"},
                                {"path", "1_Pooling"},
                                {"type", "sentence_transformers.models.Pooling"}},
                               {{"idx", 2},
                                {"name", "2"},
                                {"path", "2_Dense"},
                                {"type", "sentence_transformers.models.Dense"}},
                               {{"idx", 3},
                                {"name", "3"},
                                {"path", "3_Normalize"},
                                {"type", "sentence_transformers.models.Normalize"}}}));
  write(dir / "1_Pooling" / "config.json", {{"word_embedding_dimension", 64}, {"pooling_mode_mean_tokens", true}});
  write(dir / "2_Dense" / "config.json", {{"in_features", 64}, {"out_features", 3}, {"bias", true},
                                          {"activation_function", "torch.nn.modules.activation.Tanh"}});
  std::vector<float> w(3 * 64), b{0.1f, -0.2f, 0.3f};
  for (size_t o = 0; o < 3; ++o)
    for (size_t i = 0; i < 64; ++i) w[o * 64 + i] = float((o + 1) * ((i % 5) + 1)) / 40.0f * (i % 2 ? -1.0f : 1.0f);
  io::save_safetensors(dir / "2_Dense" / "model.safetensors",
                       {{"linear.weight", DType::Float32, {3, 64}, w.data()},
                        {"linear.bias", DType::Float32, {3}, b.data()}});
  std::vector<double> ref = reference("bert_base", "last_hidden_state");
  std::vector<double> mean(64, 0.0);
  for (size_t t = 0; t < 8; ++t)
    for (size_t d = 0; d < 64; ++d) mean[d] += ref[(12 + t) * 64 + d] / 8;
  std::vector<double> projected(3);
  double norm = 0;
  for (size_t o = 0; o < 3; ++o) {
    double acc = b[o];
    for (size_t i = 0; i < 64; ++i) acc += double(w[o * 64 + i]) * mean[i];
    projected[o] = std::tanh(acc);
    norm += projected[o] * projected[o];
  }
  auto st = SentenceTransformer::from_pretrained(dir);
  std::vector<float> emb = st->encode({words(row1_words("bert_base"))})[0];
  ASSERT_EQ(emb.size(), 3u);
  for (size_t o = 0; o < 3; ++o) EXPECT_NEAR(emb[o], projected[o] / std::sqrt(norm), 1e-4) << o;

  // A weight of the wrong shape is named with both shapes.
  io::save_safetensors(dir / "2_Dense" / "model.safetensors",
                       {{"linear.weight", DType::Float32, {64, 3}, w.data()},
                        {"linear.bias", DType::Float32, {3}, b.data()}});
  try {
    SentenceTransformer::from_pretrained(dir);
    FAIL() << "expected the mis-shaped Dense weight to be refused";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("linear.weight"), std::string::npos) << e.what();
  }
}

TEST(ZeroShotPipelineTest, ScoresComeFromTransformersNliLogits) {
  TFM_SKIP_WITHOUT_SHARED();
  // bert_seqcls's reference row 0 is the pair ([CLS] 5 words [SEP] 4 words [SEP]); with the
  // template "{}" and the hypothesis words as the label, the pipeline runs exactly that pair.
  std::vector<double> ids = reference("bert_seqcls", "input_ids"), logits = reference("bert_seqcls", "logits");
  std::vector<int64_t> premise, hypothesis;
  for (int p = 1; p <= 5; ++p) premise.push_back(int64_t(ids[size_t(p)]));
  for (int p = 7; p <= 10; ++p) hypothesis.push_back(int64_t(ids[size_t(p)]));
  ZeroShotClassificationPipeline pipe(models::AutoModel::from_pretrained(shared_path("fixtures/models/bert_seqcls")),
                                      std::make_unique<tok::PreTrainedTokenizer>(test_tokenizer()));
  ZeroShotClassificationOptions o;
  o.candidate_labels = {words(hypothesis)};
  o.hypothesis_template = "{}";
  // Labels negative/neutral/positive: no entailment label, so HF uses the last logit (positive)
  // against contradiction = index 0.
  auto r = pipe({words(premise)}, o);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_NEAR(r[0].scores[0], hand_softmax({logits[0], logits[2]})[1], 1e-5);
  // Two candidates with the same hypothesis: one premise, padded batch, equal halves.
  o.candidate_labels = {words(hypothesis), words(hypothesis)};
  auto two = pipe({words(premise), words(premise) + " w9 w10"}, o);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_NEAR(two[0].scores[0], 0.5, 1e-6);
  EXPECT_NEAR(two[0].scores[1], 0.5, 1e-6);
  o.hypothesis_template = "no field";
  EXPECT_THROW(pipe({words(premise)}, o), Error);
  o.candidate_labels.clear();
  o.hypothesis_template = "{}";
  EXPECT_THROW(pipe({words(premise)}, o), Error);
}
