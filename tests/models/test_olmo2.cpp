// OLMo 2 (Olmo2ForCausalLM) without a Hugging Face fixture: the parity argument is in
// modeling_olmo2.cpp's header. Here: the whole forward pass against a plain double-precision
// composition of v4.51's math written in this file (q/k RMSNorm over the whole projection before
// the head split and RoPE, norms after attention and MLP, GQA), cached decoding and batching
// self-consistency, config errors, and a save/load round trip of random weights.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <random>

#include "models/decoder_checks.h"
#include "transformers/models/olmo2/configuration_olmo2.h"

using namespace transformers;
using namespace transformers::testing::decoder;

namespace {

nlohmann::json tiny_config() {
  return {{"architectures", {"Olmo2ForCausalLM"}},
          {"model_type", "olmo2"},
          {"vocab_size", 256},
          {"hidden_size", 32},
          {"intermediate_size", 48},
          {"num_hidden_layers", 2},
          {"num_attention_heads", 4},
          {"num_key_value_heads", 2},
          {"rope_theta", 500.0},
          {"rms_norm_eps", 1e-6}};
}

// A model folder with `config` and random weights: every tensor ~ base + N(0, 0.3) from `seed`,
// base 1 for norm weights (so they stay scales near HF's ones initialisation), 0 otherwise.
std::filesystem::path write_checkpoint(const std::string& name, const nlohmann::json& config, uint32_t seed) {
  auto dir = transformers::testing::temp_dir(name);
  io::write_json(dir / "config.json", config);
  auto random = models::AutoModelForCausalLM::from_pretrained(dir, {.random_weights = true});
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.3f);
  std::vector<std::vector<float>> data;
  std::vector<io::TensorToWrite> tensors;
  for (const auto& [key, t] : random->named_parameters()) {
    const float base = key.find("norm") != std::string::npos ? 1.0f : 0.0f;
    std::vector<float> v(size_t(t.numel()));
    for (float& x : v) x = base + normal(rng);
    data.push_back(std::move(v));
    tensors.push_back({key, DType::Float32, t.shape(), nullptr});
  }
  for (size_t i = 0; i < tensors.size(); ++i) tensors[i].data = data[i].data();
  io::save_safetensors(dir / "model.safetensors", tensors);
  return dir;
}

Tensor logits_of(models::CausalLM& model, const std::vector<int64_t>& ids) {
  models::CausalLMInputs in;
  in.input_ids = Tensor::from_vector(ids, {1, int64_t(ids.size())});
  return model.forward(in).logits;
}

// ---- a plain double-precision OLMo 2 (batch 1, no padding), written from v4.51's Python ----
using Rows = std::vector<std::vector<double>>;  // [seq][features]

struct Reference {
  std::map<std::string, std::vector<double>> w;
  int64_t hidden = 32, heads = 4, kv_heads = 2, head_dim = 8, inter = 48, vocab = 256;
  double eps = 1e-6, base = 500.0;
  bool per_head_qk_norm = false;  // negative control: Qwen3-style placement

  const std::vector<double>& p(const std::string& key) const { return w.at(key); }

  Rows linear(const Rows& x, const std::string& key, int64_t out) const {
    const std::vector<double>& W = p(key);
    Rows y(x.size(), std::vector<double>(size_t(out)));
    const size_t in = x[0].size();
    for (size_t t = 0; t < x.size(); ++t)
      for (int64_t o = 0; o < out; ++o) {
        double s = 0;
        for (size_t i = 0; i < in; ++i) s += W[size_t(o) * in + i] * x[t][i];
        y[t][size_t(o)] = s;
      }
    return y;
  }
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
  // Rotate-half RoPE per head at positions 0..seq-1 with inv_freq[i] = base^(-2i/head_dim).
  Rows rope(Rows x) const {
    const int64_t half = head_dim / 2;
    for (size_t t = 0; t < x.size(); ++t)
      for (size_t s = 0; s < x[t].size(); s += size_t(head_dim))
        for (int64_t i = 0; i < half; ++i) {
          const double angle = double(t) * std::pow(base, -2.0 * double(i) / double(head_dim));
          const double a = x[t][s + size_t(i)], b = x[t][s + size_t(i + half)];
          x[t][s + size_t(i)] = a * std::cos(angle) - b * std::sin(angle);
          x[t][s + size_t(i + half)] = b * std::cos(angle) + a * std::sin(angle);
        }
    return x;
  }
  Rows attention(const Rows& q, const Rows& k, const Rows& v) const {
    const size_t T = q.size();
    Rows out(T, std::vector<double>(size_t(heads * head_dim), 0.0));
    const double scale = 1.0 / std::sqrt(double(head_dim));
    for (int64_t h = 0; h < heads; ++h) {
      const size_t qo = size_t(h * head_dim), ko = size_t((h / (heads / kv_heads)) * head_dim);
      for (size_t i = 0; i < T; ++i) {
        std::vector<double> score(T, -INFINITY);
        double top = -INFINITY;
        for (size_t j = 0; j <= i; ++j) {
          double s = 0;
          for (int64_t d = 0; d < head_dim; ++d) s += q[i][qo + size_t(d)] * k[j][ko + size_t(d)];
          top = std::max(top, score[j] = s * scale);
        }
        double total = 0;
        for (double& s : score) total += (s = std::exp(s - top));
        for (size_t j = 0; j < T; ++j)
          for (int64_t d = 0; d < head_dim; ++d) out[i][qo + size_t(d)] += score[j] / total * v[j][ko + size_t(d)];
      }
    }
    return out;
  }
  static void add(Rows& x, const Rows& y) {
    for (size_t t = 0; t < x.size(); ++t)
      for (size_t i = 0; i < x[t].size(); ++i) x[t][i] += y[t][i];
  }

