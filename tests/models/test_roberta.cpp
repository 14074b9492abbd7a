// RoBERTa parity with Hugging Face transformers' outputs (../shared/fixtures/models/roberta_*):
// masked LM and sequence classification, all positions of a right-padded batch, every hidden
// state; position ids counted from padding_idx + 1; padding invariance and errors.
#include <gtest/gtest.h>

#include <fstream>

#include "models/encoder_parity.h"
#include "transformers/core/error.h"
#include "transformers/models/roberta/modeling_roberta.h"

using namespace transformers;
using transformers::testing::check_encoder_parity;
using transformers::testing::check_padding_invariance;
using transformers::testing::shared_path;

TEST(RobertaParityTest, RobertaForMaskedLMMatchesTransformers) {
  TFM_SKIP_WITHOUT_SHARED();
  check_encoder_parity("roberta_mlm");
}

TEST(RobertaParityTest, RobertaForSequenceClassificationMatchesTransformers) {
  TFM_SKIP_WITHOUT_SHARED();
  check_encoder_parity("roberta_seqcls");
}

TEST(RobertaModelTest, PositionIdsStartAfterPaddingIdxAndSkipPadding) {
  // padding_idx 1: real tokens count 2, 3, ...; pad tokens keep 1 wherever they are.
  Tensor ids = Tensor::from_vector(std::vector<int64_t>{0, 5, 6, 2, 1, 1, /**/ 0, 1, 7, 2, 1, 9}, {2, 6});
  EXPECT_EQ(models::roberta::create_position_ids_from_input_ids(ids, 1).to_vector<int64_t>(),
            (std::vector<int64_t>{2, 3, 4, 5, 1, 1, /**/ 2, 1, 3, 4, 1, 5}));
}

TEST(RobertaModelTest, PaddingDoesNotLeakIntoRealTokens) {
  TFM_SKIP_WITHOUT_SHARED();
  check_padding_invariance("roberta_mlm", "logits");
  check_padding_invariance("roberta_seqcls", "logits");
}

TEST(RobertaModelTest, XlmRobertaCheckpointsRunAsRoberta) {
  TFM_SKIP_WITHOUT_SHARED();
  // XLMRobertaForSequenceClassification is RobertaForSequenceClassification under another name
  // (same weights, same computation), so the roberta fixture must reproduce under that name.
  auto dir = transformers::testing::temp_dir("xlm_roberta_seqcls");
  auto src = shared_path("fixtures/models/roberta_seqcls");
  nlohmann::json config = io::read_json(src / "config.json");
  config["architectures"] = {"XLMRobertaForSequenceClassification"};
  config["model_type"] = "xlm-roberta";
  io::write_json(dir / "config.json", config);
  std::filesystem::create_symlink(src / "model.safetensors", dir / "model.safetensors");
  autograd::NoGradGuard no_grad;
  auto model = models::AutoModel::from_pretrained(dir);
  io::SafetensorsFile ref = io::SafetensorsFile::open(src / "reference.safetensors");
  Tensor logits = models::find_named(
      model->forward_named(transformers::testing::fixture_inputs("roberta_seqcls"), false),
      "logits");
  EXPECT_TRUE(transformers::testing::tensors_close(logits, transformers::testing::load_reference(ref, "logits"), 1e-4,
                                                   1e-4, "xlm-roberta logits"));
}

TEST(RobertaModelTest, TooLongInputsAreRejectedClearly) {
  TFM_SKIP_WITHOUT_SHARED();
  autograd::NoGradGuard no_grad;
  // max_position_embeddings 66, pad_token_id 1: at most 64 tokens.
  auto model = models::AutoModel::from_pretrained(shared_path("fixtures/models/roberta_mlm"));
  EXPECT_NO_THROW(model->forward_named({{"input_ids", Tensor::full({1, 64}, 5, DType::Int64)}}, false));
  try {
    model->forward_named({{"input_ids", Tensor::full({1, 65}, 5, DType::Int64)}}, false);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("sequence length 65 exceeds the model's maximum of 64"), std::string::npos)
        << e.what();
  }
}

TEST(RobertaModelTest, ConfigErrorsNameTheField) {
  auto dir = transformers::testing::temp_dir("roberta_bad_config");
  auto message = [&](const std::string& text) -> std::string {
    std::ofstream(dir / "config.json") << text;
    try {
      models::AutoModel::from_pretrained(dir, {.random_weights = true});
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(message(R"({"architectures": ["RobertaForMaskedLM"], "vocab_size": [1]})")
                .find("'vocab_size' must be an integer"),
            std::string::npos);
  EXPECT_NE(message(R"({"architectures": ["RobertaForMaskedLM"], "max_position_embeddings": 2})")
                .find("'pad_token_id'"),
            std::string::npos);
  EXPECT_NE(
      message(R"({"architectures": ["RobertaForSequenceClassification"], "id2label": [1, 2]})")
          .find("'id2label'"),
      std::string::npos);
  EXPECT_EQ(message(R"({"architectures": ["RobertaForSequenceClassification"], "num_hidden_layers": 1,
                        "vocab_size": 100, "hidden_size": 32, "intermediate_size": 64,
                        "num_attention_heads": 4, "num_labels": 5})"),
            "");
}

TEST(RobertaModelTest, TaskCheckpointsLoadAsTheBaseModel) {
  TFM_SKIP_WITHOUT_SHARED();
  // HF's AutoModel on a head's folder: the base model, the head's weights left unused.
  for (const char* c : {"roberta_mlm", "roberta_seqcls"})
    transformers::testing::check_base_model_of_head_checkpoint(c);
}
