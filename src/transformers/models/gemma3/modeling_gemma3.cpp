// Gemma3 text (Gemma3ForCausalLM, model_type "gemma3_text"), top to bottom as Hugging Face
// v4.51's modeling_gemma3.py.
//
// Parity argument (no fixture exists for this architecture): this follows v4.51's code path for
// Gemma3ForCausalLM with eager attention, which is Gemma2's (models/gemma2/) with these changes:
//  - Gemma3TextScaledWordEmbedding: embeddings * sqrt(hidden_size), the factor cast to the
//    weight's dtype first (as Gemma2's normalizer).
//  - Gemma3Attention: q_norm / k_norm, (1 + w) RMSNorms over head_dim applied per head to the
//    projected queries and keys before RoPE; scaling = query_pre_attn_scalar ** -0.5; no
//    attention soft-capping (v4.51 reads attn_logit_softcapping but passes no softcap).
//  - layer i is sliding unless (i + 1) % sliding_window_pattern == 0 (Gemma2: even layers); a
//    sliding layer uses rotary_emb_local (rope_local_base_freq, "default" rope), a global layer
//    rotary_emb (rope_theta with rope_scaling, e.g. linear factor 8 for the 4B+ checkpoints).
//  - the decoder layer (norms before and after attention and MLP), the sliding-window mask and
//    its per-layer slicing against HybridCache, and the final-logit soft-capping (null by
//    default) are Gemma2's, unchanged in v4.51.
// Cache: v4.51 generates Gemma3 through the same HybridCache class (cache_utils.py) as Gemma2,
// choosing its sliding layers by the same (i + 1) % sliding_window_pattern rule, and slices the
// mask in Gemma3DecoderLayer exactly as Gemma2DecoderLayer does. So Gemma2's cache,
// nn::SlidingWindowCache with MaskColumns::kEndingAtQuery (Note [Sliding buffer roll]), is reused
// as it is, given Gemma3's per-layer windows.
#include "transformers/models/gemma3/modeling_gemma3.h"

#include <cmath>

#include "transformers/core/error.h"
#include "transformers/core/ops.h"
#include "transformers/nn/cache.h"