  std::vector<double> logits(const std::vector<int64_t>& ids) const {
    const std::vector<double>& E = p("model.embed_tokens.weight");
    Rows x;
    for (int64_t id : ids) x.emplace_back(E.begin() + id * hidden, E.begin() + (id + 1) * hidden);
    for (int64_t l = 0; l < 2; ++l) {
      const std::string pre = "model.layers." + std::to_string(l) + ".";
      const int64_t q_group = per_head_qk_norm ? head_dim : heads * head_dim;
      const int64_t k_group = per_head_qk_norm ? head_dim : kv_heads * head_dim;
      Rows q = rope(norm(linear(x, pre + "self_attn.q_proj.weight", heads * head_dim), pre + "self_attn.q_norm.weight", q_group));
      Rows k = rope(norm(linear(x, pre + "self_attn.k_proj.weight", kv_heads * head_dim), pre + "self_attn.k_norm.weight", k_group));
      Rows v = linear(x, pre + "self_attn.v_proj.weight", kv_heads * head_dim);
      Rows a = linear(attention(q, k, v), pre + "self_attn.o_proj.weight", hidden);
      add(x, norm(a, pre + "post_attention_layernorm.weight", hidden));
      Rows gate = linear(x, pre + "mlp.gate_proj.weight", inter), up = linear(x, pre + "mlp.up_proj.weight", inter);
      for (size_t t = 0; t < gate.size(); ++t)
        for (size_t i = 0; i < gate[t].size(); ++i) gate[t][i] = gate[t][i] / (1 + std::exp(-gate[t][i])) * up[t][i];
      add(x, norm(linear(gate, pre + "mlp.down_proj.weight", hidden), pre + "post_feedforward_layernorm.weight", hidden));
    }
    Rows logits = linear(norm(x, "model.norm.weight", hidden), "lm_head.weight", vocab);  // not tied
    std::vector<double> flat;
    for (const auto& row : logits) flat.insert(flat.end(), row.begin(), row.end());
    return flat;
  }
};

double max_diff(const std::vector<double>& a, const std::vector<double>& b) {
  EXPECT_EQ(a.size(), b.size());
  double d = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) d = std::max(d, std::abs(a[i] - b[i]));
  return d;
}

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
  auto model = models::AutoModelForCausalLM::from_pretrained(write_checkpoint("olmo2_reference", tiny_config(), 11));
  // q_norm spans all heads' features (32), k_norm the key/value heads' (16)
  const auto& params = model->named_parameters();
  for (const auto& [key, t] : params) {
    if (key == "model.layers.0.self_attn.q_norm.weight") EXPECT_EQ(t.shape(), Shape{32});
    if (key == "model.layers.0.self_attn.k_norm.weight") EXPECT_EQ(t.shape(), Shape{16});
    EXPECT_EQ(key.find("input_layernorm"), std::string::npos) << key;  // no pre-norms in OLMo 2
  }
  Reference ref;
  for (const auto& [key, t] : params) ref.w[key] = t.to_vector<double>();
  std::vector<double> ours = logits_of(*model, kIds).to_vector<double>();
  EXPECT_LT(max_diff(ours, ref.logits(kIds)), 1e-4);
  // The reference can tell where the q/k norm's statistics come from: per head, it no longer matches.
  ref.per_head_qk_norm = true;
  EXPECT_GT(max_diff(ours, ref.logits(kIds)), 1e-2);
}

TEST(Olmo2ModelTest, CachedDecodeMatchesFullForward) {
  auto model = models::AutoModelForCausalLM::from_pretrained(write_checkpoint("olmo2_cache", tiny_config(), 12));
  check_cached_decode(*model, "olmo2", 1e-4);
}

TEST(Olmo2ModelTest, BatchOfTwoMatchesTwoSingles) {
  auto model = models::AutoModelForCausalLM::from_pretrained(write_checkpoint("olmo2_batch", tiny_config(), 13));
  check_batch_of_two_matches_singles(*model, {1, 17, 42, 99, 3, 250, 7, 8}, {1, 33, 71, 12, 200});
}

TEST(Olmo2ModelTest, RandomWeightsRoundTripThroughSafetensors) {
  autograd::NoGradGuard no_grad;
  auto dir = transformers::testing::temp_dir("olmo2_round_trip");
  io::write_json(dir / "config.json", tiny_config());
  auto random = models::AutoModelForCausalLM::from_pretrained(dir, {.random_weights = true, .seed = 5});
  EXPECT_EQ(save_parameters(*random, dir / "model.safetensors"), size_t(1 + 2 * 11 + 1 + 1));  // embed, 4 + 2 + 3 + 2 per layer, norm, lm_head
  auto loaded = models::AutoModelForCausalLM::from_pretrained(dir);
  EXPECT_EQ(logits_of(*loaded, kIds).to_vector<float>(), logits_of(*random, kIds).to_vector<float>());
}
