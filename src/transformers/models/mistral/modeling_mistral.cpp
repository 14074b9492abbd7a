// Mistral, top to bottom as Hugging Face's modeling_mistral.py. Llama's architecture plus a
// sliding attention window: a token sees at most the last `sliding_window` tokens (itself included).
#include "transformers/models/mistral/modeling_mistral.h"

#include <cmath>

#include "transformers/core/error.h"
#include "transformers/core/ops.h"
#include "transformers/nn/cache.h"

namespace transformers::models::mistral {

using namespace transformers::ops;

MistralMLP::MistralMLP(const MistralConfig& config, const nn::WeightScope& w)
    : gate_proj(w / "gate_proj", config.hidden_size, config.intermediate_size, false),
      up_proj(w / "up_proj", config.hidden_size, config.intermediate_size, false),
      down_proj(w / "down_proj", config.intermediate_size, config.hidden_size, false),
      act_fn(config.hidden_act) {}

// x: [batch, seq, hidden_size] -> [batch, seq, hidden_size]
Tensor MistralMLP::forward(const Tensor& x) const { return down_proj(act_fn(gate_proj(x)) * up_proj(x)); }

MistralAttention::MistralAttention(const MistralConfig& config, const nn::WeightScope& w, int64_t layer_idx)
    : layer_idx(layer_idx),
      head_dim(config.head_dim),
      num_key_value_groups(config.num_attention_heads / config.num_key_value_heads),
      scaling(1.0 / std::sqrt(double(config.head_dim))),
      sliding_window(config.sliding_window),
      q_proj(w / "q_proj", config.hidden_size, config.num_attention_heads * config.head_dim, false),
      k_proj(w / "k_proj", config.hidden_size, config.num_key_value_heads * config.head_dim, false),
      v_proj(w / "v_proj", config.hidden_size, config.num_key_value_heads * config.head_dim, false),
      o_proj(w / "o_proj", config.num_attention_heads * config.head_dim, config.hidden_size, false) {}

Tensor MistralAttention::forward(const Tensor& hidden_states, const std::pair<Tensor, Tensor>& position_embeddings,
                                 const Tensor& attention_mask, nn::KVCache* past_key_values) const {
  const int64_t batch = hidden_states.size(0), seq = hidden_states.size(1);
  const Shape hidden_shape = {batch, seq, -1, head_dim};
  // [batch, heads, seq, head_dim]
  Tensor query_states = q_proj(hidden_states).view(hidden_shape).transpose(1, 2);
  Tensor key_states = k_proj(hidden_states).view(hidden_shape).transpose(1, 2);
  Tensor value_states = v_proj(hidden_states).view(hidden_shape).transpose(1, 2);

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
  // differs from Llama: HF's mask also hides keys at cache index <= query index - sliding_window.
  // The default DynamicCache keeps every key, so masking them is all the window needs.
  options.sliding_window = sliding_window.value_or(0);
  // Decoding through a SlidingWindowCache: the keys are its rolling buffer (Note [Sliding buffer roll]).
  nn::attend_through_window(past_key_values, layer_idx, attention_mask, key_states.size(2), options);
  Tensor attn_output = scaled_dot_product_attention(query_states, key_states, value_states, options);
  attn_output = attn_output.transpose(1, 2).reshape({batch, seq, -1});  // [batch, seq, heads * head_dim]
  return o_proj(attn_output);
}

MistralDecoderLayer::MistralDecoderLayer(const MistralConfig& config, const nn::WeightScope& w, int64_t layer_idx)
    : self_attn(config, w / "self_attn", layer_idx),
      mlp(config, w / "mlp"),
      input_layernorm(w / "input_layernorm", config.hidden_size, config.rms_norm_eps),
      post_attention_layernorm(w / "post_attention_layernorm", config.hidden_size, config.rms_norm_eps) {}

Tensor MistralDecoderLayer::forward(const Tensor& hidden_states, const std::pair<Tensor, Tensor>& position_embeddings,
                                    const Tensor& attention_mask, nn::KVCache* past_key_values) const {
  // Self attention, pre-norm + residual
  Tensor residual = hidden_states;
  Tensor h = input_layernorm(hidden_states);
  h = self_attn.forward(h, position_embeddings, attention_mask, past_key_values);
  h = residual + h;

  // Fully connected, pre-norm + residual
  residual = h;
  h = post_attention_layernorm(h);
  h = mlp.forward(h);
  return residual + h;
}

namespace {
std::vector<MistralDecoderLayer> make_layers(const MistralConfig& config, const nn::WeightScope& w) {
  std::vector<MistralDecoderLayer> layers;
  layers.reserve(size_t(config.num_hidden_layers));
  for (int64_t i = 0; i < config.num_hidden_layers; ++i) layers.emplace_back(config, w / "layers" / i, i);
  return layers;
}

}  // namespace

MistralModel::MistralModel(const MistralConfig& config, const nn::WeightScope& w)
    : embed_tokens(w / "embed_tokens", config.vocab_size, config.hidden_size),
      layers(make_layers(config, w)),
      norm(w / "norm", config.hidden_size, config.rms_norm_eps),
      rotary_emb(config.rope) {}

Tensor MistralModel::forward(const CausalLMInputs& inputs, std::vector<Tensor>* all_hidden_states) {
  Tensor position_ids = prepare_position_ids(inputs);
  Tensor hidden_states = embed_tokens(inputs.input_ids);  // [batch, seq, hidden_size]
  std::pair<Tensor, Tensor> position_embeddings = rotary_emb.forward(position_ids);  // cos, sin [batch, seq, head_dim]
  for (const MistralDecoderLayer& layer : layers) {
    if (all_hidden_states) all_hidden_states->push_back(hidden_states);
    hidden_states = layer.forward(hidden_states, position_embeddings, inputs.attention_mask, inputs.past_key_values);
  }
  hidden_states = norm(hidden_states);
  if (all_hidden_states) all_hidden_states->push_back(hidden_states);
  return hidden_states;
}

namespace {
// HF's base_model_prefix rule: a checkpoint saved from MistralModel has no "model." prefix.
nn::WeightScope base_scope(const std::shared_ptr<nn::WeightStore>& store) {
  nn::WeightScope root(store);
  if (!store->is_random() && !store->contains("model.embed_tokens.weight") && store->contains("embed_tokens.weight"))
    return root;
  return root / MistralForCausalLM::kBaseModelPrefix;
}
}  // namespace

MistralForCausalLM::MistralForCausalLM(MistralConfig config, std::shared_ptr<nn::WeightStore> store)
    : config_(std::move(config)), store_(std::move(store)), model(config_, base_scope(store_)) {
  lm_head = config_.tie_word_embeddings
                ? nn::Linear::tied(model.embed_tokens.weight)
                : nn::Linear(nn::WeightScope(store_) / "lm_head", config_.hidden_size, config_.vocab_size, false);
  // Keys Hugging Face ignores: the rotary buffer of old checkpoints, lm_head when tied.
  store_->finish_strict({"rotary_emb.inv_freq", config_.tie_word_embeddings ? "lm_head.weight" : "\x01"});
}

std::unique_ptr<MistralForCausalLM> MistralForCausalLM::from_pretrained(const std::filesystem::path& model_dir,
                                                                        const LoadOptions& options) {
  MistralConfig config = MistralConfig::from_file(model_dir / "config.json");
  auto store = open_weights(model_dir, options, config.initializer_range);
  return std::make_unique<MistralForCausalLM>(std::move(config), std::move(store));
}

CausalLMOutput MistralForCausalLM::forward(const CausalLMInputs& inputs) {
  CausalLMOutput out;
  Tensor hidden_states = model.forward(inputs, inputs.output_hidden_states ? &out.hidden_states : nullptr);
  const int64_t seq = hidden_states.size(1);
  if (inputs.logits_to_keep > 0 && inputs.logits_to_keep < seq)
    hidden_states = hidden_states.narrow(1, seq - inputs.logits_to_keep, inputs.logits_to_keep);
  out.logits = lm_head(hidden_states);  // [batch, seq, vocab_size]
  return out;
}

std::unique_ptr<nn::KVCache> MistralForCausalLM::make_cache(int64_t max_cache_len) const {
  // HF's generate() uses a DynamicCache here: every key is kept and the mask applies the window.
  return std::make_unique<nn::DynamicCache>(config_.num_hidden_layers, max_cache_len);
}

std::unique_ptr<nn::KVCache> MistralForCausalLM::make_sliding_window_cache(int64_t max_cache_len) const {
  // Every layer slides with config.sliding_window (null: none, and the cache is refused).
  std::vector<int64_t> windows(size_t(config_.num_hidden_layers), config_.sliding_window.value_or(0));
  return nn::make_sliding_window_cache(std::move(windows), max_cache_len);
}

}  // namespace transformers::models::mistral
