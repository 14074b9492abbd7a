// Gemma3 text (Gemma3ForCausalLM) without a Hugging Face fixture: the parity argument is in
// modeling_gemma3.cpp's header. Here: the layer pattern and rope bases from config.json by hand,
// the whole forward pass against a plain double-precision composition of v4.51's math written in
// this file (q/k norm per head before RoPE, local/global rope bases, sliding window,
// query_pre_attn_scalar, (1 + w) norms, embedding scale, final soft-capping), cached decoding and
// batching self-consistency, config errors, and a save/load round trip of random weights.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "models/decoder_reference.h"
#include "transformers/nn/cache.h"
#include "transformers/models/gemma3/configuration_gemma3.h"

using namespace transformers;
using namespace transformers::testing::decoder;

namespace {

// Two layers: layer 0 slides (window 3, rope base 10), layer 1 is global (rope base 1e6, the
// default). query_pre_attn_scalar 16 != head_dim 8, so the scale is not head_dim ** -0.5.
nlohmann::json tiny_config() {
  return reference_config("Gemma3ForCausalLM", "gemma3_text",
                          {{"head_dim", 8},
                           {"query_pre_attn_scalar", 16},
                           {"sliding_window", 3},
                           {"sliding_window_pattern", 2},
                           {"rope_local_base_freq", 10.0},
                           {"final_logit_softcapping", 3.0},
                           {"rms_norm_eps", 1e-6}});
}

std::filesystem::path with_config(const std::string& name, const std::filesystem::path& src,
                                  const nlohmann::json& overrides) {
  auto dir = transformers::testing::temp_dir(name);
  nlohmann::json config = io::read_json(src / "config.json");
  config.update(overrides);
  io::write_json(dir / "config.json", config);
  std::filesystem::copy_file(src / "model.safetensors", dir / "model.safetensors");
  return dir;
}

// ---- a plain double-precision Gemma3 (batch 1, no padding), written from v4.51's Python ----
// Random norm weights (write_checkpoint's N(0, 0.3)) show their placement: HF initialises these
// (1 + w) norms' weights to zero.
struct Reference : DecoderReference {
  int64_t window = 3;
  double query_pre_attn_scalar = 16, eps = 1e-6, local_base = 10.0, global_base = 1e6, final_cap = 3.0;
  bool swap_bases = false;  // negative control

  // Gemma3RMSNorm over consecutive groups of `group` features: x / rms * (1 + w).
  Rows norm(Rows x, const std::string& key, int64_t group) const {
    const std::vector<double>& g = p(key);
    for (auto& row : x)
      for (size_t s = 0; s < row.size(); s += size_t(group)) {
        double ms = 0;
        for (int64_t i = 0; i < group; ++i) ms += row[s + size_t(i)] * row[s + size_t(i)];
        const double r = 1.0 / std::sqrt(ms / double(group) + eps);
        for (int64_t i = 0; i < group; ++i) row[s + size_t(i)] *= r * (1.0 + g[size_t(i)]);
      }
    return x;
  }

  std::vector<double> logits(const std::vector<int64_t>& ids) const {
    const std::vector<double>& E = p("model.embed_tokens.weight");
    Rows x;
    for (int64_t id : ids) {
      std::vector<double> row(E.begin() + id * hidden, E.begin() + (id + 1) * hidden);
      for (double& e : row) e *= std::sqrt(double(hidden));
      x.push_back(row);
    }
    for (int64_t l = 0; l < 2; ++l) {
      const std::string pre = "model.layers." + std::to_string(l) + ".";
      const bool sliding = l == 0;  // pattern 2: (l + 1) % 2 != 0
      const double base = (sliding != swap_bases) ? local_base : global_base;
      Rows h = norm(x, pre + "input_layernorm.weight", hidden);
      Rows q = rope(norm(linear(h, pre + "self_attn.q_proj.weight", heads * head_dim),
                         pre + "self_attn.q_norm.weight", head_dim),
                    base);
      Rows k = rope(norm(linear(h, pre + "self_attn.k_proj.weight", kv_heads * head_dim),
                         pre + "self_attn.k_norm.weight", head_dim),
                    base);
      Rows v = linear(h, pre + "self_attn.v_proj.weight", kv_heads * head_dim);
      Rows o = attention(q, k, v, 1.0 / std::sqrt(query_pre_attn_scalar), sliding ? window : 0);
      Rows a = linear(o, pre + "self_attn.o_proj.weight", hidden);
      add(x, norm(a, pre + "post_attention_layernorm.weight", hidden));
      Rows m = norm(x, pre + "pre_feedforward_layernorm.weight", hidden);
      Rows gate = linear(m, pre + "mlp.gate_proj.weight", inter), up = linear(m, pre + "mlp.up_proj.weight", inter);
      for (size_t t = 0; t < gate.size(); ++t)
        for (size_t i = 0; i < gate[t].size(); ++i) {
          const double g = gate[t][i];  // gelu_pytorch_tanh
          gate[t][i] = 0.5 * g * (1 + std::tanh(std::sqrt(2 / M_PI) * (g + 0.044715 * g * g * g))) * up[t][i];
        }
      add(x, norm(linear(gate, pre + "mlp.down_proj.weight", hidden),
                  pre + "post_feedforward_layernorm.weight", hidden));
    }
    Rows logits = linear(norm(x, "model.norm.weight", hidden), "model.embed_tokens.weight", vocab);  // tied
    std::vector<double> flat;
    for (const auto& row : logits)
      for (double z : row) flat.push_back(final_cap * std::tanh(z / final_cap));
    return flat;
  }
};

const std::vector<int64_t> kIds = {2, 17, 42, 99, 3, 250, 7, 8, 61};

}  // namespace

