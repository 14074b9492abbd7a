#pragma once
// ELECTRA, as Hugging Face's modeling_electra.py: ElectraModel and its task heads (replaced-token
// detection, masked LM, sequence classification, token classification, extractive question
// answering). BERT's encoder behind embeddings of width embedding_size, projected to hidden_size
// by `embeddings_project` when the two differ; no pooler.
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "transformers/models/electra/configuration_electra.h"
#include "transformers/models/modeling_utils.h"
#include "transformers/nn/modules.h"

namespace transformers::models::electra {

// ElectraModel.forward's arguments (undefined tensors take HF's defaults).
struct ElectraInputs {
  Tensor input_ids;       // [batch, seq] integer
  Tensor attention_mask;  // [batch, seq] 1 = token, 0 = padding; undefined = all ones
  Tensor token_type_ids;  // [batch, seq]; undefined = zeros
  Tensor position_ids;    // [batch, seq]; undefined = 0 .. seq-1
  bool output_hidden_states = false;
};

struct ElectraModelOutput {
  Tensor last_hidden_state;           // [batch, seq, hidden_size]
  std::vector<Tensor> hidden_states;  // when requested: the (projected) embeddings, then each layer's output
};

// Word, position and token-type embeddings of width embedding_size, summed and normalized.
struct ElectraEmbeddings {
  nn::Embedding word_embeddings, position_embeddings, token_type_embeddings;
  nn::LayerNorm LayerNorm;

  ElectraEmbeddings(const ElectraConfig& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& input_ids, const Tensor& token_type_ids, const Tensor& position_ids) const;
};

struct ElectraSelfAttention {
  int64_t num_attention_heads, attention_head_size;
  nn::Linear query, key, value;

  ElectraSelfAttention(const ElectraConfig& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& hidden_states, const Tensor& attention_mask) const;
};

struct ElectraSelfOutput {
  nn::Linear dense;
  nn::LayerNorm LayerNorm;

  ElectraSelfOutput(const ElectraConfig& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& hidden_states, const Tensor& input_tensor) const;
};

struct ElectraAttention {
  ElectraSelfAttention self;
  ElectraSelfOutput output;

  ElectraAttention(const ElectraConfig& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& hidden_states, const Tensor& attention_mask) const;
};

struct ElectraIntermediate {
  nn::Linear dense;
  nn::Activation intermediate_act_fn;

  ElectraIntermediate(const ElectraConfig& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& hidden_states) const;
};

struct ElectraOutput {
  nn::Linear dense;
  nn::LayerNorm LayerNorm;

  ElectraOutput(const ElectraConfig& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& hidden_states, const Tensor& input_tensor) const;
};

struct ElectraLayer {
  ElectraAttention attention;
  ElectraIntermediate intermediate;
  ElectraOutput output;

  ElectraLayer(const ElectraConfig& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& hidden_states, const Tensor& attention_mask) const;
};

struct ElectraEncoder {
  std::vector<ElectraLayer> layer;

  ElectraEncoder(const ElectraConfig& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& hidden_states, const Tensor& attention_mask,
                 std::vector<Tensor>* all_hidden_states) const;
};

// Replaced-token detection: dense -> hidden_act -> dense_prediction, one logit per token.
struct ElectraDiscriminatorPredictions {
  nn::Linear dense;
  nn::Activation activation;
  nn::Linear dense_prediction;

  ElectraDiscriminatorPredictions(const ElectraConfig& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& discriminator_hidden_states) const;
};

// The generator's transform before the LM head: dense to embedding_size -> gelu -> LayerNorm.
struct ElectraGeneratorPredictions {
  nn::Activation activation;
  nn::LayerNorm LayerNorm;
  nn::Linear dense;

  ElectraGeneratorPredictions(const ElectraConfig& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& generator_hidden_states) const;
};

// The first token's hidden state -> dense -> gelu -> out_proj (BERT's pooler uses tanh instead).
struct ElectraClassificationHead {
  nn::Linear dense;
  nn::Activation activation;
  nn::Linear out_proj;

  ElectraClassificationHead(const ElectraConfig& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& features) const;
};

// Holds the config and the weights; every ELECTRA class below is one.
class ElectraPreTrainedModel : public PreTrainedModel {
 public:
  static constexpr const char* kBaseModelPrefix = "electra";

  const PretrainedConfig& config() const override { return config_; }
  const std::vector<std::pair<std::string, Tensor>>& named_parameters() const override {
    return store_->parameters();
  }

