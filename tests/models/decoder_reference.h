#pragma once
// Shared by the decoder tests that have no Hugging Face fixture (olmo, olmo2, gemma3): a model
// folder of random weights, and the common pieces of a plain double-precision reference written
// from v4.51's Python (linear, rotate-half RoPE, causal GQA attention). Each test composes its
// model's forward pass from these and its own norms, activations and layer order.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "models/decoder_checks.h"

namespace transformers::testing::decoder {

// A model folder with `config` and random weights: every tensor ~ N(0, 0.3) from `seed`, plus
// `norm_base` for tensors whose key names a norm (1 keeps x * w norm weights near HF's ones
// initialisation; 0 suits (1 + w) norms).
inline std::filesystem::path write_checkpoint(const std::string& name, const nlohmann::json& config, uint32_t seed,
                                              float norm_base = 0.0f) {
  auto dir = temp_dir(name);
  io::write_json(dir / "config.json", config);
  auto random = models::AutoModelForCausalLM::from_pretrained(dir, {.random_weights = true});
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.3f);
  std::vector<std::vector<float>> data;
  std::vector<io::TensorToWrite> tensors;
  for (const auto& [key, t] : random->named_parameters()) {
    const float base = key.find("norm") != std::string::npos ? norm_base : 0.0f;
    std::vector<float> v(size_t(t.numel()));
    for (float& x : v) x = base + normal(rng);
    data.push_back(std::move(v));
    tensors.push_back({key, DType::Float32, t.shape(), nullptr});
  }
  for (size_t i = 0; i < tensors.size(); ++i) tensors[i].data = data[i].data();
  io::save_safetensors(dir / "model.safetensors", tensors);
  return dir;
}

// config.json for DecoderReference's shapes (2 layers, hidden 32, 4 heads of 8, 2 key/value heads,
// intermediate 48, vocab 256), plus each test's own fields.
inline nlohmann::json reference_config(const std::string& architecture, const std::string& model_type,
                                       const nlohmann::json& fields) {
  nlohmann::json config = {{"architectures", {architecture}},
                           {"model_type", model_type},
                           {"vocab_size", 256},
                           {"hidden_size", 32},
                           {"intermediate_size", 48},
                           {"num_hidden_layers", 2},
                           {"num_attention_heads", 4},
                           {"num_key_value_heads", 2}};
  config.update(fields);
  return config;
}

// Logits of one unpadded row.
inline Tensor logits_of(models::CausalLM& model, const std::vector<int64_t>& ids) {
  models::CausalLMInputs in;
  in.input_ids = Tensor::from_vector(ids, {1, int64_t(ids.size())});
  return model.forward(in).logits;
}

inline double max_diff(const std::vector<double>& a, const std::vector<double>& b) {
  EXPECT_EQ(a.size(), b.size());
  double d = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) d = std::max(d, std::abs(a[i] - b[i]));
  return d;
}

using Rows = std::vector<std::vector<double>>;  // [seq][features]

// A reference decoder's parameters and shapes (batch 1, no padding) with the pieces every such
// model shares. A test derives its model's reference from it.
struct DecoderReference {
  std::map<std::string, std::vector<double>> w;  // parameters by HF key
  int64_t hidden = 32, heads = 4, kv_heads = 2, head_dim = 8, inter = 48, vocab = 256;

  // Takes every parameter of `model`.
  void load(const models::CausalLM& model) {
    for (const auto& [key, t] : model.named_parameters()) w[key] = t.to_vector<double>();
  }
  const std::vector<double>& p(const std::string& key) const { return w.at(key); }

  // x W^T with W = p(key), [out, in].
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
  // Rotate-half RoPE per head at positions 0..seq-1 with inv_freq[i] = base^(-2i/head_dim).
  Rows rope(Rows x, double base) const {
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
  // Causal attention, softmax(q . k * scale) per head, query head h reading key/value head
  // h / (heads / kv_heads); with window > 0 a query sees only the last `window` positions.
  Rows attention(const Rows& q, const Rows& k, const Rows& v, double scale, int64_t window = 0) const {
    std::vector<int64_t> first(q.size());
    for (size_t i = 0; i < q.size(); ++i) first[i] = window > 0 ? std::max<int64_t>(0, int64_t(i) - window + 1) : 0;
    return attention_spans(q, k, v, scale, first, std::vector<bool>(q.size(), false));
  }
  // As attention(), with query i seeing keys first[i]..i, plus, where zero_slot[i], one more key
  // and value of zeros (the empty slot of a rolled sliding-window buffer: it scores 0).
  Rows attention_spans(const Rows& q, const Rows& k, const Rows& v, double scale, const std::vector<int64_t>& first,
                       const std::vector<bool>& zero_slot) const {
    const size_t T = q.size();
    Rows out(T, std::vector<double>(size_t(heads * head_dim), 0.0));
    for (int64_t h = 0; h < heads; ++h) {
      const size_t qo = size_t(h * head_dim), ko = size_t((h / (heads / kv_heads)) * head_dim);
      for (size_t i = 0; i < T; ++i) {
        std::vector<double> score(T, -INFINITY);
        double top = zero_slot[i] ? 0.0 : -INFINITY;
        for (size_t j = size_t(first[i]); j <= i; ++j) {
          double s = 0;
          for (int64_t d = 0; d < head_dim; ++d) s += q[i][qo + size_t(d)] * k[j][ko + size_t(d)];
          top = std::max(top, score[j] = s * scale);
        }
        double total = zero_slot[i] ? std::exp(0.0 - top) : 0.0;
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
};

}  // namespace transformers::testing::decoder
