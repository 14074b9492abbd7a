// GPT-NeoX, top to bottom as Hugging Face's modeling_gpt_neox.py.
#include "transformers/models/gpt_neox/modeling_gpt_neox.h"

#include <cmath>

#include "transformers/core/error.h"
#include "transformers/core/ops.h"

namespace transformers::models::gpt_neox {

using namespace transformers::ops;

GPTNeoXMLP::GPTNeoXMLP(const GPTNeoXConfig& config, const nn::WeightScope& w)
    : dense_h_to_4h(w / "dense_h_to_4h", config.hidden_size, config.intermediate_size, true),
      dense_4h_to_h(w / "dense_4h_to_h", config.intermediate_size, config.hidden_size, true),
      act(config.hidden_act) {}

// [batch, seq, hidden_size] -> [batch, seq, hidden_size]
Tensor GPTNeoXMLP::forward(const Tensor& hidden_states) const {
  return dense_4h_to_h(act(dense_h_to_4h(hidden_states)));
}

GPTNeoXAttention::GPTNeoXAttention(const GPTNeoXConfig& config, const nn::WeightScope& w, int64_t layer_idx)
    : layer_idx(layer_idx),
      head_size(config.head_size),
      scaling(1.0 / std::sqrt(double(config.head_size))),
      query_key_value(w / "query_key_value", config.hidden_size, 3 * config.hidden_size, config.attention_bias),
      dense(w / "dense", config.hidden_size, config.hidden_size, config.attention_bias) {}

Tensor GPTNeoXAttention::forward(const Tensor& hidden_states, const Tensor& attention_mask,
                                 const std::pair<Tensor, Tensor>& position_embeddings,
                                 nn::KVCache* layer_past) const {
  const int64_t batch = hidden_states.size(0), seq = hidden_states.size(1);
  // Note [GPT-NeoX qkv layout]
  // The fused projection is interleaved per head: for head h its output holds
  // [q_h | k_h | v_h], each head_size wide (not [all q | all k | all v] as GPT-2's c_attn).
  // [batch, seq, heads, 3 * head_size] -> [batch, heads, seq, 3 * head_size]
  Tensor qkv = query_key_value(hidden_states).view({batch, seq, -1, 3 * head_size}).transpose(1, 2);
  // [batch, heads, seq, head_size] each
  Tensor query_states = qkv.narrow(3, 0, head_size);
  Tensor key_states = qkv.narrow(3, head_size, head_size);
  Tensor value_states = qkv.narrow(3, 2 * head_size, head_size);

  // Partial rotary: cos/sin cover the first int(head_size * rotary_pct) dims, the rest pass through.
  const auto& [cos, sin] = position_embeddings;
  query_states = apply_rotary(query_states, cos, sin);
  key_states = apply_rotary(key_states, cos, sin);

  if (layer_past) std::tie(key_states, value_states) = layer_past->update(layer_idx, key_states, value_states);
  AttentionOptions options;
  options.scale = scaling;
  options.is_causal = true;
  options.q_offset = key_states.size(2) - seq;
  options.key_padding_mask = attention_mask;
  Tensor attn_output = scaled_dot_product_attention(query_states, key_states, value_states, options);
  attn_output = attn_output.transpose(1, 2).reshape({batch, seq, -1});  // [batch, seq, hidden_size]
  return dense(attn_output);
}

GPTNeoXLayer::GPTNeoXLayer(const GPTNeoXConfig& config, const nn::WeightScope& w, int64_t layer_idx)
    : use_parallel_residual(config.use_parallel_residual),
      input_layernorm(w / "input_layernorm", config.hidden_size, config.layer_norm_eps),
      post_attention_layernorm(w / "post_attention_layernorm", config.hidden_size, config.layer_norm_eps),
      attention(config, w / "attention", layer_idx),
      mlp(config, w / "mlp") {}

Tensor GPTNeoXLayer::forward(const Tensor& hidden_states, const Tensor& attention_mask,
                             const std::pair<Tensor, Tensor>& position_embeddings, nn::KVCache* layer_past) const {
  Tensor attn_output =
      attention.forward(input_layernorm(hidden_states), attention_mask, position_embeddings, layer_past);
  if (use_parallel_residual) {
    // x = x + attn(ln1(x)) + mlp(ln2(x)): both branches read the layer input.
    Tensor mlp_output = mlp.forward(post_attention_layernorm(hidden_states));
    return mlp_output + attn_output + hidden_states;
  }
  // x = x + attn(ln1(x)); x = x + mlp(ln2(x))
  attn_output = attn_output + hidden_states;
  Tensor mlp_output = mlp.forward(post_attention_layernorm(attn_output));
  return mlp_output + attn_output;
}

namespace {
std::vector<GPTNeoXLayer> make_layers(const GPTNeoXConfig& config, const nn::WeightScope& w) {
  std::vector<GPTNeoXLayer> layers;
  layers.reserve(size_t(config.num_hidden_layers));
  for (int64_t i = 0; i < config.num_hidden_layers; ++i) layers.emplace_back(config, w / "layers" / i, i);
  return layers;
}

}  // namespace

GPTNeoXModel::GPTNeoXModel(const GPTNeoXConfig& config, const nn::WeightScope& w)
    : embed_in(w / "embed_in", config.vocab_size, config.hidden_size),
      layers(make_layers(config, w)),
      final_layer_norm(w / "final_layer_norm", config.hidden_size, config.layer_norm_eps),
      rotary_emb(config.rope) {}

Tensor GPTNeoXModel::forward(const CausalLMInputs& inputs, std::vector<Tensor>* all_hidden_states) {
  Tensor position_ids = prepare_position_ids(inputs);
  Tensor hidden_states = embed_in(inputs.input_ids);  // [batch, seq, hidden_size]
  // cos, sin [batch, seq, rotary_ndims]
  std::pair<Tensor, Tensor> position_embeddings = rotary_emb.forward(position_ids);
  for (const GPTNeoXLayer& layer : layers) {
    if (all_hidden_states) all_hidden_states->push_back(hidden_states);
    hidden_states = layer.forward(hidden_states, inputs.attention_mask, position_embeddings, inputs.past_key_values);
  }
  hidden_states = final_layer_norm(hidden_states);
  if (all_hidden_states) all_hidden_states->push_back(hidden_states);
  return hidden_states;
}

namespace {
// HF's base_model_prefix rule: a checkpoint saved from GPTNeoXModel has no "gpt_neox." prefix.
nn::WeightScope base_scope(const std::shared_ptr<nn::WeightStore>& store) {
  nn::WeightScope root(store);
  if (!store->is_random() && !store->contains("gpt_neox.embed_in.weight") && store->contains("embed_in.weight"))
    return root;
  return root / GPTNeoXForCausalLM::kBaseModelPrefix;
}
}  // namespace

GPTNeoXForCausalLM::GPTNeoXForCausalLM(GPTNeoXConfig config, std::shared_ptr<nn::WeightStore> store)
    : config_(std::move(config)), store_(std::move(store)), gpt_neox(config_, base_scope(store_)) {
  embed_out = config_.tie_word_embeddings
                  ? nn::Linear::tied(gpt_neox.embed_in.weight)
                  : nn::Linear(nn::WeightScope(store_) / "embed_out", config_.hidden_size, config_.vocab_size, false);
  // Keys Hugging Face ignores: buffers of old checkpoints (rotary inv_freq, causal-mask bias and
  // masked_bias of each attention), embed_out when tied.
  store_->finish_strict({"rotary_emb.inv_freq", "attention.bias", "attention.masked_bias",
                         config_.tie_word_embeddings ? "embed_out.weight" : "\x01"});
}

std::unique_ptr<GPTNeoXForCausalLM> GPTNeoXForCausalLM::from_pretrained(const std::filesystem::path& model_dir,
                                                                        const LoadOptions& options) {
  GPTNeoXConfig config = GPTNeoXConfig::from_file(model_dir / "config.json");
  auto store = open_weights(model_dir, options, config.initializer_range);
  return std::make_unique<GPTNeoXForCausalLM>(std::move(config), std::move(store));
}

CausalLMOutput GPTNeoXForCausalLM::forward(const CausalLMInputs& inputs) {
  CausalLMOutput out;
  Tensor hidden_states = gpt_neox.forward(inputs, inputs.output_hidden_states ? &out.hidden_states : nullptr);
  const int64_t seq = hidden_states.size(1);
  if (inputs.logits_to_keep > 0 && inputs.logits_to_keep < seq)
    hidden_states = hidden_states.narrow(1, seq - inputs.logits_to_keep, inputs.logits_to_keep);
  out.logits = embed_out(hidden_states);  // [batch, seq, vocab_size]
  return out;
}

std::unique_ptr<nn::KVCache> GPTNeoXForCausalLM::make_cache(int64_t max_cache_len) const {
  return std::make_unique<nn::DynamicCache>(config_.num_hidden_layers, max_cache_len);
}

}  // namespace transformers::models::gpt_neox
