#pragma once
// Leaf modules shared by every architecture, with Hugging Face's parameter names. Each binds its
// weights in the constructor through a WeightScope and is callable: q_proj(x) == q_proj.forward(x).
#include <optional>
#include <string>

#include "transformers/core/ops.h"
#include "transformers/nn/weights.h"

namespace transformers::nn {

// y = x W^T + b, W [out_features, in_features] as HF stores it.
struct Linear {
  Tensor weight;
  Tensor bias;  // undefined when bias=false

  Linear() = default;
  Linear(const WeightScope& w, int64_t in_features, int64_t out_features, bool bias);
  // Shares another module's weight (tied lm_head).
  static Linear tied(const Tensor& weight);

  Tensor forward(const Tensor& x) const { return ops::linear(x, weight, bias); }
  Tensor operator()(const Tensor& x) const { return forward(x); }
};

struct Embedding {
  Tensor weight;  // [num_embeddings, embedding_dim]

  Embedding() = default;
  Embedding(const WeightScope& w, int64_t num_embeddings, int64_t embedding_dim);

  Tensor forward(const Tensor& ids) const { return ops::embedding(weight, ids); }
  Tensor operator()(const Tensor& ids) const { return forward(ids); }
};

// x * rsqrt(mean(x^2) + eps) * (weight_offset + weight), computed in f32.
struct RMSNorm {
  Tensor weight;
  double eps = 1e-6;
  double weight_offset = 0.0;  // 1.0 for Gemma's (1 + weight)

  RMSNorm() = default;
  RMSNorm(const WeightScope& w, int64_t hidden_size, double eps, double weight_offset = 0.0);

  Tensor forward(const Tensor& x) const { return ops::rms_norm(x, weight, eps, weight_offset); }
  Tensor operator()(const Tensor& x) const { return forward(x); }
};

struct LayerNorm {
  Tensor weight, bias;
  double eps = 1e-5;

  LayerNorm() = default;
  LayerNorm(const WeightScope& w, int64_t hidden_size, double eps, bool bias = true);

  Tensor forward(const Tensor& x) const { return ops::layer_norm(x, weight, bias, eps); }
  Tensor operator()(const Tensor& x) const { return forward(x); }
};

// An activation by its Hugging Face name (config.hidden_act).
struct Activation {
  ops::UnaryOp op = ops::UnaryOp::Identity;

  Activation() = default;
  explicit Activation(const std::string& hidden_act) : op(ops::activation_from_name(hidden_act)) {}

  Tensor forward(const Tensor& x) const { return ops::unary(op, x); }
  Tensor operator()(const Tensor& x) const { return forward(x); }
};

}  // namespace transformers::nn
