// The Auto classes' lookup: architectures[0], else model_type (base model for AutoModel, the
// causal LM for AutoModelForCausalLM).
#include <gtest/gtest.h>

#include <fstream>

#include "support/errors.h"
#include "support/fixtures.h"
#include "transformers/core/error.h"
#include "transformers/models/auto/modeling_auto.h"

using namespace transformers;

TEST(AutoModelTest, ModelTypeWithoutArchitecturesPicksTheBaseModel) {
  auto dir = transformers::testing::temp_dir("auto_bert_model_type");
  std::ofstream(dir / "config.json") << R"({"model_type": "bert", "vocab_size": 50, "hidden_size": 16,
    "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 32, "max_position_embeddings": 32})";
  auto model = models::AutoModel::from_pretrained(dir, {.random_weights = true});
  models::NamedTensors out = model->forward_named(
      {{"input_ids", Tensor::from_vector(std::vector<int64_t>{1, 2, 3}, {1, 3})}}, false);
  EXPECT_TRUE(models::find_named(out, "last_hidden_state").defined());
  EXPECT_FALSE(models::find_named(out, "logits").defined());
  // ... and there is no causal LM for bert.
  EXPECT_THROW(models::AutoModelForCausalLM::from_pretrained(dir, {.random_weights = true}), Error);
}

TEST(AutoModelTest, ModelTypeWithoutArchitecturesGivesTheCausalLM) {
  auto dir = transformers::testing::temp_dir("auto_llama_model_type");
  std::ofstream(dir / "config.json") << R"({"model_type": "llama", "vocab_size": 50, "hidden_size": 16,
    "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 32})";
  auto model = models::AutoModelForCausalLM::from_pretrained(dir, {.random_weights = true});
  EXPECT_EQ(model->vocab_size(), 50);
}

TEST(AutoModelTest, RopeScalingFactorMustBePositive) {
  // Every scaling divides by the factor or takes its log: zero or a negative one is refused.
  auto dir = transformers::testing::temp_dir("auto_llama_rope_factor");
  for (const char* factor : {"-2.0", "0"}) {
    std::ofstream(dir / "config.json") << R"({"model_type": "llama", "vocab_size": 50, "hidden_size": 16,
      "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 32,
      "rope_scaling": {"rope_type": "yarn", "factor": )" << factor << "}}";
    const std::string message = transformers::testing::error_message(
        [&] { models::AutoModelForCausalLM::from_pretrained(dir, {.random_weights = true}); });
    EXPECT_NE(message.find("'factor' must be a positive number, got " + std::string(factor)), std::string::npos)
        << message;
  }
  std::ofstream(dir / "config.json") << R"({"model_type": "llama", "vocab_size": 50, "hidden_size": 16,
    "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 32,
    "rope_scaling": {"rope_type": "linear", "factor": 0.5}})";
  EXPECT_NO_THROW(models::AutoModelForCausalLM::from_pretrained(dir, {.random_weights = true}));
}
