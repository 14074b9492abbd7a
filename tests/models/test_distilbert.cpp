// DistilBERT parity with Hugging Face transformers' outputs (../shared/fixtures/models/distilbert_*):
// masked LM and sequence classification, all positions of a right-padded batch, every hidden
// state; padding invariance, inputs and config errors.
#include <gtest/gtest.h>

#include <fstream>

#include "models/encoder_parity.h"
#include "transformers/core/error.h"

using namespace transformers;
using transformers::testing::check_encoder_parity;
using transformers::testing::check_padding_invariance;
using transformers::testing::shared_path;

TEST(DistilBertParityTest, DistilBertForMaskedLMMatchesTransformers) {
  TFM_SKIP_WITHOUT_SHARED();
  check_encoder_parity("distilbert_mlm");
}

TEST(DistilBertParityTest, DistilBertForSequenceClassificationMatchesTransformers) {
  TFM_SKIP_WITHOUT_SHARED();
  check_encoder_parity("distilbert_seqcls");
}

TEST(DistilBertModelTest, PaddingDoesNotLeakIntoRealTokens) {
  TFM_SKIP_WITHOUT_SHARED();
  check_padding_invariance("distilbert_mlm", "logits");
  check_padding_invariance("distilbert_seqcls", "logits");
}

TEST(DistilBertModelTest, TaskCheckpointsLoadAsTheBaseModel) {
  TFM_SKIP_WITHOUT_SHARED();
  // HF's AutoModel on a head's folder: the "distilbert." weights bind into DistilBertModel
  // (base_model_prefix) and the head's are left unused.
  for (const char* c : {"distilbert_mlm", "distilbert_seqcls"})
    transformers::testing::check_base_model_of_head_checkpoint(c);
}

TEST(DistilBertModelTest, BadInputsAreRejectedClearly) {
  TFM_SKIP_WITHOUT_SHARED();
  autograd::NoGradGuard no_grad;
  auto model = models::AutoModel::from_pretrained(shared_path("fixtures/models/distilbert_seqcls"));
  Tensor ids = Tensor::zeros({1, 4}, DType::Int64);
  try {
    model->forward_named({{"input_ids", ids}, {"token_type_ids", ids}}, false);
    FAIL() << "DistilBERT has no token types";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("takes input_ids and attention_mask, not 'token_type_ids'"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(model->forward_named({{"input_ids", Tensor::zeros({1, 65}, DType::Int64)}}, false), Error);
}

TEST(DistilBertModelTest, ConfigErrorsNameTheField) {
  auto dir = transformers::testing::temp_dir("distilbert_bad_config");
  auto message = [&](const std::string& text) -> std::string {
    std::ofstream(dir / "config.json") << text;
    try {
      models::AutoModel::from_pretrained(dir, {.random_weights = true});
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(message(R"({"architectures": ["DistilBertModel"], "dim": 1.5})").find("'dim' must be an integer"),
            std::string::npos);
  EXPECT_NE(message(R"({"architectures": ["DistilBertModel"], "dim": 30, "n_heads": 4})")
                .find("'dim' (30) must be divisible by n_heads (4)"),
            std::string::npos);
  EXPECT_NE(message(R"({"architectures": ["DistilBertModel"], "activation": "swoosh"})").find("'activation'"),
            std::string::npos);
  EXPECT_NE(message(R"({"architectures": ["DistilBertModel"], "sinusoidal_pos_embds": "yes"})")
                .find("'sinusoidal_pos_embds' must be true or false"),
            std::string::npos);
  EXPECT_NE(message(R"({"architectures": ["DistilBertForQuestionAnswering"], "dim": 32, "n_heads": 4, "n_layers": 1,
                        "hidden_dim": 64, "vocab_size": 100, "num_labels": 3})")
                .find("num_labels == 2"),
            std::string::npos);
  EXPECT_EQ(message(R"({"architectures": ["DistilBertForQuestionAnswering"], "dim": 32, "n_heads": 4, "n_layers": 1,
                        "hidden_dim": 64, "vocab_size": 100})"),
            "");
}