namespace transformers::models::gemma3 {

using namespace transformers::ops;

Gemma3TextScaledWordEmbedding::Gemma3TextScaledWordEmbedding(const nn::WeightScope& w, int64_t num_embeddings,
                                                             int64_t embedding_dim, double embed_scale)
    : weight(w.tensor("weight", {num_embeddings, embedding_dim}, nn::Init::Normal)), embed_scale(embed_scale) {}

// input_ids [batch, seq] -> [batch, seq, hidden_size]. The scale is rounded to the weight's dtype
// first, as HF's embed_scale.to(self.weight.dtype) (sqrt(3072) = 55.4256 becomes 55.5 in bf16).
Tensor Gemma3TextScaledWordEmbedding::forward(const Tensor& input_ids) const {
  return embedding(weight, input_ids) * Tensor::scalar(embed_scale, weight.dtype());
}

Gemma3MLP::Gemma3MLP(const Gemma3TextConfig& config, const nn::WeightScope& w)
    : gate_proj(w / "gate_proj", config.hidden_size, config.intermediate_size, false),
      up_proj(w / "up_proj", config.hidden_size, config.intermediate_size, false),
      down_proj(w / "down_proj", config.intermediate_size, config.hidden_size, false),
      act_fn(config.hidden_activation) {}

// x: [batch, seq, hidden_size] -> [batch, seq, hidden_size]
Tensor Gemma3MLP::forward(const Tensor& x) const { return down_proj(act_fn(gate_proj(x)) * up_proj(x)); }

Gemma3Attention::Gemma3Attention(const Gemma3TextConfig& config, const nn::WeightScope& w, int64_t layer_idx)
    : layer_idx(layer_idx),
      head_dim(config.head_dim),
      num_key_value_groups(config.num_attention_heads / config.num_key_value_heads),
      scaling(1.0 / std::sqrt(config.query_pre_attn_scalar)),  // not head_dim ** -0.5
      sliding_window(config.layer_sliding_window(layer_idx)),
      q_proj(w / "q_proj", config.hidden_size, config.num_attention_heads * config.head_dim, config.attention_bias),
      k_proj(w / "k_proj", config.hidden_size, config.num_key_value_heads * config.head_dim, config.attention_bias),
      v_proj(w / "v_proj", config.hidden_size, config.num_key_value_heads * config.head_dim, config.attention_bias),
      o_proj(w / "o_proj", config.num_attention_heads * config.head_dim, config.hidden_size, config.attention_bias),
      q_norm(w / "q_norm", config.head_dim, config.rms_norm_eps, 1.0),
      k_norm(w / "k_norm", config.head_dim, config.rms_norm_eps, 1.0) {}

Tensor Gemma3Attention::forward(const Tensor& hidden_states, const std::pair<Tensor, Tensor>& position_embeddings,
                                const Tensor& attention_mask, nn::KVCache* past_key_values) const {
  const int64_t batch = hidden_states.size(0), seq = hidden_states.size(1);
  const Shape hidden_shape = {batch, seq, -1, head_dim};
  // differs from Gemma2: q/k RMSNorm over head_dim, per head, before RoPE (normalising the
  // [batch, seq, heads, head_dim] view over its last dim is HF's norm of the transposed tensor)
  // [batch, heads, seq, head_dim]
  Tensor query_states = q_norm(q_proj(hidden_states).view(hidden_shape)).transpose(1, 2);
  Tensor key_states = k_norm(k_proj(hidden_states).view(hidden_shape)).transpose(1, 2);
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
  // A query at cache position p sees keys in (p - sliding_window, p] ...
  options.sliding_window = sliding_window;
  // ... except when decoding through the hybrid cache: the keys are then its rolling buffer,
  // masked slot by slot as Hugging Face's decoder layer slices the mask (Note [Sliding buffer roll]).
  nn::attend_through_window(past_key_values, layer_idx, attention_mask, key_states.size(2), options);
  Tensor attn_output = scaled_dot_product_attention(query_states, key_states, value_states, options);
  attn_output = attn_output.transpose(1, 2).reshape({batch, seq, -1});  // [batch, seq, heads * head_dim]
  return o_proj(attn_output);
}

Gemma3DecoderLayer::Gemma3DecoderLayer(const Gemma3TextConfig& config, const nn::WeightScope& w, int64_t layer_idx)
    : self_attn(config, w / "self_attn", layer_idx),
      mlp(config, w / "mlp"),
      // Gemma3RMSNorm scales by (1 + weight), in f32 before casting back
      input_layernorm(w / "input_layernorm", config.hidden_size, config.rms_norm_eps, 1.0),
      post_attention_layernorm(w / "post_attention_layernorm", config.hidden_size, config.rms_norm_eps, 1.0),
      pre_feedforward_layernorm(w / "pre_feedforward_layernorm", config.hidden_size, config.rms_norm_eps, 1.0),
      post_feedforward_layernorm(w / "post_feedforward_layernorm", config.hidden_size, config.rms_norm_eps, 1.0) {}

Tensor Gemma3DecoderLayer::forward(const Tensor& hidden_states,
                                   const std::pair<Tensor, Tensor>& position_embeddings_global,
                                   const std::pair<Tensor, Tensor>& position_embeddings_local,
                                   const Tensor& attention_mask,
                                   nn::KVCache* past_key_values) const {
  // Self attention, normed before and after, then the residual
  Tensor residual = hidden_states;
  Tensor h = input_layernorm(hidden_states);
  // differs from Gemma2: sliding layers rotate with the local rope base, global ones with the global
  const auto& position_embeddings = self_attn.is_sliding() ? position_embeddings_local : position_embeddings_global;
  h = self_attn.forward(h, position_embeddings, attention_mask, past_key_values);
  h = post_attention_layernorm(h);
  h = residual + h;

  // Fully connected, normed before and after, then the residual
  residual = h;
  h = pre_feedforward_layernorm(h);
  h = mlp.forward(h);
  h = post_feedforward_layernorm(h);
  return residual + h;
}

namespace {
std::vector<Gemma3DecoderLayer> make_layers(const Gemma3TextConfig& config, const nn::WeightScope& w) {
  std::vector<Gemma3DecoderLayer> layers;
  layers.reserve(size_t(config.num_hidden_layers));
  for (int64_t i = 0; i < config.num_hidden_layers; ++i) layers.emplace_back(config, w / "layers" / i, i);
  return layers;
}

}  // namespace

Gemma3TextModel::Gemma3TextModel(const Gemma3TextConfig& config, const nn::WeightScope& w)
    : embed_tokens(w / "embed_tokens", config.vocab_size, config.hidden_size, std::sqrt(double(config.hidden_size))),
      layers(make_layers(config, w)),
      norm(w / "norm", config.hidden_size, config.rms_norm_eps, 1.0),
      rotary_emb(config.rope),
      rotary_emb_local(config.rope_local) {}

Tensor Gemma3TextModel::forward(const CausalLMInputs& inputs, std::vector<Tensor>* all_hidden_states) {
  Tensor position_ids = prepare_position_ids(inputs);
  Tensor hidden_states = embed_tokens(inputs.input_ids);  // [batch, seq, hidden_size], already scaled
  // cos, sin [batch, seq, head_dim] for each rope base
  std::pair<Tensor, Tensor> position_embeddings_global = rotary_emb.forward(position_ids);
  std::pair<Tensor, Tensor> position_embeddings_local = rotary_emb_local.forward(position_ids);
  for (const Gemma3DecoderLayer& layer : layers) {
    if (all_hidden_states) all_hidden_states->push_back(hidden_states);
    hidden_states = layer.forward(hidden_states, position_embeddings_global, position_embeddings_local,
                                  inputs.attention_mask, inputs.past_key_values);
  }
  hidden_states = norm(hidden_states);
  if (all_hidden_states) all_hidden_states->push_back(hidden_states);
  return hidden_states;
}

namespace {
// HF's base_model_prefix rule: a checkpoint saved from the text model has no "model." prefix.
nn::WeightScope base_scope(const std::shared_ptr<nn::WeightStore>& store) {
  nn::WeightScope root(store);
  if (!store->is_random() && !store->contains("model.embed_tokens.weight") && store->contains("embed_tokens.weight"))
    return root;
  return root / Gemma3ForCausalLM::kBaseModelPrefix;
}
}  // namespace

Gemma3ForCausalLM::Gemma3ForCausalLM(Gemma3TextConfig config, std::shared_ptr<nn::WeightStore> store)
    : config_(std::move(config)), store_(std::move(store)), model(config_, base_scope(store_)) {
  lm_head = config_.tie_word_embeddings
                ? nn::Linear::tied(model.embed_tokens.weight)
                : nn::Linear(nn::WeightScope(store_) / "lm_head", config_.hidden_size, config_.vocab_size, false);
  // Keys Hugging Face ignores: rotary buffers, lm_head when tied.
  store_->finish_strict({"rotary_emb.inv_freq", "rotary_emb_local.inv_freq",
                         config_.tie_word_embeddings ? "lm_head.weight" : "\x01"});
}

std::unique_ptr<Gemma3ForCausalLM> Gemma3ForCausalLM::from_pretrained(const std::filesystem::path& model_dir,
                                                                        const LoadOptions& options) {
  Gemma3TextConfig config = Gemma3TextConfig::from_file(model_dir / "config.json");
  auto store = open_weights(model_dir, options, config.initializer_range);
  return std::make_unique<Gemma3ForCausalLM>(std::move(config), std::move(store));
}

CausalLMOutput Gemma3ForCausalLM::forward(const CausalLMInputs& inputs) {
  CausalLMOutput out;
  Tensor hidden_states = model.forward(inputs, inputs.output_hidden_states ? &out.hidden_states : nullptr);
  const int64_t seq = hidden_states.size(1);
  if (inputs.logits_to_keep > 0 && inputs.logits_to_keep < seq)
    hidden_states = hidden_states.narrow(1, seq - inputs.logits_to_keep, inputs.logits_to_keep);
  out.logits = lm_head(hidden_states);  // [batch, seq, vocab_size]
  if (config_.final_logit_softcapping) {
    const double cap = *config_.final_logit_softcapping;
    out.logits = tanh(out.logits / cap) * cap;
  }
  return out;
}

std::unique_ptr<nn::KVCache> Gemma3ForCausalLM::make_cache(int64_t max_cache_len) const {
  // HF's generate() builds a HybridCache for Gemma3 (cache_implementation "hybrid"). Otherwise every
  // layer keeps all its keys and the attention mask applies the window.
  if (config_.cache_implementation == "hybrid") {
    std::vector<int64_t> windows;
    for (int64_t i = 0; i < config_.num_hidden_layers; ++i) windows.push_back(config_.layer_sliding_window(i));
    return std::make_unique<nn::SlidingWindowCache>(std::move(windows), max_cache_len,
                                                    nn::SlidingWindowCache::MaskColumns::kEndingAtQuery);
  }
  return std::make_unique<nn::DynamicCache>(config_.num_hidden_layers, max_cache_len);
}

}  // namespace transformers::models::gemma3
