// Phi, top to bottom as Hugging Face's modeling_phi.py.
#include "transformers/models/phi/modeling_phi.h"

#include <cmath>

#include "transformers/core/error.h"
#include "transformers/core/ops.h"

namespace transformers::models::phi {

using namespace transformers::ops;

PhiMLP::PhiMLP(const PhiConfig& config, const nn::WeightScope& w)
    : fc1(w / "fc1", config.hidden_size, config.intermediate_size, true),
      fc2(w / "fc2", config.intermediate_size, config.hidden_size, true),
      activation_fn(config.hidden_act) {}

// [batch, seq, hidden_size] -> [batch, seq, hidden_size]
Tensor PhiMLP::forward(const Tensor& hidden_states) const { return fc2(activation_fn(fc1(hidden_states))); }

PhiAttention::PhiAttention(const PhiConfig& config, const nn::WeightScope& w, int64_t layer_idx)
    : layer_idx(layer_idx),
      head_dim(config.head_dim),
      num_key_value_groups(config.num_attention_heads / config.num_key_value_heads),
      rotary_ndims(config.rope.dim),
      scaling(1.0 / std::sqrt(double(config.head_dim))),
      q_proj(w / "q_proj", config.hidden_size, config.num_attention_heads * config.head_dim, true),
      k_proj(w / "k_proj", config.hidden_size, config.num_key_value_heads * config.head_dim, true),
      v_proj(w / "v_proj", config.hidden_size, config.num_key_value_heads * config.head_dim, true),
      dense(w / "dense", config.num_attention_heads * config.head_dim, config.hidden_size, true) {
  if (config.qk_layernorm) {
    q_layernorm.emplace(w / "q_layernorm", config.head_dim, config.layer_norm_eps);
    k_layernorm.emplace(w / "k_layernorm", config.head_dim, config.layer_norm_eps);
  }
}

Tensor PhiAttention::forward(const Tensor& hidden_states, const std::pair<Tensor, Tensor>& position_embeddings,
                             const Tensor& attention_mask, nn::KVCache* past_key_value) const {
  const int64_t batch = hidden_states.size(0), seq = hidden_states.size(1);
  const Shape hidden_shape = {batch, seq, -1, head_dim};
  // [batch, heads, seq, head_dim]
  Tensor query_states = q_proj(hidden_states).view(hidden_shape).transpose(1, 2);
  Tensor key_states = k_proj(hidden_states).view(hidden_shape).transpose(1, 2);
  Tensor value_states = v_proj(hidden_states).view(hidden_shape).transpose(1, 2);

  // differs from Llama: optional per-head LayerNorm on q and k before the rotary embedding
  if (q_layernorm) {
    query_states = (*q_layernorm)(query_states);
    key_states = (*k_layernorm)(key_states);
  }

  // Partial rotary: cos/sin cover the first rotary_ndims dims of each head, the rest pass through.
  const auto& [cos, sin] = position_embeddings;
  query_states = apply_rotary(query_states, cos, sin);
  key_states = apply_rotary(key_states, cos, sin);

  if (past_key_value)
    std::tie(key_states, value_states) = past_key_value->update(layer_idx, key_states, value_states);
  AttentionOptions options;
  options.scale = scaling;
  options.is_causal = true;
  options.q_offset = key_states.size(2) - seq;
  options.key_padding_mask = attention_mask;
  Tensor attn_output = scaled_dot_product_attention(query_states, key_states, value_states, options);
  attn_output = attn_output.transpose(1, 2).reshape({batch, seq, -1});  // [batch, seq, heads * head_dim]
  return dense(attn_output);
}

PhiDecoderLayer::PhiDecoderLayer(const PhiConfig& config, const nn::WeightScope& w, int64_t layer_idx)
    : self_attn(config, w / "self_attn", layer_idx),
      mlp(config, w / "mlp"),
      input_layernorm(w / "input_layernorm", config.hidden_size, config.layer_norm_eps) {}

Tensor PhiDecoderLayer::forward(const Tensor& hidden_states, const std::pair<Tensor, Tensor>& position_embeddings,
                                const Tensor& attention_mask, nn::KVCache* past_key_value) const {
  // differs from Llama: one norm, and attention and MLP run in parallel on its output.
  Tensor residual = hidden_states;
  Tensor h = input_layernorm(hidden_states);
  Tensor attn_outputs = self_attn.forward(h, position_embeddings, attention_mask, past_key_value);
  Tensor feed_forward_hidden_states = mlp.forward(h);
  return attn_outputs + feed_forward_hidden_states + residual;
}

namespace {
std::vector<PhiDecoderLayer> make_layers(const PhiConfig& config, const nn::WeightScope& w) {
  std::vector<PhiDecoderLayer> layers;
  layers.reserve(size_t(config.num_hidden_layers));
  for (int64_t i = 0; i < config.num_hidden_layers; ++i) layers.emplace_back(config, w / "layers" / i, i);
  return layers;
}

}  // namespace

PhiModel::PhiModel(const PhiConfig& config, const nn::WeightScope& w)
    : embed_tokens(w / "embed_tokens", config.vocab_size, config.hidden_size),
      layers(make_layers(config, w)),
      rotary_emb(config.rope),
      final_layernorm(w / "final_layernorm", config.hidden_size, config.layer_norm_eps) {}

Tensor PhiModel::forward(const CausalLMInputs& inputs, std::vector<Tensor>* all_hidden_states) {
  Tensor position_ids = prepare_position_ids(inputs);
  Tensor hidden_states = embed_tokens(inputs.input_ids);  // [batch, seq, hidden_size]
  // cos, sin [batch, seq, rotary_ndims]
  std::pair<Tensor, Tensor> position_embeddings = rotary_emb.forward(position_ids);
  for (const PhiDecoderLayer& layer : layers) {
    if (all_hidden_states) all_hidden_states->push_back(hidden_states);
    hidden_states = layer.forward(hidden_states, position_embeddings, inputs.attention_mask, inputs.past_key_values);
  }
  hidden_states = final_layernorm(hidden_states);
  if (all_hidden_states) all_hidden_states->push_back(hidden_states);
  return hidden_states;
}

namespace {
// HF's base_model_prefix rule: a checkpoint saved from PhiModel has no "model." prefix.
nn::WeightScope base_scope(const std::shared_ptr<nn::WeightStore>& store) {
  nn::WeightScope root(store);
  if (!store->is_random() && !store->contains("model.embed_tokens.weight") && store->contains("embed_tokens.weight"))
    return root;
  return root / PhiForCausalLM::kBaseModelPrefix;
}
}  // namespace

PhiForCausalLM::PhiForCausalLM(PhiConfig config, std::shared_ptr<nn::WeightStore> store)
    : config_(std::move(config)), store_(std::move(store)), model(config_, base_scope(store_)) {
  nn::WeightScope head = nn::WeightScope(store_) / "lm_head";
  if (config_.tie_word_embeddings) {
    // Tied: the head reuses embed_tokens but keeps its own bias.
    lm_head = nn::Linear::tied(model.embed_tokens.weight);
    lm_head.bias = head.tensor("bias", {config_.vocab_size}, nn::Init::Zeros);
  } else {
    lm_head = nn::Linear(head, config_.hidden_size, config_.vocab_size, true);
  }
  // Keys Hugging Face ignores: the rotary buffer of old checkpoints, lm_head.weight when tied.
  store_->finish_strict({"rotary_emb.inv_freq", config_.tie_word_embeddings ? "lm_head.weight" : "\x01"});
}

std::unique_ptr<PhiForCausalLM> PhiForCausalLM::from_pretrained(const std::filesystem::path& model_dir,
                                                                const LoadOptions& options) {
  PhiConfig config = PhiConfig::from_file(model_dir / "config.json");
  auto store = open_weights(model_dir, options, config.initializer_range);
  return std::make_unique<PhiForCausalLM>(std::move(config), std::move(store));
}

CausalLMOutput PhiForCausalLM::forward(const CausalLMInputs& inputs) {
  CausalLMOutput out;
  Tensor hidden_states = model.forward(inputs, inputs.output_hidden_states ? &out.hidden_states : nullptr);
  const int64_t seq = hidden_states.size(1);
  if (inputs.logits_to_keep > 0 && inputs.logits_to_keep < seq)
    hidden_states = hidden_states.narrow(1, seq - inputs.logits_to_keep, inputs.logits_to_keep);
  out.logits = lm_head(hidden_states);  // [batch, seq, vocab_size]
  return out;
}

std::unique_ptr<nn::KVCache> PhiForCausalLM::make_cache(int64_t max_cache_len) const {
  return std::make_unique<nn::DynamicCache>(config_.num_hidden_layers, max_cache_len);
}

}  // namespace transformers::models::phi
