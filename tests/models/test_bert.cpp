// BERT parity with Hugging Face transformers' outputs (../shared/fixtures/models/bert_*): every
// head, all positions of a right-padded batch, every hidden state; plus padding invariance,
// strict loading and config/input errors.
#include <gtest/gtest.h>

#include <fstream>

#include "models/encoder_parity.h"
#include "transformers/core/error.h"

using namespace transformers;
using transformers::testing::check_encoder_parity;
using transformers::testing::check_padding_invariance;
using transformers::testing::shared_path;

TEST(BertParityTest, BertModelMatchesTransformers) {
  TFM_SKIP_WITHOUT_SHARED();
  check_encoder_parity("bert_base");
}

TEST(BertParityTest, BertForMaskedLMMatchesTransformers) {
  TFM_SKIP_WITHOUT_SHARED();
  check_encoder_parity("bert_mlm");
}

TEST(BertParityTest, BertForSequenceClassificationMatchesTransformers) {
  TFM_SKIP_WITHOUT_SHARED();
  check_encoder_parity("bert_seqcls");
}

TEST(BertParityTest, BertForTokenClassificationMatchesTransformers) {
  TFM_SKIP_WITHOUT_SHARED();
  check_encoder_parity("bert_tokcls");
}

TEST(BertParityTest, BertForQuestionAnsweringMatchesTransformers) {
  TFM_SKIP_WITHOUT_SHARED();
  check_encoder_parity("bert_qa");
}

TEST(BertModelTest, PaddingDoesNotLeakIntoRealTokens) {
  TFM_SKIP_WITHOUT_SHARED();
  check_padding_invariance("bert_base", "last_hidden_state");
  check_padding_invariance("bert_base", "pooler_output");
  check_padding_invariance("bert_seqcls", "logits");
  check_padding_invariance("bert_qa", "start_logits");
  check_padding_invariance("bert_qa", "end_logits");
}

TEST(BertModelTest, OmittedInputsTakeHuggingFaceDefaults) {
  TFM_SKIP_WITHOUT_SHARED();
  autograd::NoGradGuard no_grad;
  auto model = models::AutoModel::from_pretrained(shared_path("fixtures/models/bert_base"));
  Tensor ids = Tensor::from_vector(std::vector<int64_t>{2, 17, 42, 99, 3}, {1, 5});
  Tensor explicit_out = models::find_named(
      model->forward_named({{"input_ids", ids},
                            {"attention_mask", Tensor::ones({1, 5}, DType::Int64)},
                            {"token_type_ids", Tensor::zeros({1, 5}, DType::Int64)}},
                           false),
      "last_hidden_state");
  Tensor implicit_out = models::find_named(model->forward_named({{"input_ids", ids}}, false), "last_hidden_state");
  EXPECT_TRUE(transformers::testing::tensors_close(implicit_out, explicit_out, 0, 0, "defaults"));
  // A different segment id must change the result (the token_type embedding is used).
  Tensor other = models::find_named(
      model->forward_named({{"input_ids", ids}, {"token_type_ids", Tensor::ones({1, 5}, DType::Int64)}}, false),
      "last_hidden_state");
  EXPECT_FALSE(transformers::testing::tensors_close(other, explicit_out, 1e-3, 0, "segments"));
}

TEST(BertModelTest, StrictLoadingNamesTheMissingTensor) {
  TFM_SKIP_WITHOUT_SHARED();
  // The masked-LM checkpoint has no classifier: loading it as a sequence classifier must fail
  // naming the key, not run with made-up weights.
  auto dir = transformers::testing::temp_dir("bert_missing_head");
  auto src = shared_path("fixtures/models/bert_mlm");
  nlohmann::json config = io::read_json(src / "config.json");
  config["architectures"] = {"BertForSequenceClassification"};
  io::write_json(dir / "config.json", config);
  std::filesystem::create_symlink(src / "model.safetensors", dir / "model.safetensors");
  try {
    models::AutoModel::from_pretrained(dir);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bert.pooler.dense.weight"), std::string::npos) << e.what();
  }
}