 protected:
  ElectraPreTrainedModel(ElectraConfig config, std::shared_ptr<nn::WeightStore> store)
      : config_(std::move(config)), store_(std::move(store)) {}

  ElectraConfig config_;
  std::shared_ptr<nn::WeightStore> store_;
};

class ElectraModel : public ElectraPreTrainedModel {
 public:
  // As a submodule of a task head, bound under `w` ("electra").
  ElectraModel(const ElectraConfig& config, const nn::WeightScope& w);
  // Standalone (architectures[0] == "ElectraModel"): binds and checks every tensor of `store`.
  ElectraModel(ElectraConfig config, std::shared_ptr<nn::WeightStore> store);
  static std::unique_ptr<ElectraModel> from_pretrained(const std::filesystem::path& model_dir,
                                                       const LoadOptions& options = {});

  ElectraModelOutput forward(const ElectraInputs& inputs) const;
  // last_hidden_state [batch, seq, hidden_size] (+ hidden_states.N)
  NamedTensors forward_named(const NamedTensors& inputs, bool output_hidden_states) override;

  ElectraEmbeddings embeddings;
  std::optional<nn::Linear> embeddings_project;  // only when embedding_size != hidden_size
  ElectraEncoder encoder;

 private:
  // The standalone constructor with base_scope(store) computed once: binds under `base`, then
  // checks every tensor of the store within base's prefix.
  struct Standalone {};
  ElectraModel(const ElectraConfig& config, const nn::WeightScope& base, Standalone);
};

class ElectraForPreTraining : public ElectraPreTrainedModel {
 public:
  ElectraForPreTraining(ElectraConfig config, std::shared_ptr<nn::WeightStore> store);
  static std::unique_ptr<ElectraForPreTraining> from_pretrained(const std::filesystem::path& model_dir,
                                                                const LoadOptions& options = {});
  // logits [batch, seq]: > 0 means "replaced" (+ hidden_states.N)
  NamedTensors forward_named(const NamedTensors& inputs, bool output_hidden_states) override;

  ElectraModel electra;
  ElectraDiscriminatorPredictions discriminator_predictions;
};

class ElectraForMaskedLM : public ElectraPreTrainedModel {
 public:
  ElectraForMaskedLM(ElectraConfig config, std::shared_ptr<nn::WeightStore> store);
  static std::unique_ptr<ElectraForMaskedLM> from_pretrained(const std::filesystem::path& model_dir,
                                                             const LoadOptions& options = {});
  // logits [batch, seq, vocab_size] (+ hidden_states.N)
  NamedTensors forward_named(const NamedTensors& inputs, bool output_hidden_states) override;

  ElectraModel electra;
  ElectraGeneratorPredictions generator_predictions;
  nn::Linear generator_lm_head;  // weight tied to the word embeddings when tie_word_embeddings
};

class ElectraForSequenceClassification : public ElectraPreTrainedModel {
 public:
  ElectraForSequenceClassification(ElectraConfig config, std::shared_ptr<nn::WeightStore> store);
  static std::unique_ptr<ElectraForSequenceClassification> from_pretrained(const std::filesystem::path& model_dir,
                                                                           const LoadOptions& options = {});
  // logits [batch, num_labels] (+ hidden_states.N)
  NamedTensors forward_named(const NamedTensors& inputs, bool output_hidden_states) override;

  ElectraModel electra;
  ElectraClassificationHead classifier;
};

class ElectraForTokenClassification : public ElectraPreTrainedModel {
 public:
  ElectraForTokenClassification(ElectraConfig config, std::shared_ptr<nn::WeightStore> store);
  static std::unique_ptr<ElectraForTokenClassification> from_pretrained(const std::filesystem::path& model_dir,
                                                                        const LoadOptions& options = {});
  // logits [batch, seq, num_labels] (+ hidden_states.N)
  NamedTensors forward_named(const NamedTensors& inputs, bool output_hidden_states) override;

  ElectraModel electra;
  nn::Linear classifier;
};

class ElectraForQuestionAnswering : public ElectraPreTrainedModel {
 public:
  ElectraForQuestionAnswering(ElectraConfig config, std::shared_ptr<nn::WeightStore> store);
  static std::unique_ptr<ElectraForQuestionAnswering> from_pretrained(const std::filesystem::path& model_dir,
                                                                      const LoadOptions& options = {});
  // start_logits, end_logits [batch, seq] (+ hidden_states.N)
  NamedTensors forward_named(const NamedTensors& inputs, bool output_hidden_states) override;

  ElectraModel electra;
  nn::Linear qa_outputs;
};

}  // namespace transformers::models::electra
