// OLMo (OlmoForCausalLM) without a Hugging Face fixture: the parity argument is in
// modeling_olmo.cpp's header. Here: OlmoLayerNorm by hand, the whole forward pass against a plain
// double-precision composition of v4.51's math written in this file (non-parametric LayerNorms,
// q/k/v clipped to clip_qkv before RoPE, GQA), strict loading (no norm tensors), cached decoding
// and batching self-consistency, config errors, and a save/load round trip of random weights.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "models/decoder_reference.h"
#include "transformers/models/olmo/configuration_olmo.h"
#include "transformers/models/olmo/modeling_olmo.h"

using namespace transformers;
using namespace transformers::testing::decoder;

namespace {

// clip_qkv 0.5 is well inside the projections' spread (std ~1.7 here), so clipping is active.
nlohmann::json tiny_config() {
  return reference_config("OlmoForCausalLM", "olmo", {{"rope_theta", 500.0}, {"clip_qkv", 0.5}});
}

// ---- a plain double-precision OLMo (batch 1, no padding), written from v4.51's Python ----
struct Reference : DecoderReference {
  double base = 500.0;
  std::optional<double> clip_qkv = 0.5;  // nullopt: negative control

  // OlmoLayerNorm: (x - mean) / sqrt(var + 1e-5), no weight, no bias.
  static Rows layer_norm(Rows x) {
    for (auto& row : x) {
      double mean = 0, var = 0;
      for (double e : row) mean += e / double(row.size());
      for (double e : row) var += (e - mean) * (e - mean) / double(row.size());
      for (double& e : row) e = (e - mean) / std::sqrt(var + 1e-5);
    }
    return x;
  }
  Rows clip(Rows x) const {
    if (clip_qkv)
      for (auto& row : x)
        for (double& e : row) e = std::clamp(e, -*clip_qkv, *clip_qkv);
    return x;
  }

  std::vector<double> logits(const std::vector<int64_t>& ids) const {
    const std::vector<double>& E = p("model.embed_tokens.weight");
    Rows x;
    for (int64_t id : ids) x.emplace_back(E.begin() + id * hidden, E.begin() + (id + 1) * hidden);
    for (int64_t l = 0; l < 2; ++l) {
      const std::string pre = "model.layers." + std::to_string(l) + ".";
      Rows h = layer_norm(x);
      Rows q = rope(clip(linear(h, pre + "self_attn.q_proj.weight", heads * head_dim)), base);
      Rows k = rope(clip(linear(h, pre + "self_attn.k_proj.weight", kv_heads * head_dim)), base);
      Rows v = clip(linear(h, pre + "self_attn.v_proj.weight", kv_heads * head_dim));
      add(x, linear(attention(q, k, v, 1.0 / std::sqrt(double(head_dim))), pre + "self_attn.o_proj.weight", hidden));
      Rows m = layer_norm(x);
      Rows gate = linear(m, pre + "mlp.gate_proj.weight", inter), up = linear(m, pre + "mlp.up_proj.weight", inter);
      for (size_t t = 0; t < gate.size(); ++t)
        for (size_t i = 0; i < gate[t].size(); ++i) gate[t][i] = gate[t][i] / (1 + std::exp(-gate[t][i])) * up[t][i];
      add(x, linear(gate, pre + "mlp.down_proj.weight", hidden));
    }
    Rows logits = linear(layer_norm(x), "lm_head.weight", vocab);  // not tied
    std::vector<double> flat;
    for (const auto& row : logits) flat.insert(flat.end(), row.begin(), row.end());
    return flat;
  }
};

const std::vector<int64_t> kIds = {1, 17, 42, 99, 3, 250, 7, 8, 61};

}  // namespace

TEST(OlmoConfigTest, DefaultsAndErrorsNameTheField) {
  using models::olmo::OlmoConfig;
  OlmoConfig c = OlmoConfig::from_json(nlohmann::json::object());
  EXPECT_EQ(c.vocab_size, 50304);
  EXPECT_EQ(c.head_dim, 128);  // 4096 / 32
  EXPECT_EQ(c.num_key_value_heads, 32);
  EXPECT_FALSE(c.clip_qkv.has_value());
  EXPECT_FALSE(c.tie_word_embeddings);
  EXPECT_EQ(c.pad_token_id, 1);
  EXPECT_FALSE(c.bos_token_id.has_value());
  EXPECT_EQ(c.eos_token_id, std::vector<int64_t>{50279});
  EXPECT_EQ(OlmoConfig::from_json({{"clip_qkv", 8}}).clip_qkv, 8.0);

  auto dir = transformers::testing::temp_dir("olmo_bad_config");
  auto message = [&](const std::string& fields) {
    std::ofstream(dir / "config.json") << R"({"architectures": ["OlmoForCausalLM"], )" + fields + "}";
    return load_error(dir, /*random_weights=*/true);
  };
  auto has = [](const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; };
  EXPECT_TRUE(has(message(R"("clip_qkv": "8")"), "'clip_qkv' must be a number"));
  EXPECT_TRUE(has(message(R"("clip_qkv": 0)"), "clip_qkv"));
  EXPECT_TRUE(has(message(R"("hidden_act": "swiglu2")"), "hidden_act"));
  EXPECT_TRUE(has(message(R"("num_hidden_layers": 2.5)"), "'num_hidden_layers' must be an integer"));
  EXPECT_EQ(message(R"("hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 1,
                       "num_attention_heads": 4, "vocab_size": 50, "clip_qkv": null)"),
            "");
}

