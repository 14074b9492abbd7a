// Phi parity with Hugging Face transformers' outputs (../shared/fixtures/models/phi), its generate
// cases, cached decoding (also with qk_layernorm), the biased lm_head, config errors.
#include <gtest/gtest.h>

#include <fstream>

#include "models/decoder_checks.h"
#include "transformers/core/error.h"

using namespace transformers;
using namespace transformers::testing::decoder;
using transformers::testing::shared_path;
using transformers::testing::temp_dir;
using transformers::testing::tensors_close;

TEST(PhiParityTest, ForwardMatchesTransformers) {
  TFM_SKIP_WITHOUT_SHARED();
  EXPECT_EQ(check_forward_parity("phi"), 4);  // logits + hidden_states.0..2
}

TEST(PhiParityTest, GenerateCasesMatchTransformers) {
  TFM_SKIP_WITHOUT_SHARED();
  EXPECT_EQ(check_generate_cases("phi"), 4);  // greedy, left-padded batch, beam3, no cache
}

TEST(PhiModelTest, CachedDecodeMatchesFullForward) {
  TFM_SKIP_WITHOUT_SHARED();
  check_cached_decode("phi");
}

TEST(PhiModelTest, QkLayernormModelBindsPerHeadNormsAndDecodesConsistently) {
  // No fixture has qk_layernorm: check the parameters HF's PhiAttention would create
  // (LayerNorm over head_dim = 32 / 4 = 8) and the cache invariant on random weights.
  auto dir = temp_dir("phi_qk_layernorm");
  std::ofstream(dir / "config.json") << R"({"architectures": ["PhiForCausalLM"], "vocab_size": 256,
      "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
      "qk_layernorm": true, "partial_rotary_factor": 0.5})";
  auto model = models::AutoModelForCausalLM::from_pretrained(dir, {.random_weights = true, .seed = 3});
  int norms = 0;
  for (const auto& [name, t] : model->named_parameters())
    if (name.find("_layernorm.") != std::string::npos && name.find("self_attn") != std::string::npos) {
      EXPECT_EQ(t.shape(), (Shape{8})) << name;
      ++norms;
    }
  EXPECT_EQ(norms, 8);  // {q,k} x {weight,bias} x 2 layers
  check_cached_decode(*model, "phi qk_layernorm");
}

TEST(PhiModelTest, TiedHeadKeepsItsBias) {
  TFM_SKIP_WITHOUT_SHARED();
  // tie_word_embeddings=true: HF ignores lm_head.weight but still loads lm_head.bias, so the
  // logits are final hidden state x embed_tokens^T + lm_head.bias.
  auto src = shared_path("fixtures/models/phi");
  auto dir = temp_dir("phi_tied");
  nlohmann::json config = io::read_json(src / "config.json");
  config["tie_word_embeddings"] = true;
  io::write_json(dir / "config.json", config);
  std::filesystem::create_symlink(src / "model.safetensors", dir / "model.safetensors");
  autograd::NoGradGuard no_grad;
  auto model = models::AutoModelForCausalLM::from_pretrained(dir);
  models::CausalLMInputs in;
  in.input_ids = Tensor::from_vector(std::vector<int64_t>{1, 9, 200, 31, 4}, {1, 5});
  in.output_hidden_states = true;
  models::CausalLMOutput out = model->forward(in);
  io::SafetensorsFile weights = io::SafetensorsFile::open(src / "model.safetensors");
  Tensor expected = ops::linear(out.hidden_states.back(), load_reference(weights, "model.embed_tokens.weight"),
                                load_reference(weights, "lm_head.bias"));
  EXPECT_TRUE(tensors_close(out.logits, expected, 1e-5, 1e-5, "tied logits"));
}

TEST(PhiModelTest, ConfigErrorsNameTheField) {
  auto dir = temp_dir("phi_bad_config");
  auto write = [&](const std::string& text) { std::ofstream(dir / "config.json") << text; };
  write(R"({"architectures": ["PhiForCausalLM"], "partial_rotary_factor": "half"})");
  EXPECT_NE(load_error(dir, true).find("'partial_rotary_factor' must be a number, got a string"), std::string::npos)
      << load_error(dir, true);
  write(R"({"architectures": ["PhiForCausalLM"], "qk_layernorm": "yes"})");
  EXPECT_NE(load_error(dir, true).find("'qk_layernorm' must be true or false"), std::string::npos)
      << load_error(dir, true);
  write(R"({"architectures": ["PhiForCausalLM"], "num_attention_heads": 32, "num_key_value_heads": 5})");
  EXPECT_NE(load_error(dir, true).find("'num_key_value_heads' (5) must divide num_attention_heads (32)"),
            std::string::npos)
      << load_error(dir, true);
  write(R"({"architectures": ["PhiForCausalLM"], "hidden_act": "swoosh"})");
  EXPECT_NE(load_error(dir, true).find("'hidden_act'"), std::string::npos) << load_error(dir, true);
}