TEST(BertModelTest, HeadCheckpointsLoadAsTheBaseModel) {
  TFM_SKIP_WITHOUT_SHARED();
  // HF's AutoModel on a head's folder (feature extraction on bert-base-uncased, a BertForMaskedLM):
  // the "bert." weights bind into BertModel and the head's are left unused.
  for (const char* c : {"bert_mlm", "bert_seqcls", "bert_tokcls", "bert_qa"})
    transformers::testing::check_base_model_of_head_checkpoint(c);
  // BertForMaskedLM saves no pooler: the base model then has none (HF would make a random one).
  autograd::NoGradGuard no_grad;
  auto mlm = models::AutoModel::base_model_from_pretrained(shared_path("fixtures/models/bert_mlm"));
  EXPECT_FALSE(models::find_named(mlm->forward_named(transformers::testing::fixture_inputs("bert_mlm"), false),
                                  "pooler_output").defined());
}

TEST(BertModelTest, UnknownTensorsUnderTheBasePrefixAreStillReported) {
  TFM_SKIP_WITHOUT_SHARED();
  // Only the head's weights are left unused: a stray tensor among the "bert." ones is an error.
  auto dir = transformers::testing::temp_dir("bert_prefixed_stray");
  auto src = shared_path("fixtures/models/bert_seqcls");
  nlohmann::json config = io::read_json(src / "config.json");
  config["architectures"] = {"BertModel"};
  io::write_json(dir / "config.json", config);
  io::SafetensorsFile file = io::SafetensorsFile::open(src / "model.safetensors");
  std::vector<io::TensorToWrite> tensors;
  for (const io::TensorView& v : file.tensors()) tensors.push_back({v.name, v.dtype, v.shape, v.data});
  const float stray[2] = {1.0f, 2.0f};
  tensors.push_back({"bert.encoder.stray", DType::Float32, {2}, stray});
  io::save_safetensors(dir / "model.safetensors", tensors);
  try {
    models::AutoModel::from_pretrained(dir);
    FAIL() << "expected the stray tensor to be reported";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unexpected tensors in the checkpoint: bert.encoder.stray"), std::string::npos)
        << e.what();
  }
}

TEST(BertModelTest, BadInputsAreRejectedClearly) {
  TFM_SKIP_WITHOUT_SHARED();
  autograd::NoGradGuard no_grad;
  auto model = models::AutoModel::from_pretrained(shared_path("fixtures/models/bert_base"));
  auto message = [&](const models::NamedTensors& in) -> std::string {
    try {
      model->forward_named(in, false);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  Tensor ids = Tensor::zeros({1, 4}, DType::Int64);
  EXPECT_NE(message({{"input_ids", ids}, {"pixel_values", ids}}).find("not 'pixel_values'"), std::string::npos);
  EXPECT_NE(message({{"attention_mask", ids}}).find("input_ids is required"), std::string::npos);
  EXPECT_NE(message({{"input_ids", ids}, {"attention_mask", Tensor::ones({1, 5}, DType::Int64)}})
                .find("attention_mask must be [1, 4]"),
            std::string::npos);
  // max_position_embeddings is 64 in the fixture
  EXPECT_NE(message({{"input_ids", Tensor::zeros({1, 65}, DType::Int64)}}).find("exceeds max_position_embeddings (64)"),
            std::string::npos);
}

TEST(BertModelTest, ConfigErrorsNameTheField) {
  auto dir = transformers::testing::temp_dir("bert_bad_config");
  auto message = [&](const std::string& text) -> std::string {
    std::ofstream(dir / "config.json") << text;
    try {
      models::AutoModel::from_pretrained(dir, {.random_weights = true});
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(message(R"({"architectures": ["BertModel"], "hidden_size": "big"})")
                .find("'hidden_size' must be an integer"),
            std::string::npos);
  EXPECT_NE(message(R"({"architectures": ["BertModel"], "layer_norm_eps": "tiny"})")
                .find("'layer_norm_eps' must be a number"),
            std::string::npos);
  EXPECT_NE(message(R"({"architectures": ["BertModel"], "hidden_size": 30, "num_attention_heads": 4})")
                .find("'hidden_size' (30) must be divisible by num_attention_heads (4)"),
            std::string::npos);
  EXPECT_NE(message(R"({"architectures": ["BertModel"], "position_embedding_type": "relative_key"})")
                .find("'position_embedding_type' 'relative_key' is not supported"),
            std::string::npos);
  EXPECT_NE(message(R"({"architectures": ["BertModel"], "hidden_act": "swoosh"})").find("'hidden_act'"),
            std::string::npos);
  // A valid config builds (random weights).
  EXPECT_EQ(message(R"({"architectures": ["BertForSequenceClassification"], "num_hidden_layers": 1,
                        "vocab_size": 100, "hidden_size": 32, "intermediate_size": 64, "num_attention_heads": 4,
                        "id2label": {"0": "a", "1": "b", "2": "c"}})"),
            "");
}
