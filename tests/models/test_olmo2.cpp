// OLMo 2 (Olmo2ForCausalLM) without a Hugging Face fixture: the parity argument is in
// modeling_olmo2.cpp's header. Here: the whole forward pass against a plain double-precision
// composition of v4.51's math written in this file (q/k RMSNorm over the whole projection before
// the head split and RoPE, norms after attention and MLP, GQA), cached decoding and batching
// self-consistency, config errors, and a save/load round trip of random weights.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "models/decoder_reference.h"
#include "transformers/models/olmo2/configuration_olmo2.h"

using namespace transformers;
using namespace transformers::testing::decoder;

namespace {

nlohmann::json tiny_config() {
  return reference_config("Olmo2ForCausalLM", "olmo2", {{"rope_theta", 500.0}, {"rms_norm_eps", 1e-6}});
}

// tiny_config() with random weights; norm weights ~ 1 + N(0, 0.3), so they stay scales near HF's
// ones initialisation.
std::filesystem::path checkpoint(const std::string& name, uint32_t seed) {
  return write_checkpoint(name, tiny_config(), seed, /*norm_base=*/1.0f);
}

// ---- a plain double-precision OLMo 2 (batch 1, no padding), written from v4.51's Python ----
struct Reference : DecoderReference {
  double eps = 1e-6, base = 500.0;
  bool per_head_qk_norm = false;  // negative control: Qwen3-style placement

  // RMSNorm with the mean of squares over consecutive groups of `group` features, then * weight.
  Rows norm(Rows x, const std::string& key, int64_t group) const {
    const std::vector<double>& g = p(key);
    for (auto& row : x)
      for (size_t s = 0; s < row.size(); s += size_t(group)) {
        double ms = 0;
        for (int64_t i = 0; i < group; ++i) ms += row[s + size_t(i)] * row[s + size_t(i)];
        const double r = 1.0 / std::sqrt(ms / double(group) + eps);
        for (int64_t i = 0; i < group; ++i) row[s + size_t(i)] *= r * g[s + size_t(i)];
      }
    return x;
  }

  std::vector<double> logits(const std::vector<int64_t>& ids) const {
    const std::vector<double>& E = p("model.embed_tokens.weight");
    Rows x;
    for (int64_t id : ids) x.emplace_back(E.begin() + id * hidden, E.begin() + (id + 1) * hidden);
    for (int64_t l = 0; l < 2; ++l) {
      const std::string pre = "model.layers." + std::to_string(l) + ".";
      const int64_t q_group = per_head_qk_norm ? head_dim : heads * head_dim;
      const int64_t k_group = per_head_qk_norm ? head_dim : kv_heads * head_dim;
      Rows q = rope(norm(linear(x, pre + "self_attn.q_proj.weight", heads * head_dim),
                         pre + "self_attn.q_norm.weight", q_group),
                    base);
      Rows k = rope(norm(linear(x, pre + "self_attn.k_proj.weight", kv_heads * head_dim),
                         pre + "self_attn.k_norm.weight", k_group),
                    base);
      Rows v = linear(x, pre + "self_attn.v_proj.weight", kv_heads * head_dim);
      Rows a = linear(attention(q, k, v, 1.0 / std::sqrt(double(head_dim))), pre + "self_attn.o_proj.weight", hidden);
      add(x, norm(a, pre + "post_attention_layernorm.weight", hidden));
      Rows gate = linear(x, pre + "mlp.gate_proj.weight", inter), up = linear(x, pre + "mlp.up_proj.weight", inter);
      for (size_t t = 0; t < gate.size(); ++t)
        for (size_t i = 0; i < gate[t].size(); ++i) gate[t][i] = gate[t][i] / (1 + std::exp(-gate[t][i])) * up[t][i];
      add(x, norm(linear(gate, pre + "mlp.down_proj.weight", hidden),
                  pre + "post_feedforward_layernorm.weight", hidden));
    }
    Rows logits = linear(norm(x, "model.norm.weight", hidden), "lm_head.weight", vocab);  // not tied
    std::vector<double> flat;
    for (const auto& row : logits) flat.insert(flat.end(), row.begin(), row.end());
    return flat;
  }
};

const std::vector<int64_t> kIds = {1, 17, 42, 99, 3, 250, 7, 8, 61};

}  // namespace

