// ModernBERT, top to bottom as Hugging Face's modeling_modernbert.py with eager attention on
// padded batches (HF unpads only for flash-attention; the results are the same). Eval mode:
// dropout is the identity.
#include "transformers/models/modernbert/modeling_modernbert.h"

#include <cmath>
#include <limits>

#include "transformers/core/error.h"
#include "transformers/core/ops.h"

namespace transformers::models::modernbert {

using namespace transformers::ops;

ModernBertEmbeddings::ModernBertEmbeddings(const ModernBertConfig& config, const nn::WeightScope& w)
    : tok_embeddings(w / "tok_embeddings", config.vocab_size, config.hidden_size),
      norm(w / "norm", config.hidden_size, config.norm_eps, config.norm_bias) {}

// [batch, seq] -> [batch, seq, hidden_size]
Tensor ModernBertEmbeddings::forward(const Tensor& input_ids) const { return norm(tok_embeddings(input_ids)); }

ModernBertMLP::ModernBertMLP(const ModernBertConfig& config, const nn::WeightScope& w)
    : Wi(w / "Wi", config.hidden_size, 2 * config.intermediate_size, config.mlp_bias),
      Wo(w / "Wo", config.intermediate_size, config.hidden_size, config.mlp_bias),
      act(config.hidden_activation) {}

// GeGLU: act(first half of Wi(x)) * second half.
Tensor ModernBertMLP::forward(const Tensor& hidden_states) const {
  std::vector<Tensor> input_gate = chunk(Wi(hidden_states), 2, -1);  // 2 x [batch, seq, intermediate_size]
  return Wo(act(input_gate[0]) * input_gate[1]);
}

namespace {
nn::RopeParameters rope_for_layer(const ModernBertConfig& config, int64_t layer_id) {
  nn::RopeParameters p;
  p.dim = config.hidden_size / config.num_attention_heads;
  const bool local = layer_id % config.global_attn_every_n_layers != 0;
  p.rope_theta = local && config.local_rope_theta ? *config.local_rope_theta : config.global_rope_theta;
  p.max_position_embeddings = local ? config.local_attention : config.max_position_embeddings;
  return p;
}
}  // namespace

ModernBertAttention::ModernBertAttention(const ModernBertConfig& config, const nn::WeightScope& w, int64_t layer_id)
    : num_heads(config.num_attention_heads),
      head_dim(config.hidden_size / config.num_attention_heads),
      all_head_size(head_dim * num_heads),
      local(layer_id % config.global_attn_every_n_layers != 0),
      Wqkv(w / "Wqkv", config.hidden_size, 3 * all_head_size, config.attention_bias),
      Wo(w / "Wo", config.hidden_size, config.hidden_size, config.attention_bias),
      rotary_emb(rope_for_layer(config, layer_id)) {}

Tensor ModernBertAttention::forward(const Tensor& hidden_states, const Tensor& attention_mask,
                                    const Tensor& sliding_window_mask, const Tensor& position_ids) {
  const int64_t bs = hidden_states.size(0), seq = hidden_states.size(1);
  Tensor qkv = Wqkv(hidden_states).view({bs, seq, 3, num_heads, head_dim});
  auto [cos, sin] = rotary_emb.forward(position_ids);  // [bs, seq, head_dim]
  // [bs, heads, seq, head_dim] each
  Tensor query = apply_rotary(qkv.select(2, 0).transpose(1, 2), cos, sin);
  Tensor key = apply_rotary(qkv.select(2, 1).transpose(1, 2), cos, sin);
  Tensor value = qkv.select(2, 2).transpose(1, 2);
  const double scale = 1.0 / std::sqrt(double(head_dim));
  Tensor attn_output;
  if (!local) {
    // Global: HF adds the dtype minimum at padding keys, exactly the kernel's key padding mask.
    AttentionOptions options;
    options.scale = scale;
    options.key_padding_mask = attention_mask;
    attn_output = scaled_dot_product_attention(query, key, value, options);
  } else {
    // Local: HF's eager path, composed, so that a padded query whose whole window is padding
    // averages over every key (all scores equal the minimum) exactly as HF does.
    Tensor attn_weights = matmul(query, key.transpose(2, 3)) * scale + sliding_window_mask;  // [bs, heads, seq, seq]
    attn_output = matmul(softmax(attn_weights, -1), value);  // [bs, heads, seq, head_dim]
  }
  return Wo(attn_output.transpose(1, 2).reshape({bs, seq, all_head_size}));
}

ModernBertEncoderLayer::ModernBertEncoderLayer(const ModernBertConfig& config, const nn::WeightScope& w,
                                               int64_t layer_id)
    : attn(config, w / "attn", layer_id),
      mlp_norm(w / "mlp_norm", config.hidden_size, config.norm_eps, config.norm_bias),
      mlp(config, w / "mlp") {
  if (layer_id != 0) attn_norm.emplace(w / "attn_norm", config.hidden_size, config.norm_eps, config.norm_bias);
}

// Pre-norm residuals.
Tensor ModernBertEncoderLayer::forward(const Tensor& hidden_states, const Tensor& attention_mask,
                                       const Tensor& sliding_window_mask, const Tensor& position_ids) {
  Tensor normed = attn_norm ? (*attn_norm)(hidden_states) : hidden_states;
  Tensor h = hidden_states + attn.forward(normed, attention_mask, sliding_window_mask, position_ids);
  return h + mlp.forward(mlp_norm(h));
}

namespace {

std::vector<ModernBertEncoderLayer> make_layers(const ModernBertConfig& config, const nn::WeightScope& w) {
  std::vector<ModernBertEncoderLayer> layers;
  layers.reserve(size_t(config.num_hidden_layers));
  for (int64_t i = 0; i < config.num_hidden_layers; ++i) layers.emplace_back(config, w / "layers" / i, i);
  return layers;
}

// HF's _update_attention_mask: additive [batch, 1, seq, seq], the dtype minimum where the key is
// padding or farther than local_attention / 2 from the query, else 0.
Tensor sliding_window_mask(const Tensor& attention_mask, int64_t batch, int64_t seq, int64_t local_attention) {
  std::vector<int64_t> keep =
      attention_mask.defined() ? attention_mask.to(DType::Int64).contiguous().to_vector<int64_t>()
                               : std::vector<int64_t>(size_t(batch * seq), 1);
  const float lowest = std::numeric_limits<float>::lowest();
  const int64_t half = local_attention / 2;
  std::vector<float> mask(size_t(batch * seq * seq), 0.0f);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t i = 0; i < seq; ++i)
      for (int64_t j = 0; j < seq; ++j)
        if (keep[size_t(b * seq + j)] == 0 || std::abs(i - j) > half) mask[size_t((b * seq + i) * seq + j)] = lowest;
  return Tensor::from_vector(mask, {batch, 1, seq, seq});
}

}  // namespace

