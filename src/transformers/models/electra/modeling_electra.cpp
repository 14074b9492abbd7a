// ELECTRA, top to bottom as Hugging Face's modeling_electra.py (eval mode: dropout is the identity).
#include "transformers/models/electra/modeling_electra.h"

#include <cmath>

#include "transformers/core/error.h"
#include "transformers/core/ops.h"

namespace transformers::models::electra {

using namespace transformers::ops;

// Differs from BERT: every table and the LayerNorm are embedding_size wide, not hidden_size.
ElectraEmbeddings::ElectraEmbeddings(const ElectraConfig& config, const nn::WeightScope& w)
    : word_embeddings(w / "word_embeddings", config.vocab_size, config.embedding_size),
      position_embeddings(w / "position_embeddings", config.max_position_embeddings, config.embedding_size),
      token_type_embeddings(w / "token_type_embeddings", config.type_vocab_size, config.embedding_size),
      LayerNorm(w / "LayerNorm", config.embedding_size, config.layer_norm_eps) {}

// ids: [batch, seq] -> [batch, seq, embedding_size]
Tensor ElectraEmbeddings::forward(const Tensor& input_ids, const Tensor& token_type_ids,
                                  const Tensor& position_ids) const {
  Tensor embeddings = word_embeddings(input_ids) + token_type_embeddings(token_type_ids);
  embeddings = embeddings + position_embeddings(position_ids);  // position_embedding_type "absolute"
  return LayerNorm(embeddings);
}

ElectraSelfAttention::ElectraSelfAttention(const ElectraConfig& config, const nn::WeightScope& w)
    : num_attention_heads(config.num_attention_heads),
      attention_head_size(config.hidden_size / config.num_attention_heads),
      query(w / "query", config.hidden_size, config.hidden_size, true),
      key(w / "key", config.hidden_size, config.hidden_size, true),
      value(w / "value", config.hidden_size, config.hidden_size, true) {}

// hidden_states: [batch, seq, hidden]; attention_mask: [batch, seq] 0 = padding key
Tensor ElectraSelfAttention::forward(const Tensor& hidden_states, const Tensor& attention_mask) const {
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

ElectraSelfOutput::ElectraSelfOutput(const ElectraConfig& config, const nn::WeightScope& w)
    : dense(w / "dense", config.hidden_size, config.hidden_size, true),
      LayerNorm(w / "LayerNorm", config.hidden_size, config.layer_norm_eps) {}

// Post-norm residual.
Tensor ElectraSelfOutput::forward(const Tensor& hidden_states, const Tensor& input_tensor) const {
  return LayerNorm(dense(hidden_states) + input_tensor);
}

ElectraAttention::ElectraAttention(const ElectraConfig& config, const nn::WeightScope& w)
    : self(config, w / "self"), output(config, w / "output") {}

Tensor ElectraAttention::forward(const Tensor& hidden_states, const Tensor& attention_mask) const {
  return output.forward(self.forward(hidden_states, attention_mask), hidden_states);
}

ElectraIntermediate::ElectraIntermediate(const ElectraConfig& config, const nn::WeightScope& w)
    : dense(w / "dense", config.hidden_size, config.intermediate_size, true), intermediate_act_fn(config.hidden_act) {}

// [batch, seq, hidden] -> [batch, seq, intermediate_size]
Tensor ElectraIntermediate::forward(const Tensor& hidden_states) const {
  return intermediate_act_fn(dense(hidden_states));
}

ElectraOutput::ElectraOutput(const ElectraConfig& config, const nn::WeightScope& w)
    : dense(w / "dense", config.intermediate_size, config.hidden_size, true),
      LayerNorm(w / "LayerNorm", config.hidden_size, config.layer_norm_eps) {}

Tensor ElectraOutput::forward(const Tensor& hidden_states, const Tensor& input_tensor) const {
  return LayerNorm(dense(hidden_states) + input_tensor);
}

ElectraLayer::ElectraLayer(const ElectraConfig& config, const nn::WeightScope& w)
    : attention(config, w / "attention"), intermediate(config, w / "intermediate"), output(config, w / "output") {}

Tensor ElectraLayer::forward(const Tensor& hidden_states, const Tensor& attention_mask) const {
  Tensor attention_output = attention.forward(hidden_states, attention_mask);
  return output.forward(intermediate.forward(attention_output), attention_output);
}

ElectraEncoder::ElectraEncoder(const ElectraConfig& config, const nn::WeightScope& w) {
  layer.reserve(size_t(config.num_hidden_layers));
  for (int64_t i = 0; i < config.num_hidden_layers; ++i) layer.emplace_back(config, w / "layer" / i);
}

Tensor ElectraEncoder::forward(const Tensor& hidden_states, const Tensor& attention_mask,
                               std::vector<Tensor>* all_hidden_states) const {
  Tensor h = hidden_states;
  for (const ElectraLayer& l : layer) {
    if (all_hidden_states) all_hidden_states->push_back(h);
    h = l.forward(h, attention_mask);
  }
  if (all_hidden_states) all_hidden_states->push_back(h);
  return h;
}

ElectraDiscriminatorPredictions::ElectraDiscriminatorPredictions(const ElectraConfig& config, const nn::WeightScope& w)
    : dense(w / "dense", config.hidden_size, config.hidden_size, true),
      activation(config.hidden_act),
      dense_prediction(w / "dense_prediction", config.hidden_size, 1, true) {}

// [batch, seq, hidden] -> [batch, seq]
Tensor ElectraDiscriminatorPredictions::forward(const Tensor& discriminator_hidden_states) const {
  Tensor hidden_states = activation(dense(discriminator_hidden_states));
  return dense_prediction(hidden_states).squeeze(-1);
}

// The activation is exact gelu whatever hidden_act says (HF: get_activation("gelu")).
ElectraGeneratorPredictions::ElectraGeneratorPredictions(const ElectraConfig& config, const nn::WeightScope& w)
    : activation("gelu"),
      LayerNorm(w / "LayerNorm", config.embedding_size, config.layer_norm_eps),
      dense(w / "dense", config.hidden_size, config.embedding_size, true) {}

// [batch, seq, hidden] -> [batch, seq, embedding_size]
Tensor ElectraGeneratorPredictions::forward(const Tensor& generator_hidden_states) const {
  return LayerNorm(activation(dense(generator_hidden_states)));
}

ElectraClassificationHead::ElectraClassificationHead(const ElectraConfig& config, const nn::WeightScope& w)
    : dense(w / "dense", config.hidden_size, config.hidden_size, true),
      activation("gelu"),
      out_proj(w / "out_proj", config.hidden_size, config.num_labels, true) {}

// [batch, seq, hidden] -> [batch, num_labels]; gelu where BERT's pooler has tanh (as ELECTRA's authors).
Tensor ElectraClassificationHead::forward(const Tensor& features) const {
  return out_proj(activation(dense(features.select(1, 0))));
}

ElectraModel::ElectraModel(const ElectraConfig& config, const nn::WeightScope& w)
    : ElectraPreTrainedModel(config, w.store()), embeddings(config, w / "embeddings"),
      embeddings_project(config.embedding_size != config.hidden_size
                             ? std::optional<nn::Linear>(std::in_place, w / "embeddings_project",
                                                         config.embedding_size, config.hidden_size, true)
                             : std::nullopt),
      encoder(config, w / "encoder") {}

namespace {

// HF's base_model_prefix rule: a checkpoint saved from ElectraModel has no "electra." prefix, one
// saved from a task head has it; either loads into ElectraModel. Task heads always bind under "electra".
nn::WeightScope base_scope(const std::shared_ptr<nn::WeightStore>& store) {
  nn::WeightScope root(store);
  if (!store->is_random() && !store->contains("embeddings.word_embeddings.weight") &&
      store->contains("electra.embeddings.word_embeddings.weight"))
    return root / ElectraPreTrainedModel::kBaseModelPrefix;
  return root;
}

// Keys Hugging Face leaves unused without complaint: the position_ids buffer of old checkpoints,
// the tied LM head weight, and the pretraining heads a class does not have (google/electra-*-
// discriminator ships discriminator_predictions, the generators generator_predictions and
// generator_lm_head). A class that has one of these heads binds its keys, so they are checked.
const std::vector<std::string> kIgnoredKeys = {"embeddings.position_ids",
                                               "discriminator_predictions.dense.weight",
                                               "discriminator_predictions.dense.bias",
                                               "discriminator_predictions.dense_prediction.weight",
                                               "discriminator_predictions.dense_prediction.bias",
                                               "generator_predictions.dense.weight",
                                               "generator_predictions.dense.bias",
                                               "generator_predictions.LayerNorm.weight",
                                               "generator_predictions.LayerNorm.bias",
                                               "generator_lm_head.weight",
                                               "generator_lm_head.bias"};

ElectraConfig load_config(const std::filesystem::path& model_dir) {
  return ElectraConfig::from_file(model_dir / "config.json");
}

// Checks the named inputs and fills in HF's defaults.
ElectraInputs parse_inputs(const NamedTensors& named, bool output_hidden_states, const ElectraConfig& config) {
  const std::string arch = config.architectures.empty() ? "ELECTRA" : config.architectures[0];
  ElectraInputs in;
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

// A checkpoint from a task head ("electra." keys) also loads here, its head's weights unused
// (HF's AutoModel).
ElectraModel::ElectraModel(ElectraConfig config, std::shared_ptr<nn::WeightStore> store)
    : ElectraModel(config, base_scope(store), Standalone{}) {}

ElectraModel::ElectraModel(const ElectraConfig& config, const nn::WeightScope& base, Standalone)
    : ElectraModel(config, base) {
  base.store()->finish_strict(kIgnoredKeys, base.prefix());
}

std::unique_ptr<ElectraModel> ElectraModel::from_pretrained(const std::filesystem::path& model_dir,
                                                            const LoadOptions& options) {
  ElectraConfig config = load_config(model_dir);
  auto store = open_weights(model_dir, options, config.initializer_range);
  return std::make_unique<ElectraModel>(std::move(config), std::move(store));
}

ElectraModelOutput ElectraModel::forward(const ElectraInputs& inputs) const {
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

  ElectraModelOutput out;
  Tensor embedding_output = embeddings.forward(ids, token_type_ids, position_ids);  // [batch, seq, embedding_size]
  if (embeddings_project) embedding_output = (*embeddings_project)(embedding_output);  // [batch, seq, hidden]
  out.last_hidden_state = encoder.forward(embedding_output, inputs.attention_mask,
                                          inputs.output_hidden_states ? &out.hidden_states : nullptr);
  return out;
}

NamedTensors ElectraModel::forward_named(const NamedTensors& inputs, bool output_hidden_states) {
  ElectraModelOutput out = forward(parse_inputs(inputs, output_hidden_states, config_));
  return with_hidden_states({{"last_hidden_state", out.last_hidden_state}}, out.hidden_states);
}

ElectraForPreTraining::ElectraForPreTraining(ElectraConfig config, std::shared_ptr<nn::WeightStore> store)
    : ElectraPreTrainedModel(std::move(config), store),
      electra(config_, nn::WeightScope(store) / kBaseModelPrefix),
      discriminator_predictions(config_, nn::WeightScope(store) / "discriminator_predictions") {
  store_->finish_strict(kIgnoredKeys);
}

std::unique_ptr<ElectraForPreTraining> ElectraForPreTraining::from_pretrained(const std::filesystem::path& model_dir,
                                                                              const LoadOptions& options) {
  ElectraConfig config = load_config(model_dir);
  auto store = open_weights(model_dir, options, config.initializer_range);
  return std::make_unique<ElectraForPreTraining>(std::move(config), std::move(store));
}

NamedTensors ElectraForPreTraining::forward_named(const NamedTensors& inputs, bool output_hidden_states) {
  ElectraModelOutput out = electra.forward(parse_inputs(inputs, output_hidden_states, config_));
  Tensor logits = discriminator_predictions.forward(out.last_hidden_state);  // [batch, seq]
  return with_hidden_states({{"logits", logits}}, out.hidden_states);
}

namespace {

// The LM head: the word embeddings' matrix when tied (HF _tied_weights_keys), else its own weight;
// the bias is always its own.
nn::Linear lm_head(const ElectraConfig& config, const nn::WeightScope& w, const Tensor& word_embeddings) {
  if (!config.tie_word_embeddings) return nn::Linear(w, config.embedding_size, config.vocab_size, true);
  nn::Linear head = nn::Linear::tied(word_embeddings);
  head.bias = w.tensor("bias", {config.vocab_size}, nn::Init::Zeros);
  return head;
}

}  // namespace

ElectraForMaskedLM::ElectraForMaskedLM(ElectraConfig config, std::shared_ptr<nn::WeightStore> store)
    : ElectraPreTrainedModel(std::move(config), store),
      electra(config_, nn::WeightScope(store) / kBaseModelPrefix),
      generator_predictions(config_, nn::WeightScope(store) / "generator_predictions"),
      generator_lm_head(lm_head(config_, nn::WeightScope(store) / "generator_lm_head",
                                electra.embeddings.word_embeddings.weight)) {
  store_->finish_strict(kIgnoredKeys);
}

std::unique_ptr<ElectraForMaskedLM> ElectraForMaskedLM::from_pretrained(const std::filesystem::path& model_dir,
                                                                        const LoadOptions& options) {
  ElectraConfig config = load_config(model_dir);
  auto store = open_weights(model_dir, options, config.initializer_range);
  return std::make_unique<ElectraForMaskedLM>(std::move(config), std::move(store));
}

NamedTensors ElectraForMaskedLM::forward_named(const NamedTensors& inputs, bool output_hidden_states) {
  ElectraModelOutput out = electra.forward(parse_inputs(inputs, output_hidden_states, config_));
  Tensor prediction_scores = generator_predictions.forward(out.last_hidden_state);  // [batch, seq, embedding_size]
  prediction_scores = generator_lm_head(prediction_scores);                          // [batch, seq, vocab_size]
  return with_hidden_states({{"logits", prediction_scores}}, out.hidden_states);
}

ElectraForSequenceClassification::ElectraForSequenceClassification(ElectraConfig config,
                                                                   std::shared_ptr<nn::WeightStore> store)
    : ElectraPreTrainedModel(std::move(config), store),
      electra(config_, nn::WeightScope(store) / kBaseModelPrefix),
      classifier(config_, nn::WeightScope(store) / "classifier") {
  store_->finish_strict(kIgnoredKeys);
}

std::unique_ptr<ElectraForSequenceClassification> ElectraForSequenceClassification::from_pretrained(
    const std::filesystem::path& model_dir, const LoadOptions& options) {
  ElectraConfig config = load_config(model_dir);
  auto store = open_weights(model_dir, options, config.initializer_range);
  return std::make_unique<ElectraForSequenceClassification>(std::move(config), std::move(store));
}

NamedTensors ElectraForSequenceClassification::forward_named(const NamedTensors& inputs, bool output_hidden_states) {
  ElectraModelOutput out = electra.forward(parse_inputs(inputs, output_hidden_states, config_));
  Tensor logits = classifier.forward(out.last_hidden_state);  // [batch, num_labels]
  return with_hidden_states({{"logits", logits}}, out.hidden_states);
}

ElectraForTokenClassification::ElectraForTokenClassification(ElectraConfig config,
                                                             std::shared_ptr<nn::WeightStore> store)
    : ElectraPreTrainedModel(std::move(config), store),
      electra(config_, nn::WeightScope(store) / kBaseModelPrefix),
      classifier(nn::WeightScope(store) / "classifier", config_.hidden_size, config_.num_labels,
                 true) {
  store_->finish_strict(kIgnoredKeys);
}

std::unique_ptr<ElectraForTokenClassification> ElectraForTokenClassification::from_pretrained(
    const std::filesystem::path& model_dir, const LoadOptions& options) {
  ElectraConfig config = load_config(model_dir);
  auto store = open_weights(model_dir, options, config.initializer_range);
  return std::make_unique<ElectraForTokenClassification>(std::move(config), std::move(store));
}

NamedTensors ElectraForTokenClassification::forward_named(const NamedTensors& inputs, bool output_hidden_states) {
  ElectraModelOutput out = electra.forward(parse_inputs(inputs, output_hidden_states, config_));
  Tensor logits = classifier(out.last_hidden_state);  // [batch, seq, num_labels]
  return with_hidden_states({{"logits", logits}}, out.hidden_states);
}

ElectraForQuestionAnswering::ElectraForQuestionAnswering(ElectraConfig config, std::shared_ptr<nn::WeightStore> store)
    : ElectraPreTrainedModel(std::move(config), store),
      electra(config_, nn::WeightScope(store) / kBaseModelPrefix),
      qa_outputs(nn::WeightScope(store) / "qa_outputs", config_.hidden_size, config_.num_labels, true) {
  TFM_CHECK(config_.num_labels == 2, "[config] ElectraForQuestionAnswering needs num_labels == 2 (start, end), got ",
            config_.num_labels);
  store_->finish_strict(kIgnoredKeys);
}

std::unique_ptr<ElectraForQuestionAnswering> ElectraForQuestionAnswering::from_pretrained(
    const std::filesystem::path& model_dir, const LoadOptions& options) {
  ElectraConfig config = load_config(model_dir);
  auto store = open_weights(model_dir, options, config.initializer_range);
  return std::make_unique<ElectraForQuestionAnswering>(std::move(config), std::move(store));
}

NamedTensors ElectraForQuestionAnswering::forward_named(const NamedTensors& inputs, bool output_hidden_states) {
  ElectraModelOutput out = electra.forward(parse_inputs(inputs, output_hidden_states, config_));
  Tensor logits = qa_outputs(out.last_hidden_state);  // [batch, seq, 2]
  std::vector<Tensor> start_end = split(logits, 1, -1);
  Tensor start_logits = start_end[0].squeeze(-1).contiguous();  // [batch, seq]
  Tensor end_logits = start_end[1].squeeze(-1).contiguous();
  return with_hidden_states({{"start_logits", start_logits}, {"end_logits", end_logits}}, out.hidden_states);
}

}  // namespace transformers::models::electra
