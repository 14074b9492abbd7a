// DistilBERT, top to bottom as Hugging Face's modeling_distilbert.py (eval mode: dropout is the
// identity).
#include "transformers/models/distilbert/modeling_distilbert.h"

#include <cmath>

#include "transformers/core/error.h"
#include "transformers/core/ops.h"

namespace transformers::models::distilbert {

using namespace transformers::ops;

// HF hard-codes this epsilon for every DistilBERT LayerNorm (it is not a config field).
constexpr double kLayerNormEps = 1e-12;

Embeddings::Embeddings(const DistilBertConfig& config, const nn::WeightScope& w)
    : word_embeddings(w / "word_embeddings", config.vocab_size, config.dim),
      position_embeddings(w / "position_embeddings", config.max_position_embeddings, config.dim),
      LayerNorm(w / "LayerNorm", config.dim, kLayerNormEps) {}

// input_ids: [batch, seq] -> [batch, seq, dim]; positions 0 .. seq-1
Tensor Embeddings::forward(const Tensor& input_ids) const {
  const int64_t batch = input_ids.size(0), seq = input_ids.size(1);
  Tensor position_ids = Tensor::arange(0, seq).unsqueeze(0).expand({batch, seq}).contiguous();
  return LayerNorm(word_embeddings(input_ids) + position_embeddings(position_ids));
}

MultiHeadSelfAttention::MultiHeadSelfAttention(const DistilBertConfig& config, const nn::WeightScope& w)
    : n_heads(config.n_heads),
      dim_per_head(config.dim / config.n_heads),
      q_lin(w / "q_lin", config.dim, config.dim, true),
      k_lin(w / "k_lin", config.dim, config.dim, true),
      v_lin(w / "v_lin", config.dim, config.dim, true),
      out_lin(w / "out_lin", config.dim, config.dim, true) {}

// x: [batch, seq, dim]; mask: [batch, seq] 0 = padding key
Tensor MultiHeadSelfAttention::forward(const Tensor& x, const Tensor& mask) const {
  const int64_t bs = x.size(0), q_length = x.size(1);
  const Shape heads_shape = {bs, q_length, n_heads, dim_per_head};
  Tensor q = q_lin(x).view(heads_shape).transpose(1, 2);  // [bs, n_heads, q_length, dim_per_head]
  Tensor k = k_lin(x).view(heads_shape).transpose(1, 2);
  Tensor v = v_lin(x).view(heads_shape).transpose(1, 2);
  AttentionOptions options;
  options.scale = 1.0 / std::sqrt(double(dim_per_head));
  // HF fills masked scores with the dtype minimum: the kernel's key padding mask.
  options.key_padding_mask = mask;
  Tensor context = scaled_dot_product_attention(q, k, v, options);
  return out_lin(context.transpose(1, 2).reshape({bs, q_length, -1}));  // [bs, q_length, dim]
}

FFN::FFN(const DistilBertConfig& config, const nn::WeightScope& w)
    : lin1(w / "lin1", config.dim, config.hidden_dim, true),
      lin2(w / "lin2", config.hidden_dim, config.dim, true),
      activation(config.activation) {}

Tensor FFN::forward(const Tensor& input) const { return lin2(activation(lin1(input))); }

TransformerBlock::TransformerBlock(const DistilBertConfig& config, const nn::WeightScope& w)
    : attention(config, w / "attention"),
      sa_layer_norm(w / "sa_layer_norm", config.dim, kLayerNormEps),
      ffn(config, w / "ffn"),
      output_layer_norm(w / "output_layer_norm", config.dim, kLayerNormEps) {}

// Post-norm residuals around attention and the feed-forward network.
Tensor TransformerBlock::forward(const Tensor& x, const Tensor& attn_mask) const {
  Tensor sa_output = sa_layer_norm(attention.forward(x, attn_mask) + x);
  return output_layer_norm(ffn.forward(sa_output) + sa_output);
}

Transformer::Transformer(const DistilBertConfig& config, const nn::WeightScope& w) {
  layer.reserve(size_t(config.n_layers));
  for (int64_t i = 0; i < config.n_layers; ++i) layer.emplace_back(config, w / "layer" / i);
}

Tensor Transformer::forward(const Tensor& x, const Tensor& attn_mask, std::vector<Tensor>* all_hidden_states) const {
  Tensor hidden_state = x;
  for (const TransformerBlock& block : layer) {
    if (all_hidden_states) all_hidden_states->push_back(hidden_state);
    hidden_state = block.forward(hidden_state, attn_mask);
  }
  if (all_hidden_states) all_hidden_states->push_back(hidden_state);
  return hidden_state;
}

DistilBertModel::DistilBertModel(const DistilBertConfig& config, const nn::WeightScope& w)
    : DistilBertPreTrainedModel(config, w.store()),
      embeddings(config, w / "embeddings"),
      transformer(config, w / "transformer") {}

namespace {

// HF's base_model_prefix rule: a checkpoint saved from DistilBertModel has no "distilbert."
// prefix, one saved from a task head has it; either loads into DistilBertModel.
nn::WeightScope base_scope(const std::shared_ptr<nn::WeightStore>& store) {
  nn::WeightScope root(store);
  if (!store->is_random() && !store->contains("embeddings.word_embeddings.weight") &&
      store->contains("distilbert.embeddings.word_embeddings.weight"))
    return root / DistilBertPreTrainedModel::kBaseModelPrefix;
  return root;
}

// Keys Hugging Face ignores: the position_ids buffer of old checkpoints and the tied projector.
const std::vector<std::string> kIgnoredKeys = {"embeddings.position_ids", "vocab_projector.weight"};

template <typename Model>
std::unique_ptr<Model> load(const std::filesystem::path& model_dir, const LoadOptions& options) {
  DistilBertConfig config = DistilBertConfig::from_file(model_dir / "config.json");
  auto store = open_weights(model_dir, options, config.initializer_range);
  return std::make_unique<Model>(std::move(config), std::move(store));
}

DistilBertInputs parse_inputs(const NamedTensors& named, bool output_hidden_states, const DistilBertConfig& config) {
  const std::string arch = config.architectures.empty() ? "DistilBERT" : config.architectures[0];
  DistilBertInputs in;
  for (const auto& [name, t] : named) {
    if (name == "input_ids") in.input_ids = t;
    else if (name == "attention_mask") in.attention_mask = t;
    else throw Error("[forward] " + arch + " takes input_ids and attention_mask, not '" + name + "'");
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

// A checkpoint from a task head ("distilbert." keys) also loads here, its head's weights unused
// (HF's AutoModel).
DistilBertModel::DistilBertModel(DistilBertConfig config, std::shared_ptr<nn::WeightStore> store)
    : DistilBertModel(config, base_scope(store), Standalone{}) {}

DistilBertModel::DistilBertModel(const DistilBertConfig& config, const nn::WeightScope& base, Standalone)
    : DistilBertModel(config, base) {
  base.store()->finish_strict(kIgnoredKeys, base.prefix());
}

std::unique_ptr<DistilBertModel> DistilBertModel::from_pretrained(const std::filesystem::path& model_dir,
                                                                  const LoadOptions& options) {
  return load<DistilBertModel>(model_dir, options);
}

DistilBertModelOutput DistilBertModel::forward(const DistilBertInputs& inputs) const {
  const Tensor& ids = inputs.input_ids;
  TFM_CHECK(ids.dim() == 2 && !is_floating(ids.dtype()),
            "[forward] input_ids must be an integer [batch, seq] tensor, got ",
            dtype_name(ids.dtype()), " ", shape_str(ids.shape()));
  TFM_CHECK(ids.size(1) <= config_.max_position_embeddings, "[forward] sequence length ", ids.size(1),
            " exceeds max_position_embeddings (", config_.max_position_embeddings, ")");
  TFM_CHECK(!inputs.attention_mask.defined() || inputs.attention_mask.shape() == ids.shape(),
            "[forward] attention_mask must be ", shape_str(ids.shape()), ", got ",
            shape_str(inputs.attention_mask.shape()));
  DistilBertModelOutput out;
  Tensor embeddings_output = embeddings.forward(ids);  // [batch, seq, dim]
  out.last_hidden_state = transformer.forward(embeddings_output, inputs.attention_mask,
                                              inputs.output_hidden_states ? &out.hidden_states : nullptr);
  return out;
}

NamedTensors DistilBertModel::forward_named(const NamedTensors& inputs, bool output_hidden_states) {
  DistilBertModelOutput out = forward(parse_inputs(inputs, output_hidden_states, config_));
  return with_hidden_states({{"last_hidden_state", out.last_hidden_state}}, out.hidden_states);
}

DistilBertForMaskedLM::DistilBertForMaskedLM(DistilBertConfig config, std::shared_ptr<nn::WeightStore> store)
    : DistilBertPreTrainedModel(std::move(config), store),
      activation(config_.activation),
      distilbert(config_, nn::WeightScope(store) / kBaseModelPrefix),
      vocab_transform(nn::WeightScope(store) / "vocab_transform", config_.dim, config_.dim, true),
      vocab_layer_norm(nn::WeightScope(store) / "vocab_layer_norm", config_.dim, kLayerNormEps),
      vocab_projector(nn::Linear::tied(distilbert.embeddings.word_embeddings.weight)) {
  vocab_projector.bias = (nn::WeightScope(store) / "vocab_projector")
                             .tensor("bias", {config_.vocab_size}, nn::Init::Zeros);
  store_->finish_strict(kIgnoredKeys);
}

std::unique_ptr<DistilBertForMaskedLM> DistilBertForMaskedLM::from_pretrained(const std::filesystem::path& model_dir,
                                                                              const LoadOptions& options) {
  return load<DistilBertForMaskedLM>(model_dir, options);
}

NamedTensors DistilBertForMaskedLM::forward_named(const NamedTensors& inputs, bool output_hidden_states) {
  DistilBertModelOutput out = distilbert.forward(parse_inputs(inputs, output_hidden_states, config_));
  Tensor prediction_logits = vocab_transform(out.last_hidden_state);  // [bs, seq, dim]
  prediction_logits = vocab_layer_norm(activation(prediction_logits));
  prediction_logits = vocab_projector(prediction_logits);  // [bs, seq, vocab_size]
  return with_hidden_states({{"logits", prediction_logits}}, out.hidden_states);
}

DistilBertForSequenceClassification::DistilBertForSequenceClassification(DistilBertConfig config,
                                                                         std::shared_ptr<nn::WeightStore> store)
    : DistilBertPreTrainedModel(std::move(config), store),
      distilbert(config_, nn::WeightScope(store) / kBaseModelPrefix),
      pre_classifier(nn::WeightScope(store) / "pre_classifier", config_.dim, config_.dim, true),
      classifier(nn::WeightScope(store) / "classifier", config_.dim, config_.num_labels, true) {
  store_->finish_strict(kIgnoredKeys);
}

std::unique_ptr<DistilBertForSequenceClassification> DistilBertForSequenceClassification::from_pretrained(
    const std::filesystem::path& model_dir, const LoadOptions& options) {
  return load<DistilBertForSequenceClassification>(model_dir, options);
}

NamedTensors DistilBertForSequenceClassification::forward_named(const NamedTensors& inputs, bool output_hidden_states) {
  DistilBertModelOutput out = distilbert.forward(parse_inputs(inputs, output_hidden_states, config_));
  Tensor pooled_output = out.last_hidden_state.select(1, 0);  // [bs, dim]
  pooled_output = relu(pre_classifier(pooled_output));
  Tensor logits = classifier(pooled_output);  // [bs, num_labels]
  return with_hidden_states({{"logits", logits}}, out.hidden_states);
}

DistilBertForTokenClassification::DistilBertForTokenClassification(DistilBertConfig config,
                                                                   std::shared_ptr<nn::WeightStore> store)
    : DistilBertPreTrainedModel(std::move(config), store),
      distilbert(config_, nn::WeightScope(store) / kBaseModelPrefix),
      classifier(nn::WeightScope(store) / "classifier", config_.dim, config_.num_labels, true) {
  store_->finish_strict(kIgnoredKeys);
}

std::unique_ptr<DistilBertForTokenClassification> DistilBertForTokenClassification::from_pretrained(
    const std::filesystem::path& model_dir, const LoadOptions& options) {
  return load<DistilBertForTokenClassification>(model_dir, options);
}

NamedTensors DistilBertForTokenClassification::forward_named(const NamedTensors& inputs, bool output_hidden_states) {
  DistilBertModelOutput out = distilbert.forward(parse_inputs(inputs, output_hidden_states, config_));
  Tensor logits = classifier(out.last_hidden_state);  // [bs, seq, num_labels]
  return with_hidden_states({{"logits", logits}}, out.hidden_states);
}

DistilBertForQuestionAnswering::DistilBertForQuestionAnswering(DistilBertConfig config,
                                                               std::shared_ptr<nn::WeightStore> store)
    : DistilBertPreTrainedModel(std::move(config), store),
      distilbert(config_, nn::WeightScope(store) / kBaseModelPrefix),
      qa_outputs(nn::WeightScope(store) / "qa_outputs", config_.dim, config_.num_labels, true) {
  TFM_CHECK(config_.num_labels == 2, "[config] DistilBertForQuestionAnswering needs num_labels == 2 (start, end), got ",
            config_.num_labels);
  store_->finish_strict(kIgnoredKeys);
}

std::unique_ptr<DistilBertForQuestionAnswering> DistilBertForQuestionAnswering::from_pretrained(
    const std::filesystem::path& model_dir, const LoadOptions& options) {
  return load<DistilBertForQuestionAnswering>(model_dir, options);
}

NamedTensors DistilBertForQuestionAnswering::forward_named(const NamedTensors& inputs, bool output_hidden_states) {
  DistilBertModelOutput out = distilbert.forward(parse_inputs(inputs, output_hidden_states, config_));
  std::vector<Tensor> start_end = split(qa_outputs(out.last_hidden_state), 1, -1);  // 2 x [bs, seq, 1]
  return with_hidden_states({{"start_logits", start_end[0].squeeze(-1).contiguous()},
                             {"end_logits", start_end[1].squeeze(-1).contiguous()}},
                            out.hidden_states);
}

}  // namespace transformers::models::distilbert
