// RoBERTa, top to bottom as Hugging Face's modeling_roberta.py (eval mode: dropout is the identity).
#include "transformers/models/roberta/modeling_roberta.h"

#include <cmath>

#include "transformers/core/error.h"
#include "transformers/core/ops.h"

namespace transformers::models::roberta {

using namespace transformers::ops;

RobertaEmbeddings::RobertaEmbeddings(const RobertaConfig& config, const nn::WeightScope& w)
    : padding_idx(*config.pad_token_id),
      word_embeddings(w / "word_embeddings", config.vocab_size, config.hidden_size),
      position_embeddings(w / "position_embeddings", config.max_position_embeddings, config.hidden_size),
      token_type_embeddings(w / "token_type_embeddings", config.type_vocab_size, config.hidden_size),
      LayerNorm(w / "LayerNorm", config.hidden_size, config.layer_norm_eps) {}

// Real tokens are numbered padding_idx + 1, padding_idx + 2, ... in order; padding tokens (by id,
// not by attention mask) keep padding_idx. [batch, seq] -> [batch, seq] int64
Tensor create_position_ids_from_input_ids(const Tensor& input_ids, int64_t padding_idx) {
  std::vector<int64_t> ids = input_ids.contiguous().to_vector<int64_t>();
  const int64_t seq = input_ids.size(1);
  std::vector<int64_t> positions(ids.size());
  for (size_t row = 0; row < ids.size(); row += size_t(seq)) {
    int64_t count = 0;
    for (size_t i = row; i < row + size_t(seq); ++i)
      positions[i] = ids[i] != padding_idx ? padding_idx + ++count : padding_idx;
  }
  return Tensor::from_vector(positions, input_ids.shape());
}

// ids: [batch, seq] -> [batch, seq, hidden_size]; undefined position_ids come from the ids.
Tensor RobertaEmbeddings::forward(const Tensor& input_ids, const Tensor& token_type_ids,
                                  const Tensor& position_ids) const {
  Tensor positions = position_ids.defined() ? position_ids : create_position_ids_from_input_ids(input_ids, padding_idx);
  Tensor embeddings = word_embeddings(input_ids) + token_type_embeddings(token_type_ids);
  embeddings = embeddings + position_embeddings(positions);  // position_embedding_type "absolute"
  return LayerNorm(embeddings);
}

RobertaSelfAttention::RobertaSelfAttention(const RobertaConfig& config, const nn::WeightScope& w)
    : num_attention_heads(config.num_attention_heads),
      attention_head_size(config.hidden_size / config.num_attention_heads),
      query(w / "query", config.hidden_size, config.hidden_size, true),
      key(w / "key", config.hidden_size, config.hidden_size, true),
      value(w / "value", config.hidden_size, config.hidden_size, true) {}

// hidden_states: [batch, seq, hidden]; attention_mask: [batch, seq] 0 = padding key
Tensor RobertaSelfAttention::forward(const Tensor& hidden_states, const Tensor& attention_mask) const {
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

RobertaSelfOutput::RobertaSelfOutput(const RobertaConfig& config, const nn::WeightScope& w)
    : dense(w / "dense", config.hidden_size, config.hidden_size, true),
      LayerNorm(w / "LayerNorm", config.hidden_size, config.layer_norm_eps) {}

// Post-norm residual.
Tensor RobertaSelfOutput::forward(const Tensor& hidden_states, const Tensor& input_tensor) const {
  return LayerNorm(dense(hidden_states) + input_tensor);
}

RobertaAttention::RobertaAttention(const RobertaConfig& config, const nn::WeightScope& w)
    : self(config, w / "self"), output(config, w / "output") {}

Tensor RobertaAttention::forward(const Tensor& hidden_states, const Tensor& attention_mask) const {
  return output.forward(self.forward(hidden_states, attention_mask), hidden_states);
}

RobertaIntermediate::RobertaIntermediate(const RobertaConfig& config, const nn::WeightScope& w)
    : dense(w / "dense", config.hidden_size, config.intermediate_size, true), intermediate_act_fn(config.hidden_act) {}

// [batch, seq, hidden] -> [batch, seq, intermediate_size]
Tensor RobertaIntermediate::forward(const Tensor& hidden_states) const {
  return intermediate_act_fn(dense(hidden_states));
}

RobertaOutput::RobertaOutput(const RobertaConfig& config, const nn::WeightScope& w)
    : dense(w / "dense", config.intermediate_size, config.hidden_size, true),
      LayerNorm(w / "LayerNorm", config.hidden_size, config.layer_norm_eps) {}

Tensor RobertaOutput::forward(const Tensor& hidden_states, const Tensor& input_tensor) const {
  return LayerNorm(dense(hidden_states) + input_tensor);
}

RobertaLayer::RobertaLayer(const RobertaConfig& config, const nn::WeightScope& w)
    : attention(config, w / "attention"), intermediate(config, w / "intermediate"), output(config, w / "output") {}

Tensor RobertaLayer::forward(const Tensor& hidden_states, const Tensor& attention_mask) const {
  Tensor attention_output = attention.forward(hidden_states, attention_mask);
  return output.forward(intermediate.forward(attention_output), attention_output);
}

RobertaEncoder::RobertaEncoder(const RobertaConfig& config, const nn::WeightScope& w) {
  layer.reserve(size_t(config.num_hidden_layers));
  for (int64_t i = 0; i < config.num_hidden_layers; ++i) layer.emplace_back(config, w / "layer" / i);
}

Tensor RobertaEncoder::forward(const Tensor& hidden_states, const Tensor& attention_mask,
                            std::vector<Tensor>* all_hidden_states) const {
  Tensor h = hidden_states;
  for (const RobertaLayer& l : layer) {
    if (all_hidden_states) all_hidden_states->push_back(h);
    h = l.forward(h, attention_mask);
  }
  if (all_hidden_states) all_hidden_states->push_back(h);
  return h;
}

RobertaPooler::RobertaPooler(const RobertaConfig& config, const nn::WeightScope& w)
    : dense(w / "dense", config.hidden_size, config.hidden_size, true) {}

// The first token's hidden state through dense + tanh: [batch, seq, hidden] -> [batch, hidden]
Tensor RobertaPooler::forward(const Tensor& hidden_states) const { return tanh(dense(hidden_states.select(1, 0))); }

RobertaLMHead::RobertaLMHead(const RobertaConfig& config, const nn::WeightScope& w, const Tensor& word_embeddings)
    : dense(w / "dense", config.hidden_size, config.hidden_size, true),
      layer_norm(w / "layer_norm", config.hidden_size, config.layer_norm_eps),
      decoder(nn::Linear::tied(word_embeddings)) {
  // HF ties decoder.bias to the head's own `bias` parameter, which is what checkpoints store.
  decoder.bias = w.tensor("bias", {config.vocab_size}, nn::Init::Zeros);
}

// [batch, seq, hidden] -> [batch, seq, vocab_size]; the activation is exact gelu whatever hidden_act says.
Tensor RobertaLMHead::forward(const Tensor& features) const { return decoder(layer_norm(gelu(dense(features)))); }

RobertaClassificationHead::RobertaClassificationHead(const RobertaConfig& config, const nn::WeightScope& w)
    : dense(w / "dense", config.hidden_size, config.hidden_size, true),
      out_proj(w / "out_proj", config.hidden_size, config.num_labels, true) {}

// [batch, seq, hidden] -> [batch, num_labels]
Tensor RobertaClassificationHead::forward(const Tensor& features) const {
  return out_proj(tanh(dense(features.select(1, 0))));
}

RobertaModel::RobertaModel(const RobertaConfig& config, const nn::WeightScope& w, bool add_pooling_layer)
    : RobertaPreTrainedModel(config, w.store()), embeddings(config, w / "embeddings"), encoder(config, w / "encoder") {
  if (add_pooling_layer) pooler.emplace(config, w / "pooler");
}

namespace {

// HF's base_model_prefix rule: a checkpoint saved from RobertaModel has no "roberta." prefix, one saved
// from a task head has it; either loads into RobertaModel. Task heads always bind under "roberta".
nn::WeightScope base_scope(const std::shared_ptr<nn::WeightStore>& store) {
  nn::WeightScope root(store);
  if (!store->is_random() && !store->contains("embeddings.word_embeddings.weight") &&
      store->contains("roberta.embeddings.word_embeddings.weight"))
    return root / RobertaPreTrainedModel::kBaseModelPrefix;
  return root;
}

// Keys Hugging Face leaves unused without complaint: the position_ids buffer of old checkpoints,
// the tied decoder, and the pooler the task heads do not have (roberta-base ships one).
const std::vector<std::string> kIgnoredKeys = {
    "embeddings.position_ids", "lm_head.decoder.weight", "lm_head.decoder.bias", "pooler.dense.weight",
    "pooler.dense.bias"};

RobertaConfig load_config(const std::filesystem::path& model_dir) {
  return RobertaConfig::from_file(model_dir / "config.json");
}

// Checks the named inputs and fills in HF's defaults.
RobertaInputs parse_inputs(const NamedTensors& named, bool output_hidden_states, const RobertaConfig& config) {
  const std::string arch = config.architectures.empty() ? "RoBERTa" : config.architectures[0];
  RobertaInputs in;
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

// A checkpoint from a task head ("roberta." keys) also loads here, its head's weights unused
// (HF's AutoModel); one without pooler weights (the heads save none) gives no pooler_output
// where HF would initialise a random pooler.
RobertaModel::RobertaModel(RobertaConfig config, std::shared_ptr<nn::WeightStore> store)
    : RobertaModel(config, base_scope(store), Standalone{}) {}

RobertaModel::RobertaModel(const RobertaConfig& config, const nn::WeightScope& base, Standalone)
    : RobertaModel(config, base,
                   /*add_pooling_layer=*/base.store()->is_random() || base.contains("pooler.dense.weight")) {
  base.store()->finish_strict(kIgnoredKeys, base.prefix());
}

std::unique_ptr<RobertaModel> RobertaModel::from_pretrained(const std::filesystem::path& model_dir,
                                                            const LoadOptions& options) {
  RobertaConfig config = load_config(model_dir);
  auto store = open_weights(model_dir, options, config.initializer_range);
  return std::make_unique<RobertaModel>(std::move(config), std::move(store));
}

RobertaModelOutput RobertaModel::forward(const RobertaInputs& inputs) const {
  const Tensor& ids = inputs.input_ids;
  TFM_CHECK(ids.dim() == 2 && !is_floating(ids.dtype()),
            "[forward] input_ids must be an integer [batch, seq] tensor, got ",
            dtype_name(ids.dtype()), " ", shape_str(ids.shape()));
  const int64_t batch = ids.size(0), seq = ids.size(1);
  const int64_t max_length = config_.max_position_embeddings - *config_.pad_token_id - 1;
  TFM_CHECK(seq <= max_length, "[forward] sequence length ", seq, " exceeds the model's maximum of ", max_length,
            " (max_position_embeddings ", config_.max_position_embeddings, " - pad_token_id - 1)");
  for (const auto& [name, t] : {std::pair{"attention_mask", inputs.attention_mask},
                                {"token_type_ids", inputs.token_type_ids}, {"position_ids", inputs.position_ids}})
    TFM_CHECK(!t.defined() || t.shape() == ids.shape(), "[forward] ", name, " must be [", batch, ", ", seq, "], got ",
              shape_str(t.shape()));
  Tensor token_type_ids = inputs.token_type_ids.defined()
                              ? inputs.token_type_ids
                              : Tensor::zeros({batch, seq}, DType::Int64);

  RobertaModelOutput out;
  Tensor embedding_output = embeddings.forward(ids, token_type_ids, inputs.position_ids);  // [batch, seq, hidden]
  out.last_hidden_state = encoder.forward(embedding_output, inputs.attention_mask,
                                          inputs.output_hidden_states ? &out.hidden_states : nullptr);
  if (pooler) out.pooler_output = pooler->forward(out.last_hidden_state);  // [batch, hidden]
  return out;
}

NamedTensors RobertaModel::forward_named(const NamedTensors& inputs, bool output_hidden_states) {
  RobertaModelOutput out = forward(parse_inputs(inputs, output_hidden_states, config_));
  NamedTensors named{{"last_hidden_state", out.last_hidden_state}};
  if (out.pooler_output.defined()) named.emplace_back("pooler_output", out.pooler_output);
  return with_hidden_states(std::move(named), out.hidden_states);
}

RobertaForMaskedLM::RobertaForMaskedLM(RobertaConfig config, std::shared_ptr<nn::WeightStore> store)
    : RobertaPreTrainedModel(std::move(config), store),
      roberta(config_, nn::WeightScope(store) / kBaseModelPrefix, /*add_pooling_layer=*/false),
      lm_head(config_, nn::WeightScope(store) / "lm_head", roberta.embeddings.word_embeddings.weight) {
  store_->finish_strict(kIgnoredKeys);
}

std::unique_ptr<RobertaForMaskedLM> RobertaForMaskedLM::from_pretrained(const std::filesystem::path& model_dir,
                                                                  const LoadOptions& options) {
  RobertaConfig config = load_config(model_dir);
  auto store = open_weights(model_dir, options, config.initializer_range);
  return std::make_unique<RobertaForMaskedLM>(std::move(config), std::move(store));
}

NamedTensors RobertaForMaskedLM::forward_named(const NamedTensors& inputs, bool output_hidden_states) {
  RobertaModelOutput out = roberta.forward(parse_inputs(inputs, output_hidden_states, config_));
  Tensor prediction_scores = lm_head.forward(out.last_hidden_state);  // [batch, seq, vocab_size]
  return with_hidden_states({{"logits", prediction_scores}}, out.hidden_states);
}

RobertaForSequenceClassification::RobertaForSequenceClassification(
    RobertaConfig config, std::shared_ptr<nn::WeightStore> store)
    : RobertaPreTrainedModel(std::move(config), store),
      roberta(config_, nn::WeightScope(store) / kBaseModelPrefix, /*add_pooling_layer=*/false),
      classifier(config_, nn::WeightScope(store) / "classifier") {
  store_->finish_strict(kIgnoredKeys);
}

std::unique_ptr<RobertaForSequenceClassification> RobertaForSequenceClassification::from_pretrained(
    const std::filesystem::path& model_dir, const LoadOptions& options) {
  RobertaConfig config = load_config(model_dir);
  auto store = open_weights(model_dir, options, config.initializer_range);
  return std::make_unique<RobertaForSequenceClassification>(std::move(config), std::move(store));
}

NamedTensors RobertaForSequenceClassification::forward_named(const NamedTensors& inputs, bool output_hidden_states) {
  RobertaModelOutput out = roberta.forward(parse_inputs(inputs, output_hidden_states, config_));
  Tensor logits = classifier.forward(out.last_hidden_state);  // [batch, num_labels]
  return with_hidden_states({{"logits", logits}}, out.hidden_states);
}

RobertaForTokenClassification::RobertaForTokenClassification(RobertaConfig config,
                                                             std::shared_ptr<nn::WeightStore> store)
    : RobertaPreTrainedModel(std::move(config), store),
      roberta(config_, nn::WeightScope(store) / kBaseModelPrefix, /*add_pooling_layer=*/false),
      classifier(nn::WeightScope(store) / "classifier", config_.hidden_size, config_.num_labels,
                 true) {
  store_->finish_strict(kIgnoredKeys);
}

std::unique_ptr<RobertaForTokenClassification> RobertaForTokenClassification::from_pretrained(
    const std::filesystem::path& model_dir, const LoadOptions& options) {
  RobertaConfig config = load_config(model_dir);
  auto store = open_weights(model_dir, options, config.initializer_range);
  return std::make_unique<RobertaForTokenClassification>(std::move(config), std::move(store));
}

NamedTensors RobertaForTokenClassification::forward_named(const NamedTensors& inputs, bool output_hidden_states) {
  RobertaModelOutput out = roberta.forward(parse_inputs(inputs, output_hidden_states, config_));
  Tensor logits = classifier(out.last_hidden_state);  // [batch, seq, num_labels]
  return with_hidden_states({{"logits", logits}}, out.hidden_states);
}

RobertaForQuestionAnswering::RobertaForQuestionAnswering(RobertaConfig config, std::shared_ptr<nn::WeightStore> store)
    : RobertaPreTrainedModel(std::move(config), store),
      roberta(config_, nn::WeightScope(store) / kBaseModelPrefix, /*add_pooling_layer=*/false),
      qa_outputs(nn::WeightScope(store) / "qa_outputs", config_.hidden_size, config_.num_labels, true) {
  TFM_CHECK(config_.num_labels == 2, "[config] RobertaForQuestionAnswering needs num_labels == 2 (start, end), got ",
            config_.num_labels);
  store_->finish_strict(kIgnoredKeys);
}

std::unique_ptr<RobertaForQuestionAnswering> RobertaForQuestionAnswering::from_pretrained(
    const std::filesystem::path& model_dir, const LoadOptions& options) {
  RobertaConfig config = load_config(model_dir);
  auto store = open_weights(model_dir, options, config.initializer_range);
  return std::make_unique<RobertaForQuestionAnswering>(std::move(config), std::move(store));
}

NamedTensors RobertaForQuestionAnswering::forward_named(const NamedTensors& inputs, bool output_hidden_states) {
  RobertaModelOutput out = roberta.forward(parse_inputs(inputs, output_hidden_states, config_));
  Tensor logits = qa_outputs(out.last_hidden_state);  // [batch, seq, 2]
  std::vector<Tensor> start_end = split(logits, 1, -1);
  Tensor start_logits = start_end[0].squeeze(-1).contiguous();  // [batch, seq]
  Tensor end_logits = start_end[1].squeeze(-1).contiguous();
  return with_hidden_states({{"start_logits", start_logits}, {"end_logits", end_logits}}, out.hidden_states);
}

}  // namespace transformers::models::roberta
