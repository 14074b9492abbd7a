#pragma once
// DistilBERT, as Hugging Face's modeling_distilbert.py: DistilBertModel and its task heads
// (masked LM, sequence classification, token classification, question answering).
#include <filesystem>
#include <memory>
#include <vector>

#include "transformers/models/distilbert/configuration_distilbert.h"
#include "transformers/models/modeling_utils.h"
#include "transformers/nn/modules.h"

namespace transformers::models::distilbert {

// DistilBertModel.forward's arguments (no token types in DistilBERT).
struct DistilBertInputs {
  Tensor input_ids;       // [batch, seq] integer
  Tensor attention_mask;  // [batch, seq] 1 = token, 0 = padding; undefined = all ones
  bool output_hidden_states = false;
};

struct DistilBertModelOutput {
  Tensor last_hidden_state;           // [batch, seq, dim]
  std::vector<Tensor> hidden_states;  // when requested: embeddings, then each layer's output
};

struct Embeddings {
  nn::Embedding word_embeddings, position_embeddings;
  nn::LayerNorm LayerNorm;

  Embeddings(const DistilBertConfig& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& input_ids) const;
};

struct MultiHeadSelfAttention {
  int64_t n_heads, dim_per_head;
  nn::Linear q_lin, k_lin, v_lin, out_lin;

  MultiHeadSelfAttention(const DistilBertConfig& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& x, const Tensor& mask) const;
};

struct FFN {
  nn::Linear lin1, lin2;
  nn::Activation activation;

  FFN(const DistilBertConfig& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& input) const;
};

struct TransformerBlock {
  MultiHeadSelfAttention attention;
  nn::LayerNorm sa_layer_norm;
  FFN ffn;
  nn::LayerNorm output_layer_norm;

  TransformerBlock(const DistilBertConfig& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& x, const Tensor& attn_mask) const;
};

struct Transformer {
  std::vector<TransformerBlock> layer;

  Transformer(const DistilBertConfig& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& x, const Tensor& attn_mask, std::vector<Tensor>* all_hidden_states) const;
};

// Holds the config and the weights; every DistilBERT class below is one.
class DistilBertPreTrainedModel : public PreTrainedModel {
 public:
  static constexpr const char* kBaseModelPrefix = "distilbert";

  const PretrainedConfig& config() const override { return config_; }
  const std::vector<std::pair<std::string, Tensor>>& named_parameters() const override {
    return store_->parameters();
  }

 protected:
  DistilBertPreTrainedModel(DistilBertConfig config, std::shared_ptr<nn::WeightStore> store)
      : config_(std::move(config)), store_(std::move(store)) {}

  DistilBertConfig config_;
  std::shared_ptr<nn::WeightStore> store_;
};

class DistilBertModel : public DistilBertPreTrainedModel {
 public:
  // As a submodule of a task head, bound under `w` ("distilbert").
  DistilBertModel(const DistilBertConfig& config, const nn::WeightScope& w);
  // Standalone (architectures[0] == "DistilBertModel"): binds and checks every tensor of `store`.
  DistilBertModel(DistilBertConfig config, std::shared_ptr<nn::WeightStore> store);
  static std::unique_ptr<DistilBertModel> from_pretrained(const std::filesystem::path& model_dir,
                                                          const LoadOptions& options = {});

  DistilBertModelOutput forward(const DistilBertInputs& inputs) const;
  NamedTensors forward_named(const NamedTensors& inputs, bool output_hidden_states) override;

  Embeddings embeddings;
  Transformer transformer;

 private:
  // The standalone constructor with base_scope(store) computed once: binds under `base`, then
  // checks every tensor of the store within base's prefix.
  struct Standalone {};
  DistilBertModel(const DistilBertConfig& config, const nn::WeightScope& base, Standalone);
};

class DistilBertForMaskedLM : public DistilBertPreTrainedModel {
 public:
  DistilBertForMaskedLM(DistilBertConfig config, std::shared_ptr<nn::WeightStore> store);
  static std::unique_ptr<DistilBertForMaskedLM> from_pretrained(const std::filesystem::path& model_dir,
                                                                const LoadOptions& options = {});
  // logits [batch, seq, vocab_size] (+ hidden_states.N)
  NamedTensors forward_named(const NamedTensors& inputs, bool output_hidden_states) override;

  nn::Activation activation;
  DistilBertModel distilbert;
  nn::Linear vocab_transform;
  nn::LayerNorm vocab_layer_norm;
  nn::Linear vocab_projector;  // weight tied to the word embeddings
};

class DistilBertForSequenceClassification : public DistilBertPreTrainedModel {
 public:
  DistilBertForSequenceClassification(DistilBertConfig config, std::shared_ptr<nn::WeightStore> store);
  static std::unique_ptr<DistilBertForSequenceClassification> from_pretrained(const std::filesystem::path& model_dir,
                                                                              const LoadOptions& options = {});
  // logits [batch, num_labels] (+ hidden_states.N)
  NamedTensors forward_named(const NamedTensors& inputs, bool output_hidden_states) override;

  DistilBertModel distilbert;
  nn::Linear pre_classifier, classifier;
};

class DistilBertForTokenClassification : public DistilBertPreTrainedModel {
 public:
  DistilBertForTokenClassification(DistilBertConfig config, std::shared_ptr<nn::WeightStore> store);
  static std::unique_ptr<DistilBertForTokenClassification> from_pretrained(const std::filesystem::path& model_dir,
                                                                           const LoadOptions& options = {});
  // logits [batch, seq, num_labels] (+ hidden_states.N)
  NamedTensors forward_named(const NamedTensors& inputs, bool output_hidden_states) override;

  DistilBertModel distilbert;
  nn::Linear classifier;
};

class DistilBertForQuestionAnswering : public DistilBertPreTrainedModel {
 public:
  DistilBertForQuestionAnswering(DistilBertConfig config, std::shared_ptr<nn::WeightStore> store);
  static std::unique_ptr<DistilBertForQuestionAnswering> from_pretrained(const std::filesystem::path& model_dir,
                                                                         const LoadOptions& options = {});
  // start_logits, end_logits [batch, seq] (+ hidden_states.N)
  NamedTensors forward_named(const NamedTensors& inputs, bool output_hidden_states) override;

  DistilBertModel distilbert;
  nn::Linear qa_outputs;
};

}  // namespace transformers::models::distilbert