TEST(OlmoModelTest, LayerNormHasNoParametersAndMatchesHandValues) {
  // [1, 2, 3, 4]: mean 2.5, variance 1.25 -> (x - 2.5) / sqrt(1.25 + 1e-5)
  models::olmo::OlmoLayerNorm norm(4);
  std::vector<float> y = norm(Tensor::from_vector(std::vector<float>{1, 2, 3, 4}, {1, 4})).to_vector<float>();
  const double s = std::sqrt(1.25 + 1e-5);
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(y[size_t(i)], (i + 1 - 2.5) / s, 1e-6) << i;
  EXPECT_THROW(norm(Tensor::ones({1, 3})), Error);
  // A checkpoint with a norm weight is rejected by name (strict loading: OLMo has none).
  auto dir = write_checkpoint("olmo_extra_norm", tiny_config(), 20);
  std::vector<float> ones(32, 1.0f);
  auto extra = transformers::testing::temp_dir("olmo_extra_norm_weight");
  io::write_json(extra / "config.json", io::read_json(dir / "config.json"));
  auto model = models::AutoModelForCausalLM::from_pretrained(dir);
  std::vector<io::TensorToWrite> tensors;
  for (const auto& [key, t] : model->named_parameters()) tensors.push_back({key, t.dtype(), t.shape(), t.raw_data()});
  tensors.push_back({"model.norm.weight", DType::Float32, {32}, ones.data()});
  io::save_safetensors(extra / "model.safetensors", tensors);
  EXPECT_NE(load_error(extra, /*random_weights=*/false).find("model.norm.weight"), std::string::npos);
}

TEST(OlmoModelTest, ForwardMatchesComposedReference) {
  autograd::NoGradGuard no_grad;
  auto model = models::AutoModelForCausalLM::from_pretrained(write_checkpoint("olmo_reference", tiny_config(), 21));
  Reference ref;
  ref.load(*model);
  std::vector<double> ours = logits_of(*model, kIds).to_vector<double>();
  EXPECT_LT(max_diff(ours, ref.logits(kIds)), 1e-4);
  // Clipping is active at 0.5: the unclipped reference no longer matches.
  ref.clip_qkv.reset();
  EXPECT_GT(max_diff(ours, ref.logits(kIds)), 1e-2);
}

TEST(OlmoModelTest, CachedDecodeMatchesFullForward) {
  auto model = models::AutoModelForCausalLM::from_pretrained(write_checkpoint("olmo_cache", tiny_config(), 22));
  check_cached_decode(*model, "olmo", 1e-4);
}

TEST(OlmoModelTest, BatchOfTwoMatchesTwoSingles) {
  auto model = models::AutoModelForCausalLM::from_pretrained(write_checkpoint("olmo_batch", tiny_config(), 23));
  check_batch_of_two_matches_singles(*model, {1, 17, 42, 99, 3, 250, 7, 8}, {1, 33, 71, 12, 200});
}

TEST(OlmoModelTest, RandomWeightsRoundTripThroughSafetensors) {
  autograd::NoGradGuard no_grad;
  auto dir = transformers::testing::temp_dir("olmo_round_trip");
  io::write_json(dir / "config.json", tiny_config());
  auto random = models::AutoModelForCausalLM::from_pretrained(dir, {.random_weights = true, .seed = 5});
  // embed, 7 linears per layer, lm_head; no norms
  EXPECT_EQ(save_parameters(*random, dir / "model.safetensors"), size_t(1 + 2 * 7 + 1));
  auto loaded = models::AutoModelForCausalLM::from_pretrained(dir);
  EXPECT_EQ(logits_of(*loaded, kIds).to_vector<float>(), logits_of(*random, kIds).to_vector<float>());
}
