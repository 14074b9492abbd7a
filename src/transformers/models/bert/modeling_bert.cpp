// BERT, top to bottom as Hugging Face's modeling_bert.py (eval mode: dropout is the identity).
#include "transformers/models/bert/modeling_bert.h"

#include <cmath>

#include "transformers/core/error.h"
#include "transformers/core/ops.h"

namespace transformers::models::bert {

using namespace transformers::ops;

BertEmbeddings::BertEmbeddings(const BertConfig& config, const nn::WeightScope& w)
    : word_embeddings(w / "word_embeddings", config.vocab_size, config.hidden_size),
      position_embeddings(w / "position_embeddings", config.max_position_embeddings, config.hidden_size),
      token_type_embeddings(w / "token_type_embeddings", config.type_vocab_size, config.hidden_size),
      LayerNorm(w / "LayerNorm", config.hidden_size, config.layer_norm_eps) {}

// ids: [batch, seq] -> [batch, seq, hidden_size]
Tensor BertEmbeddings::forward(const Tensor& input_ids, const Tensor& token_type_ids,
                               const Tensor& position_ids) const {
  Tensor embeddings = word_embeddings(input_ids) + token_type_embeddings(token_type_ids);
  embeddings = embeddings + position_embeddings(position_ids);  // position_embedding_type "absolute"
  return LayerNorm(embeddings);
}

BertSelfAttention::BertSelfAttention(const BertConfig& config, const nn::WeightScope& w)
    : num_attention_heads(config.num_attention_heads),
      attention_head_size(config.hidden_size / config.num_attention_heads),
      query(w / "query", config.hidden_size, config.hidden_size, true),
      key(w / "key", config.hidden_size, config.hidden_size, true),
      value(w / "value", config.hidden_size, config.hidden_size, true) {}

// hidden_states: [batch, seq, hidden]; attention_mask: [batch, seq] 0 = padding key
Tensor BertSelfAttention::forward(const Tensor& hidden_states, const Tensor& attention_mask) const {
  const int64_t batch = hidden_states.size(0), seq = hidden_states.size(1);
  const Shape heads_shape = {batch, seq, num_attention_heads, attention_head_size};
  Tensor query_layer = query(hidden_states).view(heads_shape).transpose(1, 2);  // [batch, heads, seq, head_size]
  Tensor key_layer = key(hidden_states).view(heads_shape).transpose(1, 2);
  Tensor value_layer = value(hidden_states).view(heads_shape).transpose(1, 2);
  AttentionOptions options;
  options.scale = 1.0 / std::sqrt(double(attention_head_size));
  // HF adds (1 - mask) * dtype_min to the scores: exactly the kernel's key padding mask.
  options.key_padding_mask = attention_mask;
  Tensor context_layer = scaled_dot_product_attention(query_layer, key_layer, value_layer, options);
  return context_layer.transpose(1, 2).reshape({batch, seq, -1});  // [batch, seq, hidden]
}

BertSelfOutput::BertSelfOutput(const BertConfig& config, const nn::WeightScope& w)
    : dense(w / "dense", config.hidden_size, config.hidden_size, true),
      LayerNorm(w / "LayerNorm", config.hidden_size, config.layer_norm_eps) {}

// Post-norm residual.
Tensor BertSelfOutput::forward(const Tensor& hidden_states, const Tensor& input_tensor) const {
  return LayerNorm(dense(hidden_states) + input_tensor);
}

BertAttention::BertAttention(const BertConfig& config, const nn::WeightScope& w)
    : self(config, w / "self"), output(config, w / "output") {}

Tensor BertAttention::forward(const Tensor& hidden_states, const Tensor& attention_mask) const {
  return output.forward(self.forward(hidden_states, attention_mask), hidden_states);
}

BertIntermediate::BertIntermediate(const BertConfig& config, const nn::WeightScope& w)
    : dense(w / "dense", config.hidden_size, config.intermediate_size, true), intermediate_act_fn(config.hidden_act) {}

// [batch, seq, hidden] -> [batch, seq, intermediate_size]
Tensor BertIntermediate::forward(const Tensor& hidden_states) const {
  return intermediate_act_fn(dense(hidden_states));
}

BertOutput::BertOutput(const BertConfig& config, const nn::WeightScope& w)
    : dense(w / "dense", config.intermediate_size, config.hidden_size, true),
      LayerNorm(w / "LayerNorm", config.hidden_size, config.layer_norm_eps) {}

Tensor BertOutput::forward(const Tensor& hidden_states, const Tensor& input_tensor) const {
  return LayerNorm(dense(hidden_states) + input_tensor);
}

BertLayer::BertLayer(const BertConfig& config, const nn::WeightScope& w)
    : attention(config, w / "attention"), intermediate(config, w / "intermediate"), output(config, w / "output") {}

Tensor BertLayer::forward(const Tensor& hidden_states, const Tensor& attention_mask) const {
  Tensor attention_output = attention.forward(hidden_states, attention_mask);
  return output.forward(intermediate.forward(attention_output), attention_output);
}

BertEncoder::BertEncoder(const BertConfig& config, const nn::WeightScope& w) {
  layer.reserve(size_t(config.num_hidden_layers));
  for (int64_t i = 0; i < config.num_hidden_layers; ++i) layer.emplace_back(config, w / "layer" / i);
}

Tensor BertEncoder::forward(const Tensor& hidden_states, const Tensor& attention_mask,
                            std::vector<Tensor>* all_hidden_states) const {
  Tensor h = hidden_states;
  for (const BertLayer& l : layer) {
    if (all_hidden_states) all_hidden_states->push_back(h);
    h = l.forward(h, attention_mask);
  }
  if (all_hidden_states) all_hidden_states->push_back(h);
  return h;
}

BertPooler::BertPooler(const BertConfig& config, const nn::WeightScope& w)
    : dense(w / "dense", config.hidden_size, config.hidden_size, true) {}

// The first token's hidden state through dense + tanh: [batch, seq, hidden] -> [batch, hidden]
Tensor BertPooler::forward(const Tensor& hidden_states) const { return tanh(dense(hidden_states.select(1, 0))); }

BertPredictionHeadTransform::BertPredictionHeadTransform(const BertConfig& config, const nn::WeightScope& w)
    : dense(w / "dense", config.hidden_size, config.hidden_size, true),
      transform_act_fn(config.hidden_act),
      LayerNorm(w / "LayerNorm", config.hidden_size, config.layer_norm_eps) {}

Tensor BertPredictionHeadTransform::forward(const Tensor& hidden_states) const {
  return LayerNorm(transform_act_fn(dense(hidden_states)));
}

BertLMPredictionHead::BertLMPredictionHead(const BertConfig& config, const nn::WeightScope& w,
                                           const Tensor& word_embeddings)
    : transform(config, w / "transform"), decoder(nn::Linear::tied(word_embeddings)) {
  // HF ties decoder.bias to the head's own `bias` parameter, which is what checkpoints store.
  decoder.bias = w.tensor("bias", {config.vocab_size}, nn::Init::Zeros);
}

// [batch, seq, hidden] -> [batch, seq, vocab_size]
Tensor BertLMPredictionHead::forward(const Tensor& hidden_states) const {
  return decoder(transform.forward(hidden_states));
}

BertOnlyMLMHead::BertOnlyMLMHead(const BertConfig& config, const nn::WeightScope& w, const Tensor& word_embeddings)
    : predictions(config, w / "predictions", word_embeddings) {}

BertModel::BertModel(const BertConfig& config, const nn::WeightScope& w, bool add_pooling_layer)
    : BertPreTrainedModel(config, w.store()), embeddings(config, w / "embeddings"), encoder(config, w / "encoder") {
  if (add_pooling_layer) pooler.emplace(config, w / "pooler");
}

namespace {

// HF's base_model_prefix rule: a checkpoint saved from BertModel has no "bert." prefix, one saved
// from a task head has it; either loads into BertModel. Task heads always bind under "bert".
nn::WeightScope base_scope(const std::shared_ptr<nn::WeightStore>& store) {
  nn::WeightScope root(store);
  if (!store->is_random() && !store->contains("embeddings.word_embeddings.weight") &&
      store->contains("bert.embeddings.word_embeddings.weight"))
    return root / BertPreTrainedModel::kBaseModelPrefix;
  return root;
}

// Keys Hugging Face leaves unused without complaint: the position_ids buffer of old checkpoints,
// and the pretraining heads / pooler a task head does not have (bert-base-* ship them all).
const std::vector<std::string> kIgnoredKeys = {
    "embeddings.position_ids",        "cls.predictions.decoder.weight", "cls.predictions.decoder.bias",
    "cls.seq_relationship.weight",    "cls.seq_relationship.bias",      "pooler.dense.weight",
    "pooler.dense.bias"};

BertConfig load_config(const std::filesystem::path& model_dir) {
  return BertConfig::from_file(model_dir / "config.json");
}

// Checks the named inputs and fills in HF's defaults.
BertInputs parse_inputs(const NamedTensors& named, bool output_hidden_states, const BertConfig& config) {
  const std::string arch = config.architectures.empty() ? "BERT" : config.architectures[0];
  BertInputs in;
  for (const auto& [name, t] : named) {
    if (name == "input_ids") in.input_ids = t;
    else if (name == "attention_mask") in.attention_mask = t;
    else if (name == "token_type_ids") in.token_type_ids = t;
    else if (name == "position_ids") in.position_ids = t;
    else
      throw Error("[forward] " + arch + " takes input_ids, attention_mask, token_type_ids and position_ids, not '" +
                  name + "'");
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

// A checkpoint from a task head ("bert." keys) also loads here, its head's weights unused (HF's
// AutoModel); one without pooler weights (BertForMaskedLM saves none) gives no pooler_output
// where HF would initialise a random pooler.
BertModel::BertModel(BertConfig config, std::shared_ptr<nn::WeightStore> store)
    : BertModel(config, base_scope(store), Standalone{}) {}

BertModel::BertModel(const BertConfig& config, const nn::WeightScope& base, Standalone)
    : BertModel(config, base,
                /*add_pooling_layer=*/base.store()->is_random() || base.contains("pooler.dense.weight")) {
  base.store()->finish_strict(kIgnoredKeys, base.prefix());
}

std::unique_ptr<BertModel> BertModel::from_pretrained(const std::filesystem::path& model_dir,
                                                      const LoadOptions& options) {
  BertConfig config = load_config(model_dir);
  auto store = open_weights(model_dir, options, config.initializer_range);
  return std::make_unique<BertModel>(std::move(config), std::move(store));
}

BertModelOutput BertModel::forward(const BertInputs& inputs) const {
  const Tensor& ids = inputs.input_ids;
  TFM_CHECK(ids.dim() == 2 && !is_floating(ids.dtype()),
            "[forward] input_ids must be an integer [batch, seq] tensor, got ",
            dtype_name(ids.dtype()), " ", shape_str(ids.shape()));
  const int64_t batch = ids.size(0), seq = ids.size(1);
  TFM_CHECK(seq <= config_.max_position_embeddings, "[forward] sequence length ", seq,
            " exceeds max_position_embeddings (", config_.max_position_embeddings, ")");
  for (const auto& [name, t] : {std::pair{"attention_mask", inputs.attention_mask},
                                {"token_type_ids", inputs.token_type_ids}, {"position_ids", inputs.position_ids}})
    TFM_CHECK(!t.defined() || t.shape() == ids.shape(), "[forward] ", name, " must be [", batch, ", ", seq, "], got ",
              shape_str(t.shape()));
  Tensor token_type_ids = inputs.token_type_ids.defined()
                              ? inputs.token_type_ids
                              : Tensor::zeros({batch, seq}, DType::Int64);
  Tensor position_ids = inputs.position_ids.defined()
                            ? inputs.position_ids
                            : Tensor::arange(0, seq).unsqueeze(0).expand({batch, seq}).contiguous();

  BertModelOutput out;
  Tensor embedding_output = embeddings.forward(ids, token_type_ids, position_ids);  // [batch, seq, hidden]
  out.last_hidden_state = encoder.forward(embedding_output, inputs.attention_mask,
                                          inputs.output_hidden_states ? &out.hidden_states : nullptr);
  if (pooler) out.pooler_output = pooler->forward(out.last_hidden_state);  // [batch, hidden]
  return out;
}

NamedTensors BertModel::forward_named(const NamedTensors& inputs, bool output_hidden_states) {
  BertModelOutput out = forward(parse_inputs(inputs, output_hidden_states, config_));
  NamedTensors named{{"last_hidden_state", out.last_hidden_state}};
  if (out.pooler_output.defined()) named.emplace_back("pooler_output", out.pooler_output);
  return with_hidden_states(std::move(named), out.hidden_states);
}

BertForMaskedLM::BertForMaskedLM(BertConfig config, std::shared_ptr<nn::WeightStore> store)
    : BertPreTrainedModel(std::move(config), store),
      bert(config_, nn::WeightScope(store) / kBaseModelPrefix, /*add_pooling_layer=*/false),
      cls(config_, nn::WeightScope(store) / "cls", bert.embeddings.word_embeddings.weight) {
  store_->finish_strict(kIgnoredKeys);
}

std::unique_ptr<BertForMaskedLM> BertForMaskedLM::from_pretrained(const std::filesystem::path& model_dir,
                                                                  const LoadOptions& options) {
  BertConfig config = load_config(model_dir);
  auto store = open_weights(model_dir, options, config.initializer_range);
  return std::make_unique<BertForMaskedLM>(std::move(config), std::move(store));
}

NamedTensors BertForMaskedLM::forward_named(const NamedTensors& inputs, bool output_hidden_states) {
  BertModelOutput out = bert.forward(parse_inputs(inputs, output_hidden_states, config_));
  Tensor prediction_scores = cls.forward(out.last_hidden_state);  // [batch, seq, vocab_size]
  return with_hidden_states({{"logits", prediction_scores}}, out.hidden_states);
}

BertForSequenceClassification::BertForSequenceClassification(BertConfig config, std::shared_ptr<nn::WeightStore> store)
    : BertPreTrainedModel(std::move(config), store),
      bert(config_, nn::WeightScope(store) / kBaseModelPrefix, /*add_pooling_layer=*/true),
      classifier(nn::WeightScope(store) / "classifier", config_.hidden_size, config_.num_labels, true) {
  store_->finish_strict(kIgnoredKeys);
}

std::unique_ptr<BertForSequenceClassification> BertForSequenceClassification::from_pretrained(
    const std::filesystem::path& model_dir, const LoadOptions& options) {
  BertConfig config = load_config(model_dir);
  auto store = open_weights(model_dir, options, config.initializer_range);
  return std::make_unique<BertForSequenceClassification>(std::move(config), std::move(store));
}

NamedTensors BertForSequenceClassification::forward_named(const NamedTensors& inputs, bool output_hidden_states) {
  BertModelOutput out = bert.forward(parse_inputs(inputs, output_hidden_states, config_));
  Tensor logits = classifier(out.pooler_output);  // [batch, num_labels]
  return with_hidden_states({{"logits", logits}}, out.hidden_states);
}

BertForTokenClassification::BertForTokenClassification(BertConfig config, std::shared_ptr<nn::WeightStore> store)
    : BertPreTrainedModel(std::move(config), store),
      bert(config_, nn::WeightScope(store) / kBaseModelPrefix, /*add_pooling_layer=*/false),
      classifier(nn::WeightScope(store) / "classifier", config_.hidden_size, config_.num_labels, true) {
  store_->finish_strict(kIgnoredKeys);
}

std::unique_ptr<BertForTokenClassification> BertForTokenClassification::from_pretrained(
    const std::filesystem::path& model_dir, const LoadOptions& options) {
  BertConfig config = load_config(model_dir);
  auto store = open_weights(model_dir, options, config.initializer_range);
  return std::make_unique<BertForTokenClassification>(std::move(config), std::move(store));
}

NamedTensors BertForTokenClassification::forward_named(const NamedTensors& inputs, bool output_hidden_states) {
  BertModelOutput out = bert.forward(parse_inputs(inputs, output_hidden_states, config_));
  Tensor logits = classifier(out.last_hidden_state);  // [batch, seq, num_labels]
  return with_hidden_states({{"logits", logits}}, out.hidden_states);
}

BertForQuestionAnswering::BertForQuestionAnswering(BertConfig config, std::shared_ptr<nn::WeightStore> store)
    : BertPreTrainedModel(std::move(config), store),
      bert(config_, nn::WeightScope(store) / kBaseModelPrefix, /*add_pooling_layer=*/false),
      qa_outputs(nn::WeightScope(store) / "qa_outputs", config_.hidden_size, config_.num_labels, true) {
  TFM_CHECK(config_.num_labels == 2, "[config] BertForQuestionAnswering needs num_labels == 2 (start, end), got ",
            config_.num_labels);
  store_->finish_strict(kIgnoredKeys);
}

std::unique_ptr<BertForQuestionAnswering> BertForQuestionAnswering::from_pretrained(
    const std::filesystem::path& model_dir, const LoadOptions& options) {
  BertConfig config = load_config(model_dir);
  auto store = open_weights(model_dir, options, config.initializer_range);
  return std::make_unique<BertForQuestionAnswering>(std::move(config), std::move(store));
}

NamedTensors BertForQuestionAnswering::forward_named(const NamedTensors& inputs, bool output_hidden_states) {
  BertModelOutput out = bert.forward(parse_inputs(inputs, output_hidden_states, config_));
  Tensor logits = qa_outputs(out.last_hidden_state);  // [batch, seq, 2]
  std::vector<Tensor> start_end = split(logits, 1, -1);
  Tensor start_logits = start_end[0].squeeze(-1).contiguous();  // [batch, seq]
  Tensor end_logits = start_end[1].squeeze(-1).contiguous();
  return with_hidden_states({{"start_logits", start_logits}, {"end_logits", end_logits}}, out.hidden_states);
}

}  // namespace transformers::models::bert
