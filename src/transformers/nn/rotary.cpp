#include "transformers/nn/rotary.h"

#include <algorithm>
#include <cmath>

#include "transformers/core/error.h"

namespace transformers::nn {

namespace {
// 1 / base^(2i/dim) in f32, as torch computes it from an int64 arange turned float.
std::vector<float> default_inv_freq(double base, int64_t dim) {
  std::vector<float> inv;
  for (int64_t i = 0; i < dim; i += 2) {
    float exponent = float(i) / float(dim);
    inv.push_back(1.0f / std::pow(float(base), exponent));
  }
  return inv;
}
}  // namespace

std::pair<std::vector<float>, double> compute_rope_parameters(const RopeParameters& p, int64_t seq_len) {
  TFM_CHECK(p.dim > 0 && p.dim % 2 == 0, "[rope] rotary dim must be positive and even, got ", p.dim);
  const std::string& type = p.rope_type;
  if (type == "default") return {default_inv_freq(p.rope_theta, p.dim), 1.0};
  if (type == "linear") {
    std::vector<float> inv = default_inv_freq(p.rope_theta, p.dim);
    for (float& f : inv) f = f / float(p.factor);
    return {inv, 1.0};
  }
  if (type == "dynamic") {
    const double max_pos = double(p.max_position_embeddings);
    const double len = seq_len > p.max_position_embeddings ? double(seq_len) : max_pos;
    const double base = p.rope_theta * std::pow((p.factor * len / max_pos) - (p.factor - 1.0),
                                                double(p.dim) / double(p.dim - 2));
    return {default_inv_freq(base, p.dim), 1.0};
  }
  if (type == "llama3") {
    TFM_CHECK(p.original_max_position_embeddings.has_value(),
              "[rope] rope_scaling.original_max_position_embeddings is required for llama3");
    std::vector<float> inv = default_inv_freq(p.rope_theta, p.dim);
    const double old_len = double(*p.original_max_position_embeddings);
    const double low_wavelen = old_len / p.low_freq_factor, high_wavelen = old_len / p.high_freq_factor;
    for (float& f : inv) {
      // torch computes these in f32 tensors with Python-float scalars.
      const float wavelen = float(2 * M_PI) / f;
      float scaled = wavelen > float(low_wavelen) ? f / float(p.factor) : f;
      const float smooth = (float(old_len) / wavelen - float(p.low_freq_factor)) /
                           float(p.high_freq_factor - p.low_freq_factor);
      const float smoothed = (1.0f - smooth) * scaled / float(p.factor) + smooth * scaled;
      const bool medium = !(wavelen < float(high_wavelen)) && !(wavelen > float(low_wavelen));
      f = medium ? smoothed : scaled;
    }
    return {inv, 1.0};
  }
  if (type == "yarn") {
    const double factor = p.factor, base = p.rope_theta;
    const double attention = p.attention_factor ? *p.attention_factor : 0.1 * std::log(factor) + 1.0;
    const double beta_fast = p.beta_fast.value_or(32.0), beta_slow = p.beta_slow.value_or(1.0);
    const double max_pos = double(p.max_position_embeddings);
    auto correction_dim = [&](double rotations) {
      return (double(p.dim) * std::log(max_pos / (rotations * 2 * M_PI))) / (2 * std::log(base));
    };
    double low = std::max(std::floor(correction_dim(beta_fast)), 0.0);
    double high = std::min(std::ceil(correction_dim(beta_slow)), double(p.dim - 1));
    if (low == high) high += 0.001;
    std::vector<float> inv;
    for (int64_t i = 0; i < p.dim / 2; ++i) {
      const float pos_freq = std::pow(float(base), float(2 * i) / float(p.dim));
      const float extrapolation = 1.0f / pos_freq;
      const float interpolation = 1.0f / (float(factor) * pos_freq);
      const float ramp = std::clamp((float(i) - float(low)) / (float(high) - float(low)), 0.0f, 1.0f);
      const float extrapolation_factor = 1.0f - ramp;
      inv.push_back(interpolation * (1.0f - extrapolation_factor) + extrapolation * extrapolation_factor);
    }
    return {inv, attention};
  }
  if (type == "longrope") {
    double max_pos = double(p.max_position_embeddings), factor = p.factor, expanded = 0;
    if (p.original_max_position_embeddings) {
      expanded = max_pos;
      max_pos = double(*p.original_max_position_embeddings);
      factor = expanded / max_pos;
    } else {
      expanded = max_pos * factor;
    }
    double attention = 1.0;
    if (p.attention_factor) attention = *p.attention_factor;
    else if (factor > 1.0) attention = std::sqrt(1 + std::log(factor) / std::log(max_pos));
    const std::vector<double>& ext = expanded > max_pos ? p.long_factor : p.short_factor;
    TFM_CHECK(int64_t(ext.size()) == p.dim / 2, "[rope] longrope factors have ", ext.size(),
              " entries, expected ", p.dim / 2);
    std::vector<float> inv;
    for (int64_t i = 0; i < p.dim / 2; ++i) {
      float shape = float(2 * i) / float(p.dim);
      inv.push_back(1.0f / (float(ext[i]) * std::pow(float(p.rope_theta), shape)));
    }
    return {inv, attention};
  }
  throw Error("[rope] unknown rope_type '" + type + "'");
}

RotaryEmbedding::RotaryEmbedding(RopeParameters params) : params_(std::move(params)) {
  auto [inv, scaling] = compute_rope_parameters(params_);
  inv_freq_ = inv;
  original_inv_freq_ = inv;
  attention_scaling_ = scaling;
  max_seq_len_cached_ = params_.max_position_embeddings;
}

std::pair<Tensor, Tensor> RotaryEmbedding::forward(const Tensor& position_ids) {
  TFM_CHECK(position_ids.dim() == 2, "[rope] position_ids must be [batch, seq], got ",
            shape_str(position_ids.shape()));
  std::vector<int64_t> pos = position_ids.to_vector<int64_t>();
  if (params_.rope_type == "dynamic" && !pos.empty()) {
    const int64_t seq_len = *std::max_element(pos.begin(), pos.end()) + 1;
    if (seq_len > max_seq_len_cached_) {
      auto [inv, scaling] = compute_rope_parameters(params_, seq_len);
      inv_freq_ = inv;
      attention_scaling_ = scaling;
      max_seq_len_cached_ = seq_len;
    }
    if (seq_len < params_.max_position_embeddings &&
        max_seq_len_cached_ > params_.max_position_embeddings) {
      inv_freq_ = original_inv_freq_;
      max_seq_len_cached_ = params_.max_position_embeddings;
    }
  }
  const int64_t B = position_ids.size(0), L = position_ids.size(1), half = int64_t(inv_freq_.size());
  const int64_t D = 2 * half;
  Tensor cos = Tensor::empty({B, L, D}), sin = Tensor::empty({B, L, D});
  float* pc = cos.data<float>();
  float* ps = sin.data<float>();
  const float scaling = float(attention_scaling_);
  for (int64_t r = 0; r < B * L; ++r) {
    for (int64_t i = 0; i < half; ++i) {
      const float freq = inv_freq_[i] * float(pos[r]);  // f32, as HF's matmul of f32 tensors
      const float c = std::cos(freq) * scaling, s = std::sin(freq) * scaling;
      pc[r * D + i] = pc[r * D + half + i] = c;
      ps[r * D + i] = ps[r * D + half + i] = s;
    }
  }
  return {cos, sin};
}

}  // namespace transformers::nn
