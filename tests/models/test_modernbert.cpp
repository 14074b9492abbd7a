// ModernBERT parity with Hugging Face transformers' outputs (../shared/fixtures/models/modernbert_mlm):
// global/local attention alternation with a window shorter than the input, rotary thetas per
// attention type, GeGLU, bias-free norms, tied decoder; all positions of a right-padded batch.
// The classification heads are checked against the same reference through weights built from the
// masked-LM checkpoint, and config errors name the field.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "models/encoder_parity.h"
#include "transformers/core/error.h"

using namespace transformers;
using transformers::testing::check_encoder_parity;
using transformers::testing::check_padding_invariance;
using transformers::testing::load_reference;
using transformers::testing::shared_path;
using transformers::testing::tensors_close;

namespace {

// A model folder whose weights are modernbert_mlm's with the decoder replaced by a classifier made
// of the first `num_labels` decoder rows (tied embeddings) and biases: the classifier's logits are
// then the masked-LM logits of those vocabulary entries.
std::filesystem::path classifier_from_mlm(const std::string& name, const std::string& architecture, int64_t num_labels,
                                          const std::string& pooling = "cls") {
  auto src = shared_path("fixtures/models/modernbert_mlm");
  auto dir = transformers::testing::temp_dir(name);
  nlohmann::json config = io::read_json(src / "config.json");
  config["architectures"] = {architecture};
  config["num_labels"] = num_labels;
  config["classifier_pooling"] = pooling;
  io::write_json(dir / "config.json", config);
  io::SafetensorsFile mlm = io::SafetensorsFile::open(src / "model.safetensors");
  std::vector<io::TensorToWrite> tensors;
  for (const io::TensorView& t : mlm.tensors()) {
    if (t.name == "decoder.bias") {
      tensors.push_back({"classifier.bias", t.dtype, {num_labels}, t.data});
    } else {
      tensors.push_back({t.name, t.dtype, t.shape, t.data});
      if (t.name == "model.embeddings.tok_embeddings.weight")
        tensors.push_back({"classifier.weight", t.dtype, {num_labels, t.shape[1]}, t.data});
    }
  }
  io::save_safetensors(dir / "model.safetensors", tensors);
  return dir;
}

}  // namespace

TEST(ModernBertParityTest, ModernBertForMaskedLMMatchesTransformers) {
  TFM_SKIP_WITHOUT_SHARED();
  check_encoder_parity("modernbert_mlm");
}

TEST(ModernBertModelTest, PaddingDoesNotLeakIntoRealTokens) {
  TFM_SKIP_WITHOUT_SHARED();
  check_padding_invariance("modernbert_mlm", "logits");
}

TEST(ModernBertModelTest, TokenClassificationHeadMatchesTransformersLogits) {
  TFM_SKIP_WITHOUT_SHARED();
  autograd::NoGradGuard no_grad;
  auto model = models::AutoModel::from_pretrained(
      classifier_from_mlm("modernbert_tokcls", "ModernBertForTokenClassification", 5));
  io::SafetensorsFile ref = io::SafetensorsFile::open(
      shared_path("fixtures/models/modernbert_mlm/reference.safetensors"));
  Tensor logits = models::find_named(
      model->forward_named(transformers::testing::fixture_inputs("modernbert_mlm"), false), "logits");
  Tensor expected = load_reference(ref, "logits").narrow(2, 0, 5).contiguous();  // [2, 12, 5]
  EXPECT_TRUE(tensors_close(logits, expected, 1e-4, 1e-4, "token classification logits"));
}

TEST(ModernBertModelTest, SequenceClassificationClsPoolingMatchesTransformersLogits) {
  TFM_SKIP_WITHOUT_SHARED();
  autograd::NoGradGuard no_grad;
  auto model = models::AutoModel::from_pretrained(
      classifier_from_mlm("modernbert_seqcls", "ModernBertForSequenceClassification", 3));
  io::SafetensorsFile ref = io::SafetensorsFile::open(
      shared_path("fixtures/models/modernbert_mlm/reference.safetensors"));
  Tensor logits = models::find_named(
      model->forward_named(transformers::testing::fixture_inputs("modernbert_mlm"), false), "logits");
  Tensor expected = load_reference(ref, "logits").select(1, 0).narrow(1, 0, 3).contiguous();  // [2, 3]
  EXPECT_TRUE(tensors_close(logits, expected, 1e-4, 1e-4, "sequence classification logits"));
}

