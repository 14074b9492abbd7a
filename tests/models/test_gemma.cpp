// Gemma parity with Hugging Face transformers' outputs (../shared/fixtures/models/gemma: (1 + w)
// RMSNorm, sqrt(hidden) embedding scale, gelu_pytorch_tanh GeGLU, MQA, tied), and
// self-consistency: cached decoding == full forward.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "models/decoder_checks.h"
#include "transformers/models/gemma/configuration_gemma.h"
#include "transformers/models/gemma/modeling_gemma.h"

using namespace transformers;
using namespace transformers::testing::decoder;
using transformers::testing::shared_path;

TEST(GemmaParityTest, ForwardMatchesTransformers) {
  TFM_SKIP_WITHOUT_SHARED();
  EXPECT_EQ(check_forward_parity("gemma"), 4);  // logits + hidden_states.0..2
}

TEST(GemmaParityTest, GenerateCasesMatchTransformers) {
  TFM_SKIP_WITHOUT_SHARED();
  EXPECT_EQ(check_generate_cases("gemma"), 4);
}

TEST(GemmaModelTest, CachedDecodeMatchesFullForward) {
  TFM_SKIP_WITHOUT_SHARED();
  check_cached_decode("gemma");
}

TEST(GemmaModelTest, EmbeddingsAreScaledBySqrtHidden) {
  TFM_SKIP_WITHOUT_SHARED();
  // hidden_states.0 is the embedding row times sqrt(64) = 8, straight from the checkpoint.
  autograd::NoGradGuard no_grad;
  auto dir = shared_path("fixtures/models/gemma");
  auto model = models::gemma::GemmaForCausalLM::from_pretrained(dir);
  models::CausalLMInputs in;
  in.input_ids = Tensor::from_vector(std::vector<int64_t>{5, 200}, {1, 2});
  in.output_hidden_states = true;
  std::vector<float> h0 = model->forward(in).hidden_states.at(0).to_vector<float>();
  io::SafetensorsFile weights = io::SafetensorsFile::open(dir / "model.safetensors");
  std::vector<float> table = load_reference(weights, "model.embed_tokens.weight").to_vector<float>();
  ASSERT_EQ(h0.size(), 2u * 64u);
  for (int64_t i = 0; i < 64; ++i) {
    EXPECT_FLOAT_EQ(h0[size_t(i)], table[size_t(5 * 64 + i)] * 8.0f);
    EXPECT_FLOAT_EQ(h0[size_t(64 + i)], table[size_t(200 * 64 + i)] * 8.0f);
  }
}

TEST(GemmaModelTest, ConfigDefaultsAndErrors) {
  using models::gemma::GemmaConfig;
  GemmaConfig c = GemmaConfig::from_json(nlohmann::json::object());
  EXPECT_EQ(c.head_dim, 256);  // not hidden_size / heads (3072 / 16 = 192)
  EXPECT_EQ(c.bos_token_id, 2);
  EXPECT_EQ(c.eos_token_id, std::vector<int64_t>{1});
  EXPECT_EQ(c.pad_token_id, 0);
  EXPECT_TRUE(c.tie_word_embeddings);

  auto dir = transformers::testing::temp_dir("gemma_bad_config");
  auto message = [&](const std::string& text) {
    std::ofstream(dir / "config.json") << text;
    return load_error(dir, /*random_weights=*/true);
  };
  EXPECT_NE(message(R"({"architectures": ["GemmaForCausalLM"], "head_dim": "16"})")
                .find("'head_dim' must be an integer, got a string"),
            std::string::npos);
  EXPECT_NE(message(R"({"architectures": ["GemmaForCausalLM"], "hidden_activation": "swoosh"})")
                .find("'hidden_activation'"),
            std::string::npos);
  EXPECT_NE(message(R"({"architectures": ["GemmaForCausalLM"], "num_key_value_heads": 0})")
                .find("'num_key_value_heads' must be positive"),
            std::string::npos);
  EXPECT_EQ(message(R"({"architectures": ["GemmaForCausalLM"], "hidden_size": 32, "intermediate_size": 64,
                        "num_hidden_layers": 1, "num_attention_heads": 4, "num_key_value_heads": 1,
                        "head_dim": 8, "vocab_size": 50})"),
            "");
}

TEST(GemmaModelTest, Bfloat16WeightsStayCloseToFloat32) {
  TFM_SKIP_WITHOUT_SHARED();
  // bf16 keeps ~3 significant digits: compare by normalized mean squared error.
  autograd::NoGradGuard no_grad;
  auto dir = shared_path("fixtures/models/gemma");
  models::CausalLMInputs in;
  in.input_ids = Tensor::from_vector(std::vector<int64_t>{1, 71, 109, 132, 138, 196, 95}, {1, 7});
  auto f32 = models::AutoModelForCausalLM::from_pretrained(dir);
  auto bf16 = models::AutoModelForCausalLM::from_pretrained(dir, {.dtype = DType::BFloat16});
  for (const auto& [name, weight] : bf16->named_parameters()) EXPECT_EQ(weight.dtype(), DType::BFloat16) << name;
  std::vector<double> a = f32->forward(in).logits.to_vector<double>();
  std::vector<double> b = bf16->forward(in).logits.to_vector<double>();
  ASSERT_EQ(a.size(), b.size());
  double err = 0, norm = 0;
  for (size_t i = 0; i < a.size(); ++i) err += (a[i] - b[i]) * (a[i] - b[i]), norm += a[i] * a[i];
  EXPECT_GT(err, 0.0);
  EXPECT_LT(err / norm, 1e-3);
}