TEST(Gemma3ConfigTest, SlidingLayersFollowThePattern) {
  using models::gemma3::Gemma3TextConfig;
  // Defaults: pattern 6, so in 12 layers only 5 and 11 ((i + 1) % 6 == 0) attend globally.
  Gemma3TextConfig c = Gemma3TextConfig::from_json({{"num_hidden_layers", 12}});
  for (int64_t i = 0; i < 12; ++i) {
    const bool global = i == 5 || i == 11;
    EXPECT_EQ(c.layer_is_sliding[size_t(i)], !global) << i;
    EXPECT_EQ(c.layer_sliding_window(i), global ? 0 : 4096) << i;
  }
  // Pattern 2 is Gemma2's layout; pattern 1 makes every layer global.
  c = Gemma3TextConfig::from_json({{"num_hidden_layers", 4}, {"sliding_window_pattern", 2}, {"sliding_window", 5}});
  EXPECT_EQ(c.layer_is_sliding, (std::vector<bool>{true, false, true, false}));
  EXPECT_EQ(c.layer_sliding_window(0), 5);
  c = Gemma3TextConfig::from_json({{"num_hidden_layers", 3}, {"sliding_window_pattern", 1}});
  EXPECT_EQ(c.layer_is_sliding, (std::vector<bool>{false, false, false}));
  // layer_types (later configs) spells the pattern out and wins.
  c = Gemma3TextConfig::from_json({{"num_hidden_layers", 3},
                                    {"layer_types", {"full_attention", "sliding_attention", "full_attention"}}});
  EXPECT_EQ(c.layer_is_sliding, (std::vector<bool>{false, true, false}));
}

TEST(Gemma3ConfigTest, RopeBasePerLayerType) {
  using models::gemma3::Gemma3TextConfig;
  Gemma3TextConfig c = Gemma3TextConfig::from_json(nlohmann::json::object());
  EXPECT_EQ(c.rope.rope_theta, 1e6);  // Gemma3TextConfig's rope_theta default, not 1e4
  EXPECT_EQ(c.rope_local.rope_theta, 1e4);
  EXPECT_EQ(c.rope.dim, 256);
  EXPECT_EQ(c.rope_local.dim, 256);
  // The 4B+ checkpoints: linear scaling applies to the global rope only.
  c = Gemma3TextConfig::from_json({{"head_dim", 128},
                                    {"rope_theta", 5e5},
                                    {"rope_local_base_freq", 2e4},
                                    {"rope_scaling", {{"rope_type", "linear"}, {"factor", 8.0}}}});
  EXPECT_EQ(c.rope.rope_type, "linear");
  EXPECT_EQ(c.rope.factor, 8.0);
  EXPECT_EQ(c.rope.rope_theta, 5e5);
  EXPECT_EQ(c.rope_local.rope_type, "default");
  EXPECT_EQ(c.rope_local.factor, 1.0);
  EXPECT_EQ(c.rope_local.rope_theta, 2e4);
  EXPECT_EQ(c.rope_local.dim, 128);
  // Inverse frequencies by hand: base^(-2i/dim) for i = 0, 1, 2 ... (dim 128).
  const auto [global_inv, global_scale] = nn::compute_rope_parameters(c.rope);
  const auto [local_inv, local_scale] = nn::compute_rope_parameters(c.rope_local);
  EXPECT_NEAR(local_inv[1], std::pow(2e4, -2.0 / 128), 1e-7);
  EXPECT_NEAR(global_inv[1], std::pow(5e5, -2.0 / 128) / 8.0, 1e-8);  // linear: divided by factor
  EXPECT_EQ(global_scale, 1.0);
  EXPECT_EQ(local_scale, 1.0);
}