TEST(ModernBertModelTest, MeanPoolingAveragesRealTokensOnly) {
  TFM_SKIP_WITHOUT_SHARED();
  autograd::NoGradGuard no_grad;
  // With mean pooling, extra padding after a sequence must not change its logits.
  auto model = models::AutoModel::from_pretrained(
      classifier_from_mlm("modernbert_seqcls_mean", "ModernBertForSequenceClassification", 3, "mean"));
  Tensor ids = Tensor::from_vector(std::vector<int64_t>{2, 40, 41, 42, 3}, {1, 5});
  Tensor alone = models::find_named(model->forward_named({{"input_ids", ids}}, false), "logits");
  Tensor padded_ids = Tensor::from_vector(std::vector<int64_t>{2, 40, 41, 42, 3, 0, 0, 0}, {1, 8});
  Tensor mask = Tensor::from_vector(std::vector<int64_t>{1, 1, 1, 1, 1, 0, 0, 0}, {1, 8});
  Tensor padded = models::find_named(model->forward_named({{"input_ids", padded_ids}, {"attention_mask", mask}}, false),
                                     "logits");
  EXPECT_TRUE(tensors_close(padded, alone, 1e-5, 1e-5, "mean pooling with padding"));
}

TEST(ModernBertModelTest, PaddedQueriesWithAFullyPaddedWindowStayFinite) {
  TFM_SKIP_WITHOUT_SHARED();
  autograd::NoGradGuard no_grad;
  // local_attention 8: the last padded queries see only padding within +-4; HF then averages over
  // every key (all scores equal the dtype minimum), which is finite.
  auto model = models::AutoModel::from_pretrained(shared_path("fixtures/models/modernbert_mlm"));
  std::vector<int64_t> ids(16, 0), mask(16, 0);
  for (int i = 0; i < 3; ++i) ids[i] = 2 + i, mask[i] = 1;
  Tensor logits = models::find_named(model->forward_named({{"input_ids", Tensor::from_vector(ids, {1, 16})},
                                                           {"attention_mask", Tensor::from_vector(mask, {1, 16})}},
                                                          false),
                                     "logits");
  for (float v : logits.to_vector<float>()) ASSERT_TRUE(std::isfinite(v));
}

TEST(ModernBertModelTest, ConfigErrorsNameTheField) {
  auto dir = transformers::testing::temp_dir("modernbert_bad_config");
  auto message = [&](const std::string& text) -> std::string {
    std::ofstream(dir / "config.json") << text;
    try {
      models::AutoModel::from_pretrained(dir, {.random_weights = true});
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(message(R"({"architectures": ["ModernBertForMaskedLM"], "local_attention": "wide"})")
                .find("'local_attention' must be an integer"),
            std::string::npos);
  EXPECT_NE(message(R"({"architectures": ["ModernBertForMaskedLM"], "global_attn_every_n_layers": 0})")
                .find("'global_attn_every_n_layers' must be positive"),
            std::string::npos);
  EXPECT_NE(message(R"({"architectures": ["ModernBertForMaskedLM"], "norm_bias": 1})")
                .find("'norm_bias' must be true or false"),
            std::string::npos);
  EXPECT_NE(message(R"({"architectures": ["ModernBertForSequenceClassification"], "classifier_pooling": "max"})")
                .find("'classifier_pooling' must be 'cls' or 'mean'"),
            std::string::npos);
  EXPECT_NE(message(R"({"architectures": ["ModernBertForMaskedLM"], "classifier_activation": "swoosh"})")
                .find("'classifier_activation'"),
            std::string::npos);
  EXPECT_EQ(message(R"({"architectures": ["ModernBertForMaskedLM"], "vocab_size": 100, "hidden_size": 32,
                        "intermediate_size": 48, "num_hidden_layers": 2, "num_attention_heads": 4})"),
            "");
}

TEST(ModernBertModelTest, TaskCheckpointsLoadAsTheBaseModel) {
  TFM_SKIP_WITHOUT_SHARED();
  // HF's AutoModel on a head's folder: the base model, the head's weights left unused.
  transformers::testing::check_base_model_of_head_checkpoint("modernbert_mlm");
}