TEST(Olmo2ConfigTest, DefaultsAndErrorsNameTheField) {
  using models::olmo2::Olmo2Config;
  Olmo2Config c = Olmo2Config::from_json(nlohmann::json::object());
  EXPECT_EQ(c.vocab_size, 50304);
  EXPECT_EQ(c.rms_norm_eps, 1e-5);
  EXPECT_EQ(c.head_dim, 128);  // 4096 / 32
  EXPECT_EQ(c.num_key_value_heads, 32);
  EXPECT_FALSE(c.tie_word_embeddings);
  EXPECT_EQ(c.pad_token_id, 1);
  EXPECT_FALSE(c.bos_token_id.has_value());
  EXPECT_EQ(c.eos_token_id, std::vector<int64_t>{50279});
  EXPECT_EQ(c.rope.rope_theta, 10000.0);

  auto dir = transformers::testing::temp_dir("olmo2_bad_config");
  auto message = [&](const std::string& fields) {
    std::ofstream(dir / "config.json") << R"({"architectures": ["Olmo2ForCausalLM"], )" + fields + "}";
    return load_error(dir, /*random_weights=*/true);
  };
  auto has = [](const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; };
  EXPECT_TRUE(has(message(R"("rms_norm_eps": "1e-5")"), "'rms_norm_eps' must be a number"));
  EXPECT_TRUE(has(message(R"("num_key_value_heads": 3)"), "num_key_value_heads"));
  EXPECT_TRUE(has(message(R"("hidden_size": 30, "num_attention_heads": 4)"), "hidden_size"));
  EXPECT_TRUE(has(message(R"("rope_scaling": {"rope_type": "linear"})"), "factor"));
  EXPECT_EQ(message(R"("hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 1,
                       "num_attention_heads": 4, "vocab_size": 50)"),
            "");
}

TEST(Olmo2ModelTest, ForwardMatchesComposedReference) {
  autograd::NoGradGuard no_grad;
  auto model = models::AutoModelForCausalLM::from_pretrained(checkpoint("olmo2_reference", 11));
  // q_norm spans all heads' features (32), k_norm the key/value heads' (16)
  const auto& params = model->named_parameters();
  for (const auto& [key, t] : params) {
    if (key == "model.layers.0.self_attn.q_norm.weight") {
      EXPECT_EQ(t.shape(), Shape{32});
    }
    if (key == "model.layers.0.self_attn.k_norm.weight") {
      EXPECT_EQ(t.shape(), Shape{16});
    }
    EXPECT_EQ(key.find("input_layernorm"), std::string::npos) << key;  // no pre-norms in OLMo 2
  }
  Reference ref;
  ref.load(*model);
  std::vector<double> ours = logits_of(*model, kIds).to_vector<double>();
  EXPECT_LT(max_diff(ours, ref.logits(kIds)), 1e-4);
  // The reference can tell where the q/k norm's statistics come from: per head, it no longer matches.
  ref.per_head_qk_norm = true;
  EXPECT_GT(max_diff(ours, ref.logits(kIds)), 1e-2);
}

TEST(Olmo2ModelTest, CachedDecodeMatchesFullForward) {
  auto model = models::AutoModelForCausalLM::from_pretrained(checkpoint("olmo2_cache", 12));
  check_cached_decode(*model, "olmo2", 1e-4);
}

TEST(Olmo2ModelTest, BatchOfTwoMatchesTwoSingles) {
  auto model = models::AutoModelForCausalLM::from_pretrained(checkpoint("olmo2_batch", 13));
  check_batch_of_two_matches_singles(*model, {1, 17, 42, 99, 3, 250, 7, 8}, {1, 33, 71, 12, 200});
}

TEST(Olmo2ModelTest, RandomWeightsRoundTripThroughSafetensors) {
  autograd::NoGradGuard no_grad;
  auto dir = transformers::testing::temp_dir("olmo2_round_trip");
  io::write_json(dir / "config.json", tiny_config());
  auto random = models::AutoModelForCausalLM::from_pretrained(dir, {.random_weights = true, .seed = 5});
  // embed, 4 + 2 + 3 + 2 per layer, norm, lm_head
  EXPECT_EQ(save_parameters(*random, dir / "model.safetensors"), size_t(1 + 2 * 11 + 1 + 1));
  auto loaded = models::AutoModelForCausalLM::from_pretrained(dir);
  EXPECT_EQ(logits_of(*loaded, kIds).to_vector<float>(), logits_of(*random, kIds).to_vector<float>());
}
