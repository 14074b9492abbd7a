// SmolLM checkpoints (HuggingFaceTB/SmolLM-135M, SmolLM2-*) are plain LlamaForCausalLM: no folder
// of their own. This checks that their config.json (keys and values as published for
// SmolLM-135M: 9 heads over 3 KV heads, head_dim 64, tied embeddings, bos = eos = 0,
// pretraining_tp) loads as Llama with the right derived values, and that a shrunk copy runs:
// cached decoding == full forward, and random weights survive a save/load round trip.
#include <gtest/gtest.h>

#include "models/decoder_checks.h"
#include "transformers/models/llama/configuration_llama.h"
#include "transformers/models/llama/modeling_llama.h"

using namespace transformers;
using namespace transformers::testing::decoder;

namespace {

nlohmann::json smollm_135m_config() {
  return nlohmann::json::parse(R"({
    "architectures": ["LlamaForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
    "bos_token_id": 0, "eos_token_id": 0, "hidden_act": "silu", "hidden_size": 576,
    "initializer_range": 0.02, "intermediate_size": 1536, "max_position_embeddings": 2048,
    "model_type": "llama", "num_attention_heads": 9, "num_hidden_layers": 30, "num_key_value_heads": 3,
    "pretraining_tp": 1, "rms_norm_eps": 1e-05, "rope_scaling": null, "rope_theta": 10000.0,
    "tie_word_embeddings": true, "torch_dtype": "bfloat16", "transformers_version": "4.40.0.dev0",
    "use_cache": true, "vocab_size": 49152})");
}

}  // namespace

TEST(SmolLMConfigTest, LoadsAsLlama) {
  using models::llama::LlamaConfig;
  LlamaConfig c = LlamaConfig::from_json(smollm_135m_config());
  EXPECT_EQ(c.head_dim, 64);  // 576 / 9
  EXPECT_EQ(c.num_key_value_heads, 3);
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_EQ(c.bos_token_id, 0);
  EXPECT_EQ(c.eos_token_id, std::vector<int64_t>{0});
  EXPECT_EQ(c.rms_norm_eps, 1e-5);
  EXPECT_EQ(c.rope.rope_type, "default");  // rope_scaling null
  EXPECT_EQ(c.rope.dim, 64);
  // SmolLM2-360M-style: rope_theta 1e5, 15 heads over 5 KV heads (head_dim 64).
  nlohmann::json j = smollm_135m_config();
  j.update({{"hidden_size", 960}, {"num_attention_heads", 15}, {"num_key_value_heads", 5}, {"rope_theta", 100000.0}});
  c = LlamaConfig::from_json(j);
  EXPECT_EQ(c.head_dim, 64);
  EXPECT_EQ(c.rope.rope_theta, 1e5);
}

TEST(SmolLMModelTest, ShrunkCheckpointRunsThroughAutoModel) {
  // The published config with 2 layers (random weights keep the test small).
  auto dir = transformers::testing::temp_dir("smollm_tiny");
  nlohmann::json j = smollm_135m_config();
  j["num_hidden_layers"] = 2;
  io::write_json(dir / "config.json", j);
  auto random = models::AutoModelForCausalLM::from_pretrained(dir, {.random_weights = true, .seed = 3});
  ASSERT_NE(dynamic_cast<models::llama::LlamaForCausalLM*>(random.get()), nullptr);
  EXPECT_EQ(random->vocab_size(), 49152);
  check_cached_decode(*random, "smollm", 1e-4);

  // Save (no lm_head: tied) and load back: identical logits.
  autograd::NoGradGuard no_grad;
  std::vector<io::TensorToWrite> tensors;
  for (const auto& [key, t] : random->named_parameters()) {
    EXPECT_NE(key, "lm_head.weight");
    tensors.push_back({key, t.dtype(), t.shape(), t.raw_data()});
  }
  io::save_safetensors(dir / "model.safetensors", tensors);
  auto loaded = models::AutoModelForCausalLM::from_pretrained(dir);
  models::CausalLMInputs in;
  in.input_ids = Tensor::from_vector(std::vector<int64_t>{0, 504, 3458, 314, 1185, 28}, {1, 6});
  EXPECT_EQ(loaded->forward(in).logits.to_vector<float>(), random->forward(in).logits.to_vector<float>());
}