TEST(Gemma3ConfigTest, DefaultsAndErrorsNameTheField) {
  using models::gemma3::Gemma3TextConfig;
  Gemma3TextConfig c = Gemma3TextConfig::from_json(nlohmann::json::object());
  EXPECT_EQ(c.vocab_size, 262208);
  EXPECT_EQ(c.sliding_window, 4096);
  EXPECT_EQ(c.sliding_window_pattern, 6);
  EXPECT_EQ(c.query_pre_attn_scalar, 256);
  EXPECT_FALSE(c.final_logit_softcapping.has_value());
  EXPECT_FALSE(c.attn_logit_softcapping.has_value());
  EXPECT_EQ(c.max_position_embeddings, 131072);
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_EQ(c.bos_token_id, 2);
  EXPECT_EQ(c.eos_token_id, std::vector<int64_t>{1});

  auto dir = transformers::testing::temp_dir("gemma3_bad_config");
  auto message = [&](const std::string& fields) {
    std::ofstream(dir / "config.json") << R"({"architectures": ["Gemma3ForCausalLM"], )" + fields + "}";
    return load_error(dir, /*random_weights=*/true);
  };
  auto has = [](const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; };
  EXPECT_TRUE(has(message(R"("sliding_window_pattern": "6")"), "'sliding_window_pattern' must be an integer"));
  EXPECT_TRUE(has(message(R"("rope_local_base_freq": "1e4")"), "'rope_local_base_freq' must be a number"));
  EXPECT_TRUE(has(message(R"("query_pre_attn_scalar": [256])"), "'query_pre_attn_scalar' must be a number"));
  EXPECT_TRUE(has(message(R"("final_logit_softcapping": true)"), "'final_logit_softcapping'"));
  EXPECT_TRUE(has(message(R"("sliding_window_pattern": 0)"), "sliding_window_pattern"));
  EXPECT_TRUE(has(message(R"("num_hidden_layers": 2, "layer_types": ["sliding_attention"])"), "layer_types"));
  EXPECT_TRUE(has(message(R"("num_hidden_layers": 1, "layer_types": ["local"])"), "layer_types"));
  EXPECT_TRUE(has(message(R"("hidden_activation": "gelu_fancy")"), "hidden_activation"));
  // A small valid config loads (random weights).
  EXPECT_EQ(message(R"("hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
                       "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8, "vocab_size": 50)"),
            "");
}

TEST(Gemma3ModelTest, ForwardMatchesComposedReference) {
  autograd::NoGradGuard no_grad;
  auto dir = write_checkpoint("gemma3_reference", tiny_config(), 1);
  auto model = models::AutoModelForCausalLM::from_pretrained(dir);
  std::vector<double> ours = logits_of(*model, kIds).to_vector<double>();
  Reference ref;
  ref.load(*model);
  EXPECT_LT(max_diff(ours, ref.logits(kIds)), 1e-4);
  // The reference can tell the layers' rope bases apart: exchanged, it no longer matches.
  ref.swap_bases = true;
  EXPECT_GT(max_diff(ours, ref.logits(kIds)), 1e-2);
}

TEST(Gemma3ModelTest, AttentionSoftCappingIsNotApplied) {
  // v4.51 keeps attn_logit_softcapping in the config but its Gemma3Attention passes no softcap.
  autograd::NoGradGuard no_grad;
  auto dir = write_checkpoint("gemma3_attn_cap", tiny_config(), 2);
  auto capped = with_config("gemma3_attn_cap_set", dir, {{"attn_logit_softcapping", 0.05}});
  auto a = models::AutoModelForCausalLM::from_pretrained(dir),
       b = models::AutoModelForCausalLM::from_pretrained(capped);
  EXPECT_EQ(logits_of(*a, kIds).to_vector<float>(), logits_of(*b, kIds).to_vector<float>());
  // ... while the final cap is applied: without it the logits change and exceed 3.
  auto uncapped = with_config("gemma3_no_final_cap", dir, {{"final_logit_softcapping", nullptr}});
  auto c = models::AutoModelForCausalLM::from_pretrained(uncapped);
  std::vector<float> raw = logits_of(*c, kIds).to_vector<float>(), cap = logits_of(*a, kIds).to_vector<float>();
  for (size_t i = 0; i < raw.size(); ++i) EXPECT_NEAR(cap[i], 3.0 * std::tanh(raw[i] / 3.0), 1e-5) << i;
}

