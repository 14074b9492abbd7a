// ELECTRA has no Hugging Face fixture here, so every check composes pieces verified elsewhere:
// with embedding_size == hidden_size ElectraModel is BertModel (fixture-verified) under other key
// names; with embedding_size != hidden_size it is ops-built embeddings (embedding_size wide) ->
// embeddings_project -> the encoder of a BertModel holding the same layer weights; each head is
// its own ops composition on the base model's output. Checkpoints are written here from
// Hugging Face's key names (spelled out below), so strict loading also checks the names.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <random>

#include <nlohmann/json.hpp>

#include "support/compare.h"
#include "support/fixtures.h"
#include "transformers/core/autograd.h"
#include "transformers/core/error.h"
#include "transformers/core/ops.h"
#include "transformers/io/json.h"
#include "transformers/io/safetensors.h"
#include "transformers/models/auto/modeling_auto.h"
#include "transformers/models/bert/modeling_bert.h"
#include "transformers/models/electra/modeling_electra.h"

using namespace transformers;
using transformers::testing::tensors_close;
namespace electra = transformers::models::electra;

namespace {

using StateDict = std::map<std::string, Tensor>;

struct Dims {
  int64_t vocab = 99, embedding = 16, hidden = 32, layers = 2, heads = 4, intermediate = 48, max_positions = 64,
          types = 2;
};

// config.json for `architecture` with `dims` (hidden_act and other keys through `extra`).
nlohmann::json electra_config(const std::string& architecture, const Dims& d, const nlohmann::json& extra = {}) {
  nlohmann::json c = {{"architectures", {architecture}},
                      {"model_type", "electra"},
                      {"vocab_size", d.vocab},
                      {"embedding_size", d.embedding},
                      {"hidden_size", d.hidden},
                      {"num_hidden_layers", d.layers},
                      {"num_attention_heads", d.heads},
                      {"intermediate_size", d.intermediate},
                      {"max_position_embeddings", d.max_positions},
                      {"type_vocab_size", d.types}};
  if (extra.is_object()) c.update(extra);
  return c;
}

// A random tensor ~ N(0, 0.3); LayerNorm weights ~ 1 + N(0, 0.3) so the norms stay well scaled.
void put(StateDict& sd, std::mt19937& rng, const std::string& key, const Shape& shape) {
  std::normal_distribution<float> normal(0.0f, 0.3f);
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  const bool norm_weight = key.ends_with("LayerNorm.weight");
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = (norm_weight ? 1.0f : 0.0f) + normal(rng);
  sd[key] = Tensor::from_vector(v, shape);
}

void put_linear(StateDict& sd, std::mt19937& rng, const std::string& key, int64_t in, int64_t out) {
  put(sd, rng, key + ".weight", {out, in});
  put(sd, rng, key + ".bias", {out});
}

// BERT's encoder keys (ELECTRA's are the same names): encoder.layer.N.{attention.self.{query,key,
// value}, attention.output.{dense,LayerNorm}, intermediate.dense, output.{dense,LayerNorm}}.
void put_encoder(StateDict& sd, std::mt19937& rng, const std::string& prefix, const Dims& d) {
  for (int64_t i = 0; i < d.layers; ++i) {
    const std::string l = prefix + "encoder.layer." + std::to_string(i) + ".";
    for (const char* name : {"query", "key", "value"})
      put_linear(sd, rng, l + "attention.self." + name, d.hidden, d.hidden);
    put_linear(sd, rng, l + "attention.output.dense", d.hidden, d.hidden);
    put(sd, rng, l + "attention.output.LayerNorm.weight", {d.hidden});
    put(sd, rng, l + "attention.output.LayerNorm.bias", {d.hidden});
    put_linear(sd, rng, l + "intermediate.dense", d.hidden, d.intermediate);
    put_linear(sd, rng, l + "output.dense", d.intermediate, d.hidden);
    put(sd, rng, l + "output.LayerNorm.weight", {d.hidden});
    put(sd, rng, l + "output.LayerNorm.bias", {d.hidden});
  }
}

// Embeddings of width `width` under `prefix` + "embeddings.".
void put_embeddings(StateDict& sd, std::mt19937& rng, const std::string& prefix, const Dims& d, int64_t width) {
  put(sd, rng, prefix + "embeddings.word_embeddings.weight", {d.vocab, width});
  put(sd, rng, prefix + "embeddings.position_embeddings.weight", {d.max_positions, width});
  put(sd, rng, prefix + "embeddings.token_type_embeddings.weight", {d.types, width});
  put(sd, rng, prefix + "embeddings.LayerNorm.weight", {width});
  put(sd, rng, prefix + "embeddings.LayerNorm.bias", {width});
}

// ElectraModel's weights as Hugging Face names them, under `prefix` ("" or "electra.").
StateDict electra_base(const Dims& d, const std::string& prefix, uint32_t seed) {
  std::mt19937 rng(seed);
  StateDict sd;
  put_embeddings(sd, rng, prefix, d, d.embedding);
  if (d.embedding != d.hidden) put_linear(sd, rng, prefix + "embeddings_project", d.embedding, d.hidden);
  put_encoder(sd, rng, prefix, d);
  return sd;
}

std::filesystem::path write_folder(const std::string& name, const nlohmann::json& config, const StateDict& sd) {
  auto dir = transformers::testing::temp_dir(name);
  io::write_json(dir / "config.json", config);
  std::vector<Tensor> keep;
  std::vector<io::TensorToWrite> tensors;
  for (const auto& [key, t] : sd) {
    keep.push_back(t.contiguous());
    tensors.push_back({key, DType::Float32, t.shape(), keep.back().raw_data()});
  }
  io::save_safetensors(dir / "model.safetensors", tensors);
  return dir;
}

// A right-padded batch with both segment ids: [2, 7].
models::NamedTensors batch_inputs() {
  return {{"input_ids", Tensor::from_vector(std::vector<int64_t>{2, 17, 42, 98, 5, 3, 60, /**/ 2, 33, 3, 71, 3, 0, 0},
                                            {2, 7})},
          {"attention_mask",
           Tensor::from_vector(std::vector<int64_t>{1, 1, 1, 1, 1, 1, 1, /**/ 1, 1, 1, 1, 1, 0, 0}, {2, 7})},
          {"token_type_ids",
           Tensor::from_vector(std::vector<int64_t>{0, 0, 0, 0, 1, 1, 1, /**/ 0, 0, 0, 1, 1, 0, 0}, {2, 7})}};
}

// The embeddings by hand: word + token type + position (0 .. seq-1), LayerNorm (eps 1e-12 default).
Tensor embeddings_by_hand(const StateDict& sd, const std::string& prefix, const models::NamedTensors& in) {
  Tensor ids = models::find_named(in, "input_ids"), types = models::find_named(in, "token_type_ids");
  const int64_t batch = ids.size(0), seq = ids.size(1);
  Tensor positions = Tensor::arange(0, seq).unsqueeze(0).expand({batch, seq}).contiguous();
  const std::string e = prefix + "embeddings.";
  Tensor x = ops::add(ops::add(ops::embedding(sd.at(e + "word_embeddings.weight"), ids),
                               ops::embedding(sd.at(e + "token_type_embeddings.weight"), types)),
                      ops::embedding(sd.at(e + "position_embeddings.weight"), positions));
  return ops::layer_norm(x, sd.at(e + "LayerNorm.weight"), sd.at(e + "LayerNorm.bias"), 1e-12);
}

Tensor linear_of(const StateDict& sd, const std::string& key, const Tensor& x) {
  return ops::linear(x, sd.at(key + ".weight"), sd.at(key + ".bias"));
}

std::string load_error(const std::filesystem::path& dir) {
  try {
    models::AutoModel::from_pretrained(dir);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(ElectraConfigTest, DefaultsAreHuggingFaces) {
  electra::ElectraConfig c = electra::ElectraConfig::from_json(nlohmann::json::object());
  EXPECT_EQ(c.vocab_size, 30522);
  EXPECT_EQ(c.embedding_size, 128);
  EXPECT_EQ(c.hidden_size, 256);
  EXPECT_EQ(c.num_hidden_layers, 12);
  EXPECT_EQ(c.num_attention_heads, 4);
  EXPECT_EQ(c.intermediate_size, 1024);
  EXPECT_EQ(c.hidden_act, "gelu");
  EXPECT_EQ(c.max_position_embeddings, 512);
  EXPECT_EQ(c.type_vocab_size, 2);
  EXPECT_DOUBLE_EQ(c.layer_norm_eps, 1e-12);
  EXPECT_DOUBLE_EQ(c.initializer_range, 0.02);
  EXPECT_EQ(c.summary_type, "first");
  EXPECT_EQ(c.pad_token_id, 0);
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_EQ(c.num_labels, 2);
  EXPECT_FALSE(c.classifier_dropout.has_value());
}

TEST(ElectraConfigTest, ErrorsNameTheField) {
  auto message = [](const nlohmann::json& j) -> std::string {
    try {
      electra::ElectraConfig::from_json(j);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(message({{"embedding_size", 0}}).find("'embedding_size'"), std::string::npos);
  EXPECT_NE(message({{"embedding_size", "wide"}}).find("'embedding_size' must be an integer"), std::string::npos);
  EXPECT_NE(message({{"hidden_size", 30}, {"num_attention_heads", 4}}).find("'hidden_size'"), std::string::npos);
  EXPECT_NE(message({{"hidden_act", "swoosh"}}).find("'hidden_act'"), std::string::npos);
}

TEST(ElectraModelTest, EqualsBertModelWhenEmbeddingSizeIsHiddenSize) {
  // Same weights: ElectraModel's under "electra.", BertModel's the same tensors under "bert." (plus
  // the pooler BertModel has and ELECTRA has not). With no projection the two are one computation.
  autograd::NoGradGuard no_grad;
  Dims d;
  d.embedding = d.hidden;
  StateDict ours = electra_base(d, "electra.", 11);
  StateDict bert_sd;
  for (const auto& [key, t] : ours) bert_sd["bert." + key.substr(std::string("electra.").size())] = t;
  std::mt19937 rng(12);
  put_linear(bert_sd, rng, "bert.pooler.dense", d.hidden, d.hidden);
  nlohmann::json bert_config = electra_config("BertModel", d);
  bert_config["model_type"] = "bert";
  bert_config.erase("embedding_size");
  auto electra_model = models::AutoModel::from_pretrained(
      write_folder("electra_as_bert", electra_config("ElectraModel", d), ours));
  auto bert_model = models::AutoModel::from_pretrained(write_folder("bert_as_electra", bert_config, bert_sd));

  models::NamedTensors a = electra_model->forward_named(batch_inputs(), true);
  models::NamedTensors b = bert_model->forward_named(batch_inputs(), true);
  EXPECT_EQ(a.size(), size_t(1 + d.layers + 1));  // last_hidden_state, hidden_states.0 .. .2; no pooler
  for (const char* name : {"last_hidden_state", "hidden_states.0", "hidden_states.1", "hidden_states.2"}) {
    ASSERT_TRUE(models::find_named(a, name).defined()) << name;
    EXPECT_TRUE(tensors_close(models::find_named(a, name), models::find_named(b, name), 1e-6, 1e-6, name));
  }
  EXPECT_FALSE(models::find_named(a, "pooler_output").defined());
}

TEST(ElectraModelTest, ProjectedEmbeddingsFeedBertsEncoder) {
  // embedding_size 16 != hidden_size 32: ops-built embeddings (16 wide) -> embeddings_project ->
  // the encoder of a BertModel bound to the same layer weights.
  autograd::NoGradGuard no_grad;
  Dims d;
  StateDict sd = electra_base(d, "", 21);
  auto model = models::AutoModel::from_pretrained(
      write_folder("electra_projected", electra_config("ElectraModel", d), sd));

  StateDict bert_sd;
  std::mt19937 rng(22);
  put_embeddings(bert_sd, rng, "", d, d.hidden);  // BERT's own (unused here) embeddings
  put_linear(bert_sd, rng, "pooler.dense", d.hidden, d.hidden);
  for (const auto& [key, t] : sd)
    if (key.starts_with("encoder.")) bert_sd[key] = t;
  nlohmann::json bert_config = electra_config("BertModel", d);
  bert_config["model_type"] = "bert";
  auto bert_model = models::bert::BertModel::from_pretrained(
      write_folder("electra_projected_bert", bert_config, bert_sd));

  models::NamedTensors in = batch_inputs();
  Tensor embedded = embeddings_by_hand(sd, "", in);                        // [2, 7, 16]
  Tensor projected = linear_of(sd, "embeddings_project", embedded);        // [2, 7, 32]
  Tensor expected = bert_model->encoder.forward(projected, models::find_named(in, "attention_mask"), nullptr);

  models::NamedTensors out = model->forward_named(in, true);
  EXPECT_TRUE(tensors_close(models::find_named(out, "hidden_states.0"), projected, 1e-5, 1e-5, "hidden_states.0"));
  EXPECT_TRUE(tensors_close(models::find_named(out, "last_hidden_state"), expected, 1e-5, 1e-5, "last_hidden_state"));
  EXPECT_EQ(models::find_named(out, "last_hidden_state").shape(), (Shape{2, 7, 32}));
}

namespace {

// A head checkpoint: the base model under "electra." (hidden_act relu, so heads fixed to gelu
// differ visibly from hidden_act) plus `head`'s weights; returns the folder and the weights.
std::pair<std::filesystem::path, StateDict> head_folder(const std::string& architecture, const nlohmann::json& extra,
                                                        void (*head)(StateDict&, std::mt19937&, const Dims&)) {
  Dims d;
  StateDict sd = electra_base(d, "electra.", 31);
  std::mt19937 rng(32);
  head(sd, rng, d);
  nlohmann::json config = electra_config(architecture, d, {{"hidden_act", "relu"}});
  if (extra.is_object()) config.update(extra);
  return {write_folder("electra_head_" + architecture, config, sd), sd};
}

template <typename Model>
std::pair<Tensor, models::NamedTensors> base_and_head(const std::filesystem::path& dir) {
  auto model = Model::from_pretrained(dir);
  models::NamedTensors in = batch_inputs();
  electra::ElectraInputs inputs{models::find_named(in, "input_ids"), models::find_named(in, "attention_mask"),
                                models::find_named(in, "token_type_ids"), Tensor(), false};
  Tensor base = model->electra.forward(inputs).last_hidden_state;  // [2, 7, 32]
  return {base, model->forward_named(in, false)};
}

}  // namespace

TEST(ElectraHeadsTest, MaskedLMIsGeluDenseLayerNormThenTiedMatmulPlusBias) {
  autograd::NoGradGuard no_grad;
  auto [dir, sd] = head_folder("ElectraForMaskedLM", {}, [](StateDict& sd, std::mt19937& rng, const Dims& d) {
    put_linear(sd, rng, "generator_predictions.dense", d.hidden, d.embedding);
    put(sd, rng, "generator_predictions.LayerNorm.weight", {d.embedding});
    put(sd, rng, "generator_predictions.LayerNorm.bias", {d.embedding});
    put(sd, rng, "generator_lm_head.bias", {d.vocab});
  });
  auto [base, out] = base_and_head<electra::ElectraForMaskedLM>(dir);
  Tensor h = ops::gelu(linear_of(sd, "generator_predictions.dense", base));  // [2, 7, 16]
  h = ops::layer_norm(h, sd.at("generator_predictions.LayerNorm.weight"), sd.at("generator_predictions.LayerNorm.bias"),
                      1e-12);
  Tensor expected = ops::add(ops::matmul(h, sd.at("electra.embeddings.word_embeddings.weight").transpose(0, 1)),
                             sd.at("generator_lm_head.bias"));  // [2, 7, 99]
  EXPECT_TRUE(tensors_close(models::find_named(out, "logits"), expected, 1e-4, 1e-4, "masked LM logits"));
}

TEST(ElectraHeadsTest, UntiedMaskedLMUsesItsOwnHeadWeight) {
  autograd::NoGradGuard no_grad;
  auto [dir, sd] = head_folder("ElectraForMaskedLM", {{"tie_word_embeddings", false}},
                               [](StateDict& sd, std::mt19937& rng, const Dims& d) {
                                 put_linear(sd, rng, "generator_predictions.dense", d.hidden, d.embedding);
                                 put(sd, rng, "generator_predictions.LayerNorm.weight", {d.embedding});
                                 put(sd, rng, "generator_predictions.LayerNorm.bias", {d.embedding});
                                 put_linear(sd, rng, "generator_lm_head", d.embedding, d.vocab);
                               });
  auto [base, out] = base_and_head<electra::ElectraForMaskedLM>(dir);
  Tensor h = ops::gelu(linear_of(sd, "generator_predictions.dense", base));
  h = ops::layer_norm(h, sd.at("generator_predictions.LayerNorm.weight"), sd.at("generator_predictions.LayerNorm.bias"),
                      1e-12);
  EXPECT_TRUE(tensors_close(models::find_named(out, "logits"), linear_of(sd, "generator_lm_head", h), 1e-4, 1e-4,
                            "untied masked LM logits"));
}

TEST(ElectraHeadsTest, PreTrainingIsOneLogitPerTokenThroughHiddenAct) {
  autograd::NoGradGuard no_grad;
  auto [dir, sd] = head_folder("ElectraForPreTraining", {}, [](StateDict& sd, std::mt19937& rng, const Dims& d) {
    put_linear(sd, rng, "discriminator_predictions.dense", d.hidden, d.hidden);
    put_linear(sd, rng, "discriminator_predictions.dense_prediction", d.hidden, 1);
  });
  auto [base, out] = base_and_head<electra::ElectraForPreTraining>(dir);
  Tensor h = ops::relu(linear_of(sd, "discriminator_predictions.dense", base));  // hidden_act "relu"
  Tensor expected = linear_of(sd, "discriminator_predictions.dense_prediction", h).squeeze(-1);  // [2, 7]
  Tensor logits = models::find_named(out, "logits");
  EXPECT_EQ(logits.shape(), (Shape{2, 7}));
  EXPECT_TRUE(tensors_close(logits, expected, 1e-5, 1e-5, "replaced-token logits"));
}

TEST(ElectraHeadsTest, SequenceClassificationIsGeluHeadOnTheFirstToken) {
  autograd::NoGradGuard no_grad;
  auto [dir, sd] = head_folder("ElectraForSequenceClassification", {{"num_labels", 3}},
                               [](StateDict& sd, std::mt19937& rng, const Dims& d) {
                                 put_linear(sd, rng, "classifier.dense", d.hidden, d.hidden);
                                 put_linear(sd, rng, "classifier.out_proj", d.hidden, 3);
                               });
  auto [base, out] = base_and_head<electra::ElectraForSequenceClassification>(dir);
  Tensor first = base.select(1, 0);  // [2, 32]
  Tensor expected = linear_of(sd, "classifier.out_proj", ops::gelu(linear_of(sd, "classifier.dense", first)));
  EXPECT_TRUE(tensors_close(models::find_named(out, "logits"), expected, 1e-5, 1e-5, "sequence logits"));
}

TEST(ElectraHeadsTest, TokenClassificationAndQuestionAnsweringAreLinearOnEveryToken) {
  autograd::NoGradGuard no_grad;
  {
    auto [dir, sd] = head_folder("ElectraForTokenClassification", {{"num_labels", 5}},
                                 [](StateDict& sd, std::mt19937& rng, const Dims& d) {
                                   put_linear(sd, rng, "classifier", d.hidden, 5);
                                 });
    auto [base, out] = base_and_head<electra::ElectraForTokenClassification>(dir);
    EXPECT_TRUE(tensors_close(models::find_named(out, "logits"), linear_of(sd, "classifier", base), 1e-5, 1e-5,
                              "token logits"));
  }
  {
    auto [dir, sd] = head_folder("ElectraForQuestionAnswering", {},
                                 [](StateDict& sd, std::mt19937& rng, const Dims& d) {
                                   put_linear(sd, rng, "qa_outputs", d.hidden, 2);
                                 });
    auto [base, out] = base_and_head<electra::ElectraForQuestionAnswering>(dir);
    Tensor both = linear_of(sd, "qa_outputs", base);  // [2, 7, 2]
    EXPECT_TRUE(tensors_close(models::find_named(out, "start_logits"), both.select(2, 0).contiguous(), 1e-5, 1e-5,
                              "start_logits"));
    EXPECT_TRUE(tensors_close(models::find_named(out, "end_logits"), both.select(2, 1).contiguous(), 1e-5, 1e-5,
                              "end_logits"));
  }
}

TEST(ElectraLoadingTest, CheckpointsWithAndWithoutThePrefixLoadIntoElectraModel) {
  autograd::NoGradGuard no_grad;
  Dims d;
  StateDict bare = electra_base(d, "", 41);
  StateDict prefixed;
  for (const auto& [key, t] : bare) prefixed["electra." + key] = t;
  // A discriminator checkpoint (ElectraForPreTraining) also carries its head, which ElectraModel
  // leaves unused, as Hugging Face does.
  std::mt19937 rng(42);
  put_linear(prefixed, rng, "discriminator_predictions.dense", d.hidden, d.hidden);
  put_linear(prefixed, rng, "discriminator_predictions.dense_prediction", d.hidden, 1);
  auto a = models::AutoModel::from_pretrained(write_folder("electra_bare", electra_config("ElectraModel", d), bare));
  auto b = models::AutoModel::from_pretrained(
      write_folder("electra_prefixed", electra_config("ElectraModel", d), prefixed));
  EXPECT_TRUE(tensors_close(models::find_named(a->forward_named(batch_inputs(), false), "last_hidden_state"),
                            models::find_named(b->forward_named(batch_inputs(), false), "last_hidden_state"), 0, 0,
                            "prefixed vs bare"));
}

TEST(ElectraLoadingTest, MissingAndUnexpectedKeysAreNamed) {
  Dims d;
  // Missing: a layer bias, the projection (embedding_size != hidden_size), a head's weight.
  StateDict sd = electra_base(d, "electra.", 51);
  std::mt19937 rng(52);
  put_linear(sd, rng, "classifier", d.hidden, 2);
  StateDict no_bias = sd;
  no_bias.erase("electra.encoder.layer.1.output.dense.bias");
  EXPECT_NE(load_error(write_folder("electra_missing_bias",
                                    electra_config("ElectraForTokenClassification", d), no_bias))
                .find("electra.encoder.layer.1.output.dense.bias"),
            std::string::npos);
  StateDict no_project = sd;
  no_project.erase("electra.embeddings_project.weight");
  EXPECT_NE(load_error(write_folder("electra_missing_project", electra_config("ElectraForTokenClassification", d),
                                    no_project))
                .find("electra.embeddings_project.weight"),
            std::string::npos);
  // A generator (masked-LM) checkpoint has no discriminator head for ElectraForPreTraining.
  EXPECT_NE(load_error(write_folder("electra_missing_head", electra_config("ElectraForPreTraining", d), sd))
                .find("discriminator_predictions.dense.weight"),
            std::string::npos);

  // Unexpected: a projection when embedding_size == hidden_size (HF has none then), a pooler.
  Dims same;
  same.embedding = same.hidden;
  StateDict square = electra_base(same, "", 53);
  put_linear(square, rng, "embeddings_project", same.hidden, same.hidden);
  std::string e = load_error(write_folder("electra_extra_project", electra_config("ElectraModel", same), square));
  EXPECT_NE(e.find("embeddings_project.bias, embeddings_project.weight"), std::string::npos) << e;
  StateDict pooled = electra_base(d, "", 54);
  put_linear(pooled, rng, "pooler.dense", d.hidden, d.hidden);
  e = load_error(write_folder("electra_extra_pooler", electra_config("ElectraModel", d), pooled));
  EXPECT_NE(e.find("pooler.dense.bias, pooler.dense.weight"), std::string::npos) << e;
  // A mis-shaped tensor names the key and both shapes.
  StateDict wide = electra_base(d, "", 55);
  put(wide, rng, "embeddings.LayerNorm.weight", {d.hidden});
  e = load_error(write_folder("electra_wide_norm", electra_config("ElectraModel", d), wide));
  EXPECT_NE(e.find("embeddings.LayerNorm.weight"), std::string::npos) << e;
  EXPECT_NE(e.find("[16]"), std::string::npos) << e;
}

TEST(ElectraLoadingTest, SavedParametersHaveHuggingFaceNamesAndLoadBack) {
  autograd::NoGradGuard no_grad;
  Dims d;
  auto dir = transformers::testing::temp_dir("electra_roundtrip");
  io::write_json(dir / "config.json", electra_config("ElectraForMaskedLM", d));
  auto random = models::AutoModel::from_pretrained(dir, {.random_weights = true, .seed = 9});
  StateDict saved;
  for (const auto& [key, t] : random->named_parameters()) saved[key] = t;
  // Hugging Face's state_dict minus the tied generator_lm_head.weight: 5 embedding tensors, the
  // projection's 2, 16 per layer, the generator head's 4 and the LM bias.
  StateDict expected = electra_base(d, "electra.", 0);
  std::mt19937 rng(0);
  put_linear(expected, rng, "generator_predictions.dense", d.hidden, d.embedding);
  put(expected, rng, "generator_predictions.LayerNorm.weight", {d.embedding});
  put(expected, rng, "generator_predictions.LayerNorm.bias", {d.embedding});
  put(expected, rng, "generator_lm_head.bias", {d.vocab});
  ASSERT_EQ(saved.size(), size_t(5 + 2 + 16 * d.layers + 4 + 1));
  ASSERT_EQ(saved.size(), expected.size());
  for (const auto& [key, t] : expected) {
    ASSERT_TRUE(saved.count(key)) << key;
    EXPECT_EQ(saved.at(key).shape(), t.shape()) << key;
  }
  auto loaded = models::AutoModel::from_pretrained(
      write_folder("electra_roundtrip_loaded", electra_config("ElectraForMaskedLM", d), saved));
  EXPECT_TRUE(tensors_close(models::find_named(loaded->forward_named(batch_inputs(), false), "logits"),
                            models::find_named(random->forward_named(batch_inputs(), false), "logits"), 0, 0,
                            "reloaded logits"));
}

TEST(ElectraModelTest, AutoModelKnowsEveryElectraClass) {
  std::vector<std::string> names = models::supported_architectures();
  for (const char* arch : {"ElectraModel", "ElectraForPreTraining", "ElectraForMaskedLM",
                           "ElectraForSequenceClassification", "ElectraForTokenClassification",
                           "ElectraForQuestionAnswering"})
    EXPECT_NE(std::find(names.begin(), names.end(), arch), names.end()) << arch;
  // model_type alone picks the base model, as HF's AutoModel does.
  auto dir = transformers::testing::temp_dir("electra_model_type_only");
  nlohmann::json config = electra_config("ElectraModel", Dims{});
  config.erase("architectures");
  io::write_json(dir / "config.json", config);
  auto model = models::AutoModel::from_pretrained(dir, {.random_weights = true});
  EXPECT_NE(dynamic_cast<electra::ElectraModel*>(model.get()), nullptr);
}