ModernBertModel::ModernBertModel(const ModernBertConfig& config, const nn::WeightScope& w)
    : ModernBertPreTrainedModel(config, w.store()),
      embeddings(config, w / "embeddings"),
      layers(make_layers(config, w)),
      final_norm(w / "final_norm", config.hidden_size, config.norm_eps, config.norm_bias) {}

namespace {

// HF's base_model_prefix rule: a checkpoint saved from ModernBertModel has no "model." prefix.
nn::WeightScope base_scope(const std::shared_ptr<nn::WeightStore>& store) {
  nn::WeightScope root(store);
  if (!store->is_random() && !store->contains("embeddings.tok_embeddings.weight") &&
      store->contains("model.embeddings.tok_embeddings.weight"))
    return root / ModernBertPreTrainedModel::kBaseModelPrefix;
  return root;
}

// The tied decoder weight, when a checkpoint stores it anyway.
const std::vector<std::string> kIgnoredKeys = {"decoder.weight"};

template <typename Model>
std::unique_ptr<Model> load(const std::filesystem::path& model_dir, const LoadOptions& options) {
  ModernBertConfig config = ModernBertConfig::from_file(model_dir / "config.json");
  auto store = open_weights(model_dir, options, config.initializer_range);
  return std::make_unique<Model>(std::move(config), std::move(store));
}

ModernBertInputs parse_inputs(const NamedTensors& named, bool output_hidden_states, const ModernBertConfig& config) {
  const std::string arch = config.architectures.empty() ? "ModernBERT" : config.architectures[0];
  ModernBertInputs in;
  for (const auto& [name, t] : named) {
    if (name == "input_ids") in.input_ids = t;
    else if (name == "attention_mask") in.attention_mask = t;
    else if (name == "position_ids") in.position_ids = t;
    else throw Error("[forward] " + arch + " takes input_ids, attention_mask and position_ids, not '" + name + "'");
  }
  TFM_CHECK(in.input_ids.defined(), "[forward] input_ids is required");
  in.output_hidden_states = output_hidden_states;
  return in;
}

NamedTensors with_hidden_states(NamedTensors out, const std::vector<Tensor>& hidden_states) {
  for (size_t i = 0; i < hidden_states.size(); ++i)
    out.emplace_back("hidden_states." + std::to_string(i), hidden_states[i]);
  return out;
}

}  // namespace

