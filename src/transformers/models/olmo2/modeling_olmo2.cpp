// OLMo 2 (Olmo2ForCausalLM), top to bottom as Hugging Face v4.51's modeling_olmo2.py.
//
// Parity argument (no fixture exists for this architecture): this follows v4.51's code path for
// Olmo2ForCausalLM with eager attention, which is Llama's (models/llama/) with three changes:
//  - Olmo2Attention: q_norm and k_norm are RMSNorms over the whole q / k projection
//    (num_attention_heads * head_dim and num_key_value_heads * head_dim features), applied to
//    the projections before the heads are split and before RoPE. Qwen3 and Gemma3 normalise per
//    head instead.
//  - Olmo2DecoderLayer normalises the sublayer outputs, not their inputs:
//      h = h + post_attention_layernorm(self_attn(h)); h = h + post_feedforward_layernorm(mlp(h)).
//  - Olmo2RMSNorm multiplies by the weight in f32 before casting back (Llama casts first); our
//    rms_norm op computes exactly that.
// No clip_qkv (Olmo2Config drops it), no MLP biases, rotary embeddings as Llama's.
#include "transformers/models/olmo2/modeling_olmo2.h"

#include <cmath>

#include "transformers/core/error.h"
#include "transformers/core/ops.h"

namespace transformers::models::olmo2 {

using namespace transformers::ops;

Olmo2MLP::Olmo2MLP(const Olmo2Config& config, const nn::WeightScope& w)
    : gate_proj(w / "gate_proj", config.hidden_size, config.intermediate_size, false),
      up_proj(w / "up_proj", config.hidden_size, config.intermediate_size, false),
      down_proj(w / "down_proj", config.intermediate_size, config.hidden_size, false),
      act_fn(config.hidden_act) {}

// x: [batch, seq, hidden_size] -> [batch, seq, hidden_size]
Tensor Olmo2MLP::forward(const Tensor& x) const { return down_proj(act_fn(gate_proj(x)) * up_proj(x)); }

Olmo2Attention::Olmo2Attention(const Olmo2Config& config, const nn::WeightScope& w, int64_t layer_idx)
    : layer_idx(layer_idx),
      head_dim(config.head_dim),
      num_key_value_groups(config.num_attention_heads / config.num_key_value_heads),
      scaling(1.0 / std::sqrt(double(config.head_dim))),
      q_proj(w / "q_proj", config.hidden_size, config.num_attention_heads * config.head_dim, config.attention_bias),
      k_proj(w / "k_proj", config.hidden_size, config.num_key_value_heads * config.head_dim, config.attention_bias),
      v_proj(w / "v_proj", config.hidden_size, config.num_key_value_heads * config.head_dim, config.attention_bias),
      o_proj(w / "o_proj", config.num_attention_heads * config.head_dim, config.hidden_size, config.attention_bias),
      q_norm(w / "q_norm", config.num_attention_heads * config.head_dim, config.rms_norm_eps),
      k_norm(w / "k_norm", config.num_key_value_heads * config.head_dim, config.rms_norm_eps) {}

Tensor Olmo2Attention::forward(const Tensor& hidden_states, const std::pair<Tensor, Tensor>& position_embeddings,
                               const Tensor& attention_mask, nn::KVCache* past_key_values) const {
  const int64_t batch = hidden_states.size(0), seq = hidden_states.size(1);
  const Shape hidden_shape = {batch, seq, -1, head_dim};
  // differs from Llama: RMSNorm over the whole projection, before splitting heads
  Tensor query_states = q_norm(q_proj(hidden_states));  // [batch, seq, heads * head_dim]
  Tensor key_states = k_norm(k_proj(hidden_states));    // [batch, seq, kv_heads * head_dim]
  Tensor value_states = v_proj(hidden_states);
  // [batch, heads, seq, head_dim]
  query_states = query_states.view(hidden_shape).transpose(1, 2);
  key_states = key_states.view(hidden_shape).transpose(1, 2);
  value_states = value_states.view(hidden_shape).transpose(1, 2);

  const auto& [cos, sin] = position_embeddings;
  query_states = apply_rotary(query_states, cos, sin);
  key_states = apply_rotary(key_states, cos, sin);

  if (past_key_values)
    std::tie(key_states, value_states) = past_key_values->update(layer_idx, key_states, value_states);
  AttentionOptions options;
  options.scale = scaling;
  options.is_causal = true;
  options.q_offset = key_states.size(2) - seq;
  options.key_padding_mask = attention_mask;
  Tensor attn_output = scaled_dot_product_attention(query_states, key_states, value_states, options);
  attn_output = attn_output.transpose(1, 2).reshape({batch, seq, -1});  // [batch, seq, heads * head_dim]
  return o_proj(attn_output);
}

Olmo2DecoderLayer::Olmo2DecoderLayer(const Olmo2Config& config, const nn::WeightScope& w, int64_t layer_idx)
    : self_attn(config, w / "self_attn", layer_idx),
      mlp(config, w / "mlp"),
      post_attention_layernorm(w / "post_attention_layernorm", config.hidden_size, config.rms_norm_eps),
      post_feedforward_layernorm(w / "post_feedforward_layernorm", config.hidden_size, config.rms_norm_eps) {}

Tensor Olmo2DecoderLayer::forward(const Tensor& hidden_states, const std::pair<Tensor, Tensor>& position_embeddings,
                                  const Tensor& attention_mask, nn::KVCache* past_key_values) const {
  // differs from Llama: the sublayer outputs are normed (post-norm inside the residual)
  Tensor residual = hidden_states;
  Tensor h = self_attn.forward(hidden_states, position_embeddings, attention_mask, past_key_values);
  h = post_attention_layernorm(h);
  h = residual + h;

  residual = h;
  h = mlp.forward(h);
  h = post_feedforward_layernorm(h);
  return residual + h;
}

namespace {
std::vector<Olmo2DecoderLayer> make_layers(const Olmo2Config& config, const nn::WeightScope& w) {
  std::vector<Olmo2DecoderLayer> layers;
  layers.reserve(size_t(config.num_hidden_layers));
  for (int64_t i = 0; i < config.num_hidden_layers; ++i) layers.emplace_back(config, w / "layers" / i, i);
  return layers;
}

}  // namespace

Olmo2Model::Olmo2Model(const Olmo2Config& config, const nn::WeightScope& w)
    : embed_tokens(w / "embed_tokens", config.vocab_size, config.hidden_size),
      layers(make_layers(config, w)),
      norm(w / "norm", config.hidden_size, config.rms_norm_eps),
      rotary_emb(config.rope) {}

Tensor Olmo2Model::forward(const CausalLMInputs& inputs, std::vector<Tensor>* all_hidden_states) {
  Tensor position_ids = prepare_position_ids(inputs);
  Tensor hidden_states = embed_tokens(inputs.input_ids);  // [batch, seq, hidden_size]
  std::pair<Tensor, Tensor> position_embeddings = rotary_emb.forward(position_ids);  // cos, sin [batch, seq, head_dim]
  for (const Olmo2DecoderLayer& layer : layers) {
    if (all_hidden_states) all_hidden_states->push_back(hidden_states);
    hidden_states = layer.forward(hidden_states, position_embeddings, inputs.attention_mask, inputs.past_key_values);
  }
  hidden_states = norm(hidden_states);
  if (all_hidden_states) all_hidden_states->push_back(hidden_states);
  return hidden_states;
}

namespace {
// HF's base_model_prefix rule: a checkpoint saved from Olmo2Model has no "model." prefix.
nn::WeightScope base_scope(const std::shared_ptr<nn::WeightStore>& store) {
  nn::WeightScope root(store);
  if (!store->is_random() && !store->contains("model.embed_tokens.weight") && store->contains("embed_tokens.weight"))
    return root;
  return root / Olmo2ForCausalLM::kBaseModelPrefix;
}
}  // namespace

Olmo2ForCausalLM::Olmo2ForCausalLM(Olmo2Config config, std::shared_ptr<nn::WeightStore> store)
    : config_(std::move(config)), store_(std::move(store)), model(config_, base_scope(store_)) {
  lm_head = config_.tie_word_embeddings
                ? nn::Linear::tied(model.embed_tokens.weight)
                : nn::Linear(nn::WeightScope(store_) / "lm_head", config_.hidden_size, config_.vocab_size, false);
  // Keys Hugging Face ignores: the rotary buffer of old checkpoints, lm_head when tied.
  store_->finish_strict({"rotary_emb.inv_freq", config_.tie_word_embeddings ? "lm_head.weight" : "\x01"});
}

std::unique_ptr<Olmo2ForCausalLM> Olmo2ForCausalLM::from_pretrained(const std::filesystem::path& model_dir,
                                                                    const LoadOptions& options) {
  Olmo2Config config = Olmo2Config::from_file(model_dir / "config.json");
  auto store = open_weights(model_dir, options, config.initializer_range);
  return std::make_unique<Olmo2ForCausalLM>(std::move(config), std::move(store));
}

CausalLMOutput Olmo2ForCausalLM::forward(const CausalLMInputs& inputs) {
  CausalLMOutput out;
  Tensor hidden_states = model.forward(inputs, inputs.output_hidden_states ? &out.hidden_states : nullptr);
  const int64_t seq = hidden_states.size(1);
  if (inputs.logits_to_keep > 0 && inputs.logits_to_keep < seq)
    hidden_states = hidden_states.narrow(1, seq - inputs.logits_to_keep, inputs.logits_to_keep);
  out.logits = lm_head(hidden_states);  // [batch, seq, vocab_size]
  return out;
}

std::unique_ptr<nn::KVCache> Olmo2ForCausalLM::make_cache(int64_t max_cache_len) const {
  return std::make_unique<nn::DynamicCache>(config_.num_hidden_layers, max_cache_len);
}

}  // namespace transformers::models::olmo2