TEST(Gemma3ModelTest, CachedDecodeMatchesFullForward) {
  auto dir = write_checkpoint("gemma3_cache", tiny_config(), 3);
  auto model = models::AutoModelForCausalLM::from_pretrained(dir);
  // generate()'s cache is HF's HybridCache, as for Gemma2 (HF v4.51 uses one class for both).
  auto cache = model->make_cache();
  ASSERT_NE(dynamic_cast<nn::SlidingWindowCache*>(cache.get()), nullptr);
  // Prefill (4 tokens) longer than the window (3): the rolling buffer never holds a zero slot.
  check_cached_decode(*model, "gemma3 hybrid cache", 1e-4);
  auto dynamic = with_config("gemma3_cache_dynamic", dir, {{"cache_implementation", "dynamic"}});
  auto dynamic_model = models::AutoModelForCausalLM::from_pretrained(dynamic);
  EXPECT_EQ(dynamic_cast<nn::SlidingWindowCache*>(dynamic_model->make_cache().get()), nullptr);
  check_cached_decode(*dynamic_model, "gemma3 dynamic cache", 1e-4);
}

TEST(Gemma3ModelTest, BatchOfTwoMatchesTwoSingles) {
  auto model = models::AutoModelForCausalLM::from_pretrained(write_checkpoint("gemma3_batch", tiny_config(), 4));
  check_batch_of_two_matches_singles(*model, {2, 17, 42, 99, 3, 250, 7, 8}, {2, 33, 71, 12, 200});
}

TEST(Gemma3ModelTest, RandomWeightsRoundTripThroughSafetensors) {
  autograd::NoGradGuard no_grad;
  auto dir = transformers::testing::temp_dir("gemma3_round_trip");
  nlohmann::json config = tiny_config();
  config.erase("architectures");  // model_type alone selects Gemma3ForCausalLM
  io::write_json(dir / "config.json", config);
  auto random = models::AutoModelForCausalLM::from_pretrained(dir, {.random_weights = true, .seed = 7});
  bool has_q_norm = false;
  for (const auto& [key, t] : random->named_parameters())
    has_q_norm = has_q_norm || key == "model.layers.1.self_attn.q_norm.weight";
  EXPECT_TRUE(has_q_norm);
  // embed, 13 per layer, final norm (lm_head tied)
  EXPECT_EQ(save_parameters(*random, dir / "model.safetensors"), size_t(1 + 2 * 13 + 1));
  auto loaded = models::AutoModelForCausalLM::from_pretrained(dir);
  EXPECT_EQ(logits_of(*loaded, kIds).to_vector<float>(), logits_of(*random, kIds).to_vector<float>());
}

TEST(Gemma3ModelTest, GreedyGenerateThroughHybridCacheMatchesNoCache) {
  // Prompts (5 columns, one row left-padded) longer than the window (3): the hybrid cache's
  // rolling buffer then holds exactly the window, so greedy tokens equal those of full forwards.
  autograd::NoGradGuard no_grad;
  auto model = models::AutoModelForCausalLM::from_pretrained(write_checkpoint("gemma3_generate", tiny_config(), 5));
  Tensor ids = Tensor::from_vector(std::vector<int64_t>{2, 17, 42, 99, 3, 0, 2, 33, 71, 12}, {2, 5});
  Tensor mask = Tensor::from_vector(std::vector<int64_t>{1, 1, 1, 1, 1, 0, 1, 1, 1, 1}, {2, 5});
  generation::GenerationConfig config;
  config.max_new_tokens = 8;
  config.pad_token_id = 0;
  generation::GenerateOutput cached = generation::generate(*model, ids, mask, config);
  config.use_cache = false;
  generation::GenerateOutput uncached = generation::generate(*model, ids, mask, config);
  ASSERT_EQ(cached.sequences.size(), 2u);
  EXPECT_EQ(cached.sequences[0].size(), 13u);
  EXPECT_EQ(cached.sequences, uncached.sequences);
}