// A checkpoint from a task head ("model." keys) also loads here, its head's weights unused (HF's
// AutoModel).
ModernBertModel::ModernBertModel(ModernBertConfig config, std::shared_ptr<nn::WeightStore> store)
    : ModernBertModel(config, base_scope(store), Standalone{}) {}

ModernBertModel::ModernBertModel(const ModernBertConfig& config, const nn::WeightScope& base, Standalone)
    : ModernBertModel(config, base) {
  base.store()->finish_strict({}, base.prefix());
}

std::unique_ptr<ModernBertModel> ModernBertModel::from_pretrained(const std::filesystem::path& model_dir,
                                                                  const LoadOptions& options) {
  return load<ModernBertModel>(model_dir, options);
}

ModernBertModelOutput ModernBertModel::forward(const ModernBertInputs& inputs) {
  const Tensor& ids = inputs.input_ids;
  TFM_CHECK(ids.dim() == 2 && !is_floating(ids.dtype()),
            "[forward] input_ids must be an integer [batch, seq] tensor, got ",
            dtype_name(ids.dtype()), " ", shape_str(ids.shape()));
  const int64_t batch = ids.size(0), seq = ids.size(1);
  for (const auto& [name, t] :
       {std::pair{"attention_mask", inputs.attention_mask}, {"position_ids", inputs.position_ids}})
    TFM_CHECK(!t.defined() || t.shape() == ids.shape(), "[forward] ", name, " must be [", batch, ", ", seq, "], got ",
              shape_str(t.shape()));
  Tensor position_ids = inputs.position_ids.defined()
                            ? inputs.position_ids
                            : Tensor::arange(0, seq).unsqueeze(0).expand({batch, seq}).contiguous();
  bool any_local = false;
  for (const ModernBertEncoderLayer& layer : layers) any_local = any_local || layer.attn.local;
  Tensor window_mask =
      any_local ? sliding_window_mask(inputs.attention_mask, batch, seq, config_.local_attention) : Tensor();

  ModernBertModelOutput out;
  Tensor hidden_states = embeddings.forward(ids);  // [batch, seq, hidden_size]
  for (ModernBertEncoderLayer& layer : layers) {
    if (inputs.output_hidden_states) out.hidden_states.push_back(hidden_states);
    hidden_states = layer.forward(hidden_states, inputs.attention_mask, window_mask, position_ids);
  }
  if (inputs.output_hidden_states) out.hidden_states.push_back(hidden_states);
  out.last_hidden_state = final_norm(hidden_states);
  return out;
}

NamedTensors ModernBertModel::forward_named(const NamedTensors& inputs, bool output_hidden_states) {
  ModernBertModelOutput out = forward(parse_inputs(inputs, output_hidden_states, config_));
  return with_hidden_states({{"last_hidden_state", out.last_hidden_state}}, out.hidden_states);
}

ModernBertPredictionHead::ModernBertPredictionHead(const ModernBertConfig& config, const nn::WeightScope& w)
    : dense(w / "dense", config.hidden_size, config.hidden_size, config.classifier_bias),
      act(config.classifier_activation),
      norm(w / "norm", config.hidden_size, config.norm_eps, config.norm_bias) {}

Tensor ModernBertPredictionHead::forward(const Tensor& hidden_states) const { return norm(act(dense(hidden_states))); }

