// GPT-NeoX parity with Hugging Face transformers' outputs (../shared/fixtures/models/gpt_neox), its
// generate cases, cached decoding, config reading and errors.
#include <gtest/gtest.h>

#include <fstream>

#include "models/decoder_checks.h"
#include "transformers/core/error.h"
#include "transformers/models/gpt_neox/configuration_gpt_neox.h"

using namespace transformers;
using namespace transformers::testing::decoder;
using transformers::testing::shared_path;
using transformers::testing::temp_dir;
using transformers::testing::tensors_close;

TEST(GPTNeoXParityTest, ForwardMatchesTransformers) {
  TFM_SKIP_WITHOUT_SHARED();
  EXPECT_EQ(check_forward_parity("gpt_neox"), 4);  // logits + hidden_states.0..2
}

TEST(GPTNeoXParityTest, GenerateCasesMatchTransformers) {
  TFM_SKIP_WITHOUT_SHARED();
  EXPECT_EQ(check_generate_cases("gpt_neox"), 4);  // greedy, left-padded batch, beam3, no cache
}

TEST(GPTNeoXModelTest, CachedDecodeMatchesFullForward) {
  TFM_SKIP_WITHOUT_SHARED();
  check_cached_decode("gpt_neox");
}

TEST(GPTNeoXModelTest, SequentialResidualIsAnotherModel) {
  TFM_SKIP_WITHOUT_SHARED();
  // use_parallel_residual=false reads the same weights but feeds the attention output into the MLP
  // norm: the logits change, and cached decoding stays consistent.
  auto src = shared_path("fixtures/models/gpt_neox");
  auto dir = temp_dir("gpt_neox_sequential");
  nlohmann::json config = io::read_json(src / "config.json");
  config["use_parallel_residual"] = false;
  io::write_json(dir / "config.json", config);
  std::filesystem::create_symlink(src / "model.safetensors", dir / "model.safetensors");
  autograd::NoGradGuard no_grad;
  models::CausalLMInputs in;
  in.input_ids = Tensor::from_vector(std::vector<int64_t>{1, 9, 200, 31, 4}, {1, 5});
  Tensor parallel = models::AutoModelForCausalLM::from_pretrained(src)->forward(in).logits;
  Tensor sequential = models::AutoModelForCausalLM::from_pretrained(dir)->forward(in).logits;
  std::vector<float> a = parallel.to_vector<float>(), b = sequential.to_vector<float>();
  float max_diff = 0;
  for (size_t i = 0; i < a.size(); ++i) max_diff = std::max(max_diff, std::abs(a[i] - b[i]));
  EXPECT_GT(max_diff, 1e-2f);
}

TEST(GPTNeoXConfigTest, RotaryPctAndBaseWinOverGenericKeys) {
  // GPTNeoXConfig copies rotary_pct -> partial_rotary_factor and rotary_emb_base -> rope_theta
  // after reading config.json, so the model's own keys decide: head_size 16 * 0.5 = 8 dims.
  nlohmann::json j = {{"hidden_size", 64},         {"num_attention_heads", 4}, {"rotary_pct", 0.5},
                      {"partial_rotary_factor", 0.25}, {"rotary_emb_base", 500},  {"rope_theta", 10000}};
  auto c = models::gpt_neox::GPTNeoXConfig::from_json(j);
  EXPECT_EQ(c.head_size, 16);
  EXPECT_EQ(c.rope.dim, 8);
  EXPECT_EQ(c.rope.rope_theta, 500);
  // Defaults: rotary_pct 0.25 of head_size 6144 / 64 = 96 -> 24 dims, base 10000, untied embed_out.
  auto d = models::gpt_neox::GPTNeoXConfig::from_json(nlohmann::json::object());
  EXPECT_EQ(d.rope.dim, 24);
  EXPECT_EQ(d.rope.rope_theta, 10000);
  EXPECT_FALSE(d.tie_word_embeddings);
}

TEST(GPTNeoXModelTest, StrictLoadingNamesTheTensor) {
  TFM_SKIP_WITHOUT_SHARED();
  auto src = shared_path("fixtures/models/gpt_neox");
  auto dir = temp_dir("gpt_neox_bad_shape");
  nlohmann::json config = io::read_json(src / "config.json");
  config["intermediate_size"] = 96;
  io::write_json(dir / "config.json", config);
  std::filesystem::create_symlink(src / "model.safetensors", dir / "model.safetensors");
  EXPECT_NE(
      load_error(dir, false)
          .find(
              "gpt_neox.layers.0.mlp.dense_h_to_4h.weight: expected [96, 64], file has [128, 64]"),
      std::string::npos)
      << load_error(dir, false);
  // Tied embeddings: HF ignores the file's embed_out.weight (the head reuses embed_in), so do we.
  config["intermediate_size"] = 128;
  config["tie_word_embeddings"] = true;
  io::write_json(dir / "config.json", config);
  EXPECT_EQ(load_error(dir, false), "");
}

TEST(GPTNeoXModelTest, ConfigErrorsNameTheField) {
  auto dir = temp_dir("gpt_neox_bad_config");
  auto write = [&](const std::string& text) { std::ofstream(dir / "config.json") << text; };
  write(R"({"architectures": ["GPTNeoXForCausalLM"], "rotary_pct": "quarter"})");
  EXPECT_NE(load_error(dir, true).find("'rotary_pct' must be a number, got a string"), std::string::npos)
      << load_error(dir, true);
  write(R"({"architectures": ["GPTNeoXForCausalLM"], "use_parallel_residual": 1})");
  EXPECT_NE(load_error(dir, true).find("'use_parallel_residual' must be true or false"), std::string::npos)
      << load_error(dir, true);
  write(R"({"architectures": ["GPTNeoXForCausalLM"], "hidden_size": 30, "num_attention_heads": 4})");
  EXPECT_NE(load_error(dir, true).find("'hidden_size' (30) must be divisible by num_attention_heads (4)"),
            std::string::npos)
      << load_error(dir, true);
  write(R"({"architectures": ["GPTNeoXForCausalLM"], "hidden_size": 32, "num_attention_heads": 4,
            "rotary_pct": 0.1})");
  EXPECT_NE(load_error(dir, true).find("'rotary_pct' gives 0 rotary dims"), std::string::npos) << load_error(dir, true);
}
