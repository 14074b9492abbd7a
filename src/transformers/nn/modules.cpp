#include "transformers/nn/modules.h"

namespace transformers::nn {

Linear::Linear(const WeightScope& w, int64_t in_features, int64_t out_features, bool has_bias)
    : weight(w.tensor("weight", {out_features, in_features}, Init::Normal)) {
  if (has_bias) bias = w.tensor("bias", {out_features}, Init::Zeros);
}

Linear Linear::tied(const Tensor& weight) {
  Linear l;
  l.weight = weight;
  return l;
}

Embedding::Embedding(const WeightScope& w, int64_t num_embeddings, int64_t embedding_dim)
    : weight(w.tensor("weight", {num_embeddings, embedding_dim}, Init::Normal)) {}

RMSNorm::RMSNorm(const WeightScope& w, int64_t hidden_size, double eps, double weight_offset)
    : weight(w.tensor("weight", {hidden_size}, weight_offset != 0.0 ? Init::Zeros : Init::Ones)),
      eps(eps),
      weight_offset(weight_offset) {}

LayerNorm::LayerNorm(const WeightScope& w, int64_t hidden_size, double eps, bool has_bias)
    : weight(w.tensor("weight", {hidden_size}, Init::Ones)), eps(eps) {
  if (has_bias) bias = w.tensor("bias", {hidden_size}, Init::Zeros);
}

}  // namespace transformers::nn
