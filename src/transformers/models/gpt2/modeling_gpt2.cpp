// GPT-2, top to bottom as Hugging Face's modeling_gpt2.py.
#include "transformers/models/gpt2/modeling_gpt2.h"

#include <cmath>

#include "transformers/core/error.h"
#include "transformers/core/ops.h"

namespace transformers::models::gpt2 {

using namespace transformers::ops;

// Note [Conv1D layout]
// GPT-2 checkpoints store every projection as Conv1D, weight [in, out]. We bind that tensor under
// its HF key and shape (strict loading, save_pretrained round-trips) and give ops::linear its
// transpose as a view: linear reads [in, out] storage directly (cpu::gemv_k_major for decoding,
// column slices of sgemm for prompts), so the weights are held once and gradients reach them.
Conv1D::Conv1D(const nn::WeightScope& w, int64_t nf, int64_t nx)
    : weight(w.tensor("weight", {nx, nf}, nn::Init::Normal)),
      bias(w.tensor("bias", {nf}, nn::Init::Zeros)),
      weight_t(weight.transpose(0, 1)) {}

GPT2Attention::GPT2Attention(const GPT2Config& config, const nn::WeightScope& w, int64_t layer_idx)
    : layer_idx(layer_idx),
      num_heads(config.n_head),
      head_dim(config.n_embd / config.n_head),
      split_size(config.n_embd),
      scaling(1.0),
      c_attn(w / "c_attn", 3 * config.n_embd, config.n_embd),
      c_proj(w / "c_proj", config.n_embd, config.n_embd) {
  if (config.scale_attn_weights) scaling /= std::sqrt(double(head_dim));
  // Layer-wise attention scaling
  if (config.scale_attn_by_inverse_layer_idx) scaling /= double(layer_idx + 1);
}

Tensor GPT2Attention::forward(const Tensor& hidden_states, const Tensor& attention_mask,
                              nn::KVCache* layer_past) const {
  const int64_t batch = hidden_states.size(0), seq = hidden_states.size(1);
  Tensor qkv = c_attn(hidden_states);  // [batch, seq, 3 * embed_dim]
  // _split_heads: [batch, heads, seq, head_dim]
  auto split_heads = [&](int64_t i) {
    return qkv.narrow(2, i * split_size, split_size).view({batch, seq, num_heads, head_dim}).transpose(1, 2);
  };
  Tensor query = split_heads(0), key = split_heads(1), value = split_heads(2);

  if (layer_past) std::tie(key, value) = layer_past->update(layer_idx, key, value);
  AttentionOptions options;
  options.scale = scaling;
  options.is_causal = true;
  options.q_offset = key.size(2) - seq;
  options.key_padding_mask = attention_mask;
  Tensor attn_output = scaled_dot_product_attention(query, key, value, options);
  attn_output = attn_output.transpose(1, 2).reshape({batch, seq, -1});  // _merge_heads: [batch, seq, embed_dim]
  return c_proj(attn_output);
}

GPT2MLP::GPT2MLP(int64_t intermediate_size, const GPT2Config& config, const nn::WeightScope& w)
    : c_fc(w / "c_fc", intermediate_size, config.n_embd),
      c_proj(w / "c_proj", config.n_embd, intermediate_size),
      act(config.activation_function) {}

// [batch, seq, embed_dim] -> [batch, seq, embed_dim]
Tensor GPT2MLP::forward(const Tensor& hidden_states) const { return c_proj(act(c_fc(hidden_states))); }

GPT2Block::GPT2Block(const GPT2Config& config, const nn::WeightScope& w, int64_t layer_idx)
    : ln_1(w / "ln_1", config.n_embd, config.layer_norm_epsilon),
      attn(config, w / "attn", layer_idx),
      ln_2(w / "ln_2", config.n_embd, config.layer_norm_epsilon),
      mlp(config.n_inner.value_or(4 * config.n_embd), config, w / "mlp") {}

Tensor GPT2Block::forward(const Tensor& hidden_states, const Tensor& attention_mask, nn::KVCache* layer_past) const {
  Tensor residual = hidden_states;
  Tensor h = attn.forward(ln_1(hidden_states), attention_mask, layer_past);
  h = h + residual;  // residual connection
  residual = h;
  Tensor feed_forward_hidden_states = mlp.forward(ln_2(h));
  return residual + feed_forward_hidden_states;  // residual connection
}

namespace {
std::vector<GPT2Block> make_blocks(const GPT2Config& config, const nn::WeightScope& w) {
  std::vector<GPT2Block> blocks;
  blocks.reserve(size_t(config.n_layer));
  for (int64_t i = 0; i < config.n_layer; ++i) blocks.emplace_back(config, w / "h" / i, i);
  return blocks;
}

}  // namespace

GPT2Model::GPT2Model(const GPT2Config& config, const nn::WeightScope& w)
    : wte(w / "wte", config.vocab_size, config.n_embd),
      wpe(w / "wpe", config.n_positions, config.n_embd),
      h(make_blocks(config, w)),
      ln_f(w / "ln_f", config.n_embd, config.layer_norm_epsilon) {}

Tensor GPT2Model::forward(const CausalLMInputs& inputs, std::vector<Tensor>* all_hidden_states) const {
  Tensor position_ids = prepare_position_ids(inputs);
  Tensor inputs_embeds = wte(inputs.input_ids);  // [batch, seq, embed_dim]
  Tensor position_embeds = wpe(position_ids);    // learned absolute positions, [batch, seq, embed_dim]
  Tensor hidden_states = inputs_embeds + position_embeds;
  for (const GPT2Block& block : h) {
    if (all_hidden_states) all_hidden_states->push_back(hidden_states);
    hidden_states = block.forward(hidden_states, inputs.attention_mask, inputs.past_key_values);
  }
  hidden_states = ln_f(hidden_states);
  if (all_hidden_states) all_hidden_states->push_back(hidden_states);
  return hidden_states;
}

namespace {
// HF's base_model_prefix rule: a checkpoint saved from GPT2Model (the original OpenAI conversions
// among them) has no "transformer." prefix.
nn::WeightScope base_scope(const std::shared_ptr<nn::WeightStore>& store) {
  nn::WeightScope root(store);
  if (!store->is_random() && !store->contains("transformer.wte.weight") && store->contains("wte.weight"))
    return root;
  return root / GPT2LMHeadModel::kBaseModelPrefix;
}
}  // namespace

GPT2LMHeadModel::GPT2LMHeadModel(GPT2Config config, std::shared_ptr<nn::WeightStore> store)
    : config_(std::move(config)), store_(std::move(store)), transformer(config_, base_scope(store_)) {
  lm_head = config_.tie_word_embeddings
                ? nn::Linear::tied(transformer.wte.weight)
                : nn::Linear(nn::WeightScope(store_) / "lm_head", config_.n_embd, config_.vocab_size, false);
  // Keys Hugging Face ignores: the causal-mask buffers of old checkpoints (attn.bias,
  // attn.masked_bias), lm_head when tied.
  store_->finish_strict({"attn.bias", "attn.masked_bias", config_.tie_word_embeddings ? "lm_head.weight" : "\x01"});
}

std::unique_ptr<GPT2LMHeadModel> GPT2LMHeadModel::from_pretrained(const std::filesystem::path& model_dir,
                                                                  const LoadOptions& options) {
  GPT2Config config = GPT2Config::from_file(model_dir / "config.json");
  auto store = open_weights(model_dir, options, config.initializer_range);
  return std::make_unique<GPT2LMHeadModel>(std::move(config), std::move(store));
}

CausalLMOutput GPT2LMHeadModel::forward(const CausalLMInputs& inputs) {
  CausalLMOutput out;
  Tensor hidden_states = transformer.forward(inputs, inputs.output_hidden_states ? &out.hidden_states : nullptr);
  const int64_t seq = hidden_states.size(1);
  if (inputs.logits_to_keep > 0 && inputs.logits_to_keep < seq)
    hidden_states = hidden_states.narrow(1, seq - inputs.logits_to_keep, inputs.logits_to_keep);
  out.logits = lm_head(hidden_states);  // [batch, seq, vocab_size]
  return out;
}

std::unique_ptr<nn::KVCache> GPT2LMHeadModel::make_cache(int64_t max_cache_len) const {
  return std::make_unique<nn::DynamicCache>(config_.n_layer, max_cache_len);
}

}  // namespace transformers::models::gpt2
