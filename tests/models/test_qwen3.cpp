// Qwen3 parity with Hugging Face transformers' outputs (../shared/fixtures/models/qwen3: per-head
// q/k RMSNorm, head_dim 32 so q is 128 wide while hidden is 64, GQA, tied), and self-consistency:
// cached decoding == full forward.
#include <gtest/gtest.h>

#include <fstream>

#include "models/decoder_checks.h"
#include "transformers/models/qwen3/configuration_qwen3.h"

using namespace transformers;
using namespace transformers::testing::decoder;

TEST(Qwen3ParityTest, ForwardMatchesTransformers) {
  TFM_SKIP_WITHOUT_SHARED();
  EXPECT_EQ(check_forward_parity("qwen3"), 4);  // logits + hidden_states.0..2
}

TEST(Qwen3ParityTest, GenerateCasesMatchTransformers) {
  TFM_SKIP_WITHOUT_SHARED();
  EXPECT_EQ(check_generate_cases("qwen3"), 4);
}

TEST(Qwen3ModelTest, CachedDecodeMatchesFullForward) {
  TFM_SKIP_WITHOUT_SHARED();
  check_cached_decode("qwen3");
}

TEST(Qwen3ModelTest, HeadDimDefaultsAsConfigurationQwen3) {
  using models::qwen3::Qwen3Config;
  // Absent: Qwen3Config's default 128, whatever hidden_size / heads is.
  EXPECT_EQ(Qwen3Config::from_json({{"hidden_size", 64}, {"num_attention_heads", 4}}).head_dim, 128);
  EXPECT_EQ(Qwen3Config::from_json({{"hidden_size", 64}, {"num_attention_heads", 4}, {"head_dim", 32}}).head_dim, 32);
  EXPECT_EQ(Qwen3Config::from_json({{"hidden_size", 64}, {"num_attention_heads", 4}, {"head_dim", nullptr}}).head_dim,
            16);
}

TEST(Qwen3ModelTest, ConfigErrorsNameTheField) {
  auto dir = transformers::testing::temp_dir("qwen3_bad_config");
  auto message = [&](const std::string& text) {
    std::ofstream(dir / "config.json") << text;
    return load_error(dir, /*random_weights=*/true);
  };
  EXPECT_NE(message(R"({"architectures": ["Qwen3ForCausalLM"], "attention_bias": 1})")
                .find("'attention_bias' must be true or false, got an integer"),
            std::string::npos);
  EXPECT_NE(message(R"({"architectures": ["Qwen3ForCausalLM"], "head_dim": 15})")
                .find("'head_dim' must be positive and even"),
            std::string::npos);
  EXPECT_NE(message(R"({"architectures": ["Qwen3ForCausalLM"], "hidden_act": "swoosh"})").find("'hidden_act'"),
            std::string::npos);
  EXPECT_EQ(message(R"({"architectures": ["Qwen3ForCausalLM"], "hidden_size": 32, "intermediate_size": 64,
                        "num_hidden_layers": 1, "num_attention_heads": 4, "num_key_value_heads": 2,
                        "head_dim": 16, "vocab_size": 50, "attention_bias": true})"),
            "");
}