ModernBertForMaskedLM::ModernBertForMaskedLM(ModernBertConfig config, std::shared_ptr<nn::WeightStore> store)
    : ModernBertPreTrainedModel(std::move(config), store),
      model(config_, nn::WeightScope(store) / kBaseModelPrefix),
      head(config_, nn::WeightScope(store) / "head"),
      decoder(nn::Linear::tied(model.embeddings.tok_embeddings.weight)) {
  if (config_.decoder_bias)
    decoder.bias = (nn::WeightScope(store) / "decoder").tensor("bias", {config_.vocab_size}, nn::Init::Zeros);
  store_->finish_strict(kIgnoredKeys);
}

std::unique_ptr<ModernBertForMaskedLM> ModernBertForMaskedLM::from_pretrained(const std::filesystem::path& model_dir,
                                                                              const LoadOptions& options) {
  return load<ModernBertForMaskedLM>(model_dir, options);
}

// sparse_prediction only changes which positions the training loss reads; without labels HF
// returns logits for every position.
NamedTensors ModernBertForMaskedLM::forward_named(const NamedTensors& inputs, bool output_hidden_states) {
  ModernBertModelOutput out = model.forward(parse_inputs(inputs, output_hidden_states, config_));
  Tensor logits = decoder(head.forward(out.last_hidden_state));  // [batch, seq, vocab_size]
  return with_hidden_states({{"logits", logits}}, out.hidden_states);
}

ModernBertForSequenceClassification::ModernBertForSequenceClassification(ModernBertConfig config,
                                                                         std::shared_ptr<nn::WeightStore> store)
    : ModernBertPreTrainedModel(std::move(config), store),
      model(config_, nn::WeightScope(store) / kBaseModelPrefix),
      head(config_, nn::WeightScope(store) / "head"),
      classifier(nn::WeightScope(store) / "classifier", config_.hidden_size, config_.num_labels, true) {
  store_->finish_strict({});
}

std::unique_ptr<ModernBertForSequenceClassification> ModernBertForSequenceClassification::from_pretrained(
    const std::filesystem::path& model_dir, const LoadOptions& options) {
  return load<ModernBertForSequenceClassification>(model_dir, options);
}

NamedTensors ModernBertForSequenceClassification::forward_named(const NamedTensors& inputs, bool output_hidden_states) {
  ModernBertInputs in = parse_inputs(inputs, output_hidden_states, config_);
  ModernBertModelOutput out = model.forward(in);
  Tensor pooled;  // [batch, hidden_size]
  if (config_.classifier_pooling == "cls") {
    pooled = out.last_hidden_state.select(1, 0);
  } else {
    // "mean": average over the real tokens only.
    const int64_t batch = in.input_ids.size(0), seq = in.input_ids.size(1);
    Tensor mask = in.attention_mask.defined() ? in.attention_mask.to(DType::Float32) : Tensor::ones({batch, seq});
    pooled = sum(out.last_hidden_state * mask.unsqueeze(-1), 1) / sum(mask, 1, /*keepdim=*/true);
  }
  Tensor logits = classifier(head.forward(pooled));  // [batch, num_labels]
  return with_hidden_states({{"logits", logits}}, out.hidden_states);
}

ModernBertForTokenClassification::ModernBertForTokenClassification(ModernBertConfig config,
                                                                   std::shared_ptr<nn::WeightStore> store)
    : ModernBertPreTrainedModel(std::move(config), store),
      model(config_, nn::WeightScope(store) / kBaseModelPrefix),
      head(config_, nn::WeightScope(store) / "head"),
      classifier(nn::WeightScope(store) / "classifier", config_.hidden_size, config_.num_labels, true) {
  store_->finish_strict({});
}

std::unique_ptr<ModernBertForTokenClassification> ModernBertForTokenClassification::from_pretrained(
    const std::filesystem::path& model_dir, const LoadOptions& options) {
  return load<ModernBertForTokenClassification>(model_dir, options);
}

NamedTensors ModernBertForTokenClassification::forward_named(const NamedTensors& inputs, bool output_hidden_states) {
  ModernBertModelOutput out = model.forward(parse_inputs(inputs, output_hidden_states, config_));
  Tensor logits = classifier(head.forward(out.last_hidden_state));  // [batch, seq, num_labels]
  return with_hidden_states({{"logits", logits}}, out.hidden_states);
}

}  // namespace transformers::models::modernbert
