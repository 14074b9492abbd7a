// Phi-3, top to bottom as Hugging Face's modeling_phi3.py.
#include "transformers/models/phi3/modeling_phi3.h"

#include <algorithm>
#include <cmath>

#include "transformers/core/error.h"
#include "transformers/core/ops.h"
#include "transformers/nn/cache.h"

namespace transformers::models::phi3 {

using namespace transformers::ops;

Phi3MLP::Phi3MLP(const Phi3Config& config, const nn::WeightScope& w)
    : intermediate_size(config.intermediate_size),
      gate_up_proj(w / "gate_up_proj", config.hidden_size, 2 * config.intermediate_size, false),
      down_proj(w / "down_proj", config.intermediate_size, config.hidden_size, false),
      activation_fn(config.hidden_act) {}

// [batch, seq, hidden_size] -> [batch, seq, hidden_size]
Tensor Phi3MLP::forward(const Tensor& hidden_states) const {
  // differs from Llama: one fused projection, gate first then up ([batch, seq, 2 * intermediate]).
  Tensor up_states = gate_up_proj(hidden_states);
  Tensor gate = up_states.narrow(-1, 0, intermediate_size);
  up_states = up_states.narrow(-1, intermediate_size, intermediate_size);
  return down_proj(up_states * activation_fn(gate));
}

// Note [Phi3 longrope]
// Hugging Face computes one attention scaling at construction (from max_position_embeddings /
// original_max_position_embeddings) and two frequency sets; each forward picks the set by its
// largest position. nn::RotaryEmbedding picks once, so we build one per set, each given that
// set's factors for both lists: the scaling is identical and the choice inside nn cannot matter.
Phi3RotaryEmbedding::Phi3RotaryEmbedding(const Phi3Config& config)
    : longrope_(config.rope.rope_type == "longrope"),
      original_max_position_embeddings_(config.original_max_position_embeddings) {
  nn::RopeParameters short_params = config.rope, long_params = config.rope;
  if (longrope_) {
    short_params.long_factor = short_params.short_factor;
    long_params.short_factor = long_params.long_factor;
    long_rope_ = nn::RotaryEmbedding(long_params);
  }
  short_rope_ = nn::RotaryEmbedding(short_params);
}

std::pair<Tensor, Tensor> Phi3RotaryEmbedding::forward(const Tensor& position_ids) {
  if (!longrope_) return short_rope_.forward(position_ids);
  std::vector<int64_t> pos = position_ids.to_vector<int64_t>();
  const int64_t seq_len = pos.empty() ? 0 : *std::max_element(pos.begin(), pos.end()) + 1;
  return seq_len > original_max_position_embeddings_ ? long_rope_.forward(position_ids)
                                                     : short_rope_.forward(position_ids);
}

Phi3Attention::Phi3Attention(const Phi3Config& config, const nn::WeightScope& w, int64_t layer_idx)
    : layer_idx(layer_idx),
      head_dim(config.head_dim),
      num_attention_heads(config.num_attention_heads),
      num_key_value_heads(config.num_key_value_heads),
      sliding_window(config.sliding_window.value_or(0)),
      scaling(1.0 / std::sqrt(double(config.head_dim))),
      qkv_proj(w / "qkv_proj", config.hidden_size,
               (config.num_attention_heads + 2 * config.num_key_value_heads) * config.head_dim, false),
      o_proj(w / "o_proj", config.num_attention_heads * config.head_dim, config.hidden_size, false) {}

Tensor Phi3Attention::forward(const Tensor& hidden_states, const std::pair<Tensor, Tensor>& position_embeddings,
                              const Tensor& attention_mask, nn::KVCache* past_key_values) const {
  const int64_t batch = hidden_states.size(0), seq = hidden_states.size(1);
  const Shape hidden_shape = {batch, seq, -1, head_dim};
  // differs from Llama: one fused projection laid out [all q heads | all k heads | all v heads].
  Tensor qkv = qkv_proj(hidden_states);  // [batch, seq, (heads + 2 * kv_heads) * head_dim]
  const int64_t query_pos = num_attention_heads * head_dim, kv_size = num_key_value_heads * head_dim;
  // [batch, heads or kv_heads, seq, head_dim]
  Tensor query_states = qkv.narrow(-1, 0, query_pos).view(hidden_shape).transpose(1, 2);
  Tensor key_states = qkv.narrow(-1, query_pos, kv_size).view(hidden_shape).transpose(1, 2);
  Tensor value_states = qkv.narrow(-1, query_pos + kv_size, kv_size).view(hidden_shape).transpose(1, 2);

  const auto& [cos, sin] = position_embeddings;  // partial rotary when partial_rotary_factor < 1
  query_states = apply_rotary(query_states, cos, sin);
  key_states = apply_rotary(key_states, cos, sin);

  if (past_key_values)
    std::tie(key_states, value_states) = past_key_values->update(layer_idx, key_states, value_states);
  AttentionOptions options;
  options.scale = scaling;
  options.is_causal = true;
  options.q_offset = key_states.size(2) - seq;
  options.key_padding_mask = attention_mask;
  // config.sliding_window (Phi-3-mini: 2047): HF's causal mask hides keys at or before
  // position - sliding_window, the op's semantics.
  options.sliding_window = sliding_window;
  // Decoding through a SlidingWindowCache: the keys are its rolling buffer (Note [Sliding buffer roll]).
  nn::attend_through_window(past_key_values, layer_idx, attention_mask, key_states.size(2), options);
  Tensor attn_output = scaled_dot_product_attention(query_states, key_states, value_states, options);
  attn_output = attn_output.transpose(1, 2).reshape({batch, seq, -1});  // [batch, seq, heads * head_dim]
  return o_proj(attn_output);
}

Phi3DecoderLayer::Phi3DecoderLayer(const Phi3Config& config, const nn::WeightScope& w, int64_t layer_idx)
    : self_attn(config, w / "self_attn", layer_idx),
      mlp(config, w / "mlp"),
      input_layernorm(w / "input_layernorm", config.hidden_size, config.rms_norm_eps),
      post_attention_layernorm(w / "post_attention_layernorm", config.hidden_size, config.rms_norm_eps) {}

Tensor Phi3DecoderLayer::forward(const Tensor& hidden_states, const std::pair<Tensor, Tensor>& position_embeddings,
                                 const Tensor& attention_mask, nn::KVCache* past_key_values) const {
  // Self attention, pre-norm + residual (resid_attn_dropout is the identity at inference)
  Tensor residual = hidden_states;
  Tensor h = input_layernorm(hidden_states);
  h = self_attn.forward(h, position_embeddings, attention_mask, past_key_values);
  h = residual + h;

  // Fully connected, pre-norm + residual
  residual = h;
  h = mlp.forward(post_attention_layernorm(h));
  return residual + h;
}

namespace {
std::vector<Phi3DecoderLayer> make_layers(const Phi3Config& config, const nn::WeightScope& w) {
  std::vector<Phi3DecoderLayer> layers;
  layers.reserve(size_t(config.num_hidden_layers));
  for (int64_t i = 0; i < config.num_hidden_layers; ++i) layers.emplace_back(config, w / "layers" / i, i);
  return layers;
}

}  // namespace

Phi3Model::Phi3Model(const Phi3Config& config, const nn::WeightScope& w)
    : embed_tokens(w / "embed_tokens", config.vocab_size, config.hidden_size),
      layers(make_layers(config, w)),
      norm(w / "norm", config.hidden_size, config.rms_norm_eps),
      rotary_emb(config) {}

Tensor Phi3Model::forward(const CausalLMInputs& inputs, std::vector<Tensor>* all_hidden_states) {
  Tensor position_ids = prepare_position_ids(inputs);
  Tensor hidden_states = embed_tokens(inputs.input_ids);  // [batch, seq, hidden_size]
  // cos, sin [batch, seq, rotary dims]
  std::pair<Tensor, Tensor> position_embeddings = rotary_emb.forward(position_ids);
  for (const Phi3DecoderLayer& layer : layers) {
    if (all_hidden_states) all_hidden_states->push_back(hidden_states);
    hidden_states = layer.forward(hidden_states, position_embeddings, inputs.attention_mask, inputs.past_key_values);
  }
  hidden_states = norm(hidden_states);
  if (all_hidden_states) all_hidden_states->push_back(hidden_states);
  return hidden_states;
}

namespace {
// HF's base_model_prefix rule: a checkpoint saved from Phi3Model has no "model." prefix.
nn::WeightScope base_scope(const std::shared_ptr<nn::WeightStore>& store) {
  nn::WeightScope root(store);
  if (!store->is_random() && !store->contains("model.embed_tokens.weight") && store->contains("embed_tokens.weight"))
    return root;
  return root / Phi3ForCausalLM::kBaseModelPrefix;
}
}  // namespace

Phi3ForCausalLM::Phi3ForCausalLM(Phi3Config config, std::shared_ptr<nn::WeightStore> store)
    : config_(std::move(config)), store_(std::move(store)), model(config_, base_scope(store_)) {
  lm_head = config_.tie_word_embeddings
                ? nn::Linear::tied(model.embed_tokens.weight)
                : nn::Linear(nn::WeightScope(store_) / "lm_head", config_.hidden_size, config_.vocab_size, false);
  // Keys Hugging Face ignores: the rotary buffer of old checkpoints, lm_head when tied.
  store_->finish_strict({"rotary_emb.inv_freq", config_.tie_word_embeddings ? "lm_head.weight" : "\x01"});
}

std::unique_ptr<Phi3ForCausalLM> Phi3ForCausalLM::from_pretrained(const std::filesystem::path& model_dir,
                                                                  const LoadOptions& options) {
  Phi3Config config = Phi3Config::from_file(model_dir / "config.json");
  auto store = open_weights(model_dir, options, config.initializer_range);
  return std::make_unique<Phi3ForCausalLM>(std::move(config), std::move(store));
}

// Note [Phi3 longrope and the cache]
// When a generation first grows past original_max_position_embeddings, Hugging Face's
// Phi3ForCausalLM.prepare_inputs_for_generation drops the cache so every key is recomputed with
// the long factors (the condition: rope_scaling set, the sequence at least original + 1 tokens,
// the cache at most original). forward() sees only the new tokens, so generate() asks
// recompute_cache() before each step.
bool Phi3ForCausalLM::recompute_cache(int64_t past, int64_t total) const {
  const int64_t original = config_.original_max_position_embeddings;
  return config_.rope.rope_type != "default" && past > 0 && total >= original + 1 && past <= original;
}

CausalLMOutput Phi3ForCausalLM::forward(const CausalLMInputs& inputs) {
  CausalLMOutput out;
  Tensor hidden_states = model.forward(inputs, inputs.output_hidden_states ? &out.hidden_states : nullptr);
  const int64_t seq = hidden_states.size(1);
  if (inputs.logits_to_keep > 0 && inputs.logits_to_keep < seq)
    hidden_states = hidden_states.narrow(1, seq - inputs.logits_to_keep, inputs.logits_to_keep);
  out.logits = lm_head(hidden_states);  // [batch, seq, vocab_size]
  return out;
}

std::unique_ptr<nn::KVCache> Phi3ForCausalLM::make_cache(int64_t max_cache_len) const {
  return std::make_unique<nn::DynamicCache>(config_.num_hidden_layers, max_cache_len);
}

std::unique_ptr<nn::KVCache> Phi3ForCausalLM::make_sliding_window_cache(int64_t max_cache_len) const {
  // Every layer slides with config.sliding_window (null: none, and the cache is refused).
  std::vector<int64_t> windows(size_t(config_.num_hidden_layers), config_.sliding_window.value_or(0));
  return nn::make_sliding_window_cache(std::move(windows), max_cache_len);
}

}  // namespace transformers::models::phi3
