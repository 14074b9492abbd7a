#pragma once
// RoBERTa, as Hugging Face's modeling_roberta.py: RobertaModel and its task heads (masked LM, sequence
// classification, token classification, extractive question answering). BERT's encoder with
// position ids counted from padding_idx + 1, its own LM and classification heads, no pooler in
// the heads. XLM-RoBERTa checkpoints are these classes under other names.
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "transformers/models/roberta/configuration_roberta.h"
#include "transformers/models/modeling_utils.h"
#include "transformers/nn/modules.h"

namespace transformers::models::roberta {

// RobertaModel.forward's arguments (undefined tensors take HF's defaults).
struct RobertaInputs {
  Tensor input_ids;       // [batch, seq] integer
  Tensor attention_mask;  // [batch, seq] 1 = token, 0 = padding; undefined = all ones
  Tensor token_type_ids;  // [batch, seq]; undefined = zeros
  Tensor position_ids;    // [batch, seq]; undefined = from input_ids (padding_idx + 1 onwards,
                          // padding keeps padding_idx)
  bool output_hidden_states = false;
};

struct RobertaModelOutput {
  Tensor last_hidden_state;           // [batch, seq, hidden_size]
  Tensor pooler_output;               // [batch, hidden_size], undefined without a pooler
  std::vector<Tensor> hidden_states;  // when requested: embeddings, then each layer's output
};

struct RobertaEmbeddings {
  int64_t padding_idx;
  nn::Embedding word_embeddings, position_embeddings, token_type_embeddings;
  nn::LayerNorm LayerNorm;

  RobertaEmbeddings(const RobertaConfig& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& input_ids, const Tensor& token_type_ids, const Tensor& position_ids) const;
};

Tensor create_position_ids_from_input_ids(const Tensor& input_ids, int64_t padding_idx);

struct RobertaSelfAttention {
  int64_t num_attention_heads, attention_head_size;
  nn::Linear query, key, value;

  RobertaSelfAttention(const RobertaConfig& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& hidden_states, const Tensor& attention_mask) const;
};

struct RobertaSelfOutput {
  nn::Linear dense;
  nn::LayerNorm LayerNorm;

  RobertaSelfOutput(const RobertaConfig& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& hidden_states, const Tensor& input_tensor) const;
};

struct RobertaAttention {
  RobertaSelfAttention self;
  RobertaSelfOutput output;

  RobertaAttention(const RobertaConfig& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& hidden_states, const Tensor& attention_mask) const;
};

struct RobertaIntermediate {
  nn::Linear dense;
  nn::Activation intermediate_act_fn;

  RobertaIntermediate(const RobertaConfig& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& hidden_states) const;
};

struct RobertaOutput {
  nn::Linear dense;
  nn::LayerNorm LayerNorm;

  RobertaOutput(const RobertaConfig& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& hidden_states, const Tensor& input_tensor) const;
};

struct RobertaLayer {
  RobertaAttention attention;
  RobertaIntermediate intermediate;
  RobertaOutput output;

  RobertaLayer(const RobertaConfig& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& hidden_states, const Tensor& attention_mask) const;
};

struct RobertaEncoder {
  std::vector<RobertaLayer> layer;

  RobertaEncoder(const RobertaConfig& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& hidden_states, const Tensor& attention_mask,
                 std::vector<Tensor>* all_hidden_states) const;
};

struct RobertaPooler {
  nn::Linear dense;

  RobertaPooler(const RobertaConfig& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& hidden_states) const;
};

// dense -> gelu -> layer_norm -> decoder (tied to the word embeddings, bias = lm_head.bias).
struct RobertaLMHead {
  nn::Linear dense;
  nn::LayerNorm layer_norm;
  nn::Linear decoder;

  RobertaLMHead(const RobertaConfig& config, const nn::WeightScope& w, const Tensor& word_embeddings);
  Tensor forward(const Tensor& features) const;
};

// The <s> token's hidden state -> dense -> tanh -> out_proj (RoBERTa has no pooler here).
struct RobertaClassificationHead {
  nn::Linear dense, out_proj;

  RobertaClassificationHead(const RobertaConfig& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& features) const;
};

// Holds the config and the weights; every RoBERTa class below is one.
class RobertaPreTrainedModel : public PreTrainedModel {
 public:
  static constexpr const char* kBaseModelPrefix = "roberta";

  const PretrainedConfig& config() const override { return config_; }
  const std::vector<std::pair<std::string, Tensor>>& named_parameters() const override {
    return store_->parameters();
  }

 protected:
  RobertaPreTrainedModel(RobertaConfig config, std::shared_ptr<nn::WeightStore> store)
      : config_(std::move(config)), store_(std::move(store)) {}

  RobertaConfig config_;
  std::shared_ptr<nn::WeightStore> store_;
};

class RobertaModel : public RobertaPreTrainedModel {
 public:
  // As a submodule of a task head, bound under `w` ("roberta").
  RobertaModel(const RobertaConfig& config, const nn::WeightScope& w, bool add_pooling_layer);
  // Standalone (architectures[0] == "RobertaModel"): binds and checks every tensor of `store`.
  RobertaModel(RobertaConfig config, std::shared_ptr<nn::WeightStore> store);
  static std::unique_ptr<RobertaModel> from_pretrained(const std::filesystem::path& model_dir,
                                                    const LoadOptions& options = {});

  RobertaModelOutput forward(const RobertaInputs& inputs) const;
  NamedTensors forward_named(const NamedTensors& inputs, bool output_hidden_states) override;

  RobertaEmbeddings embeddings;
  RobertaEncoder encoder;
  std::optional<RobertaPooler> pooler;

 private:
  // The standalone constructor with base_scope(store) computed once: binds under `base`, then
  // checks every tensor of the store within base's prefix.
  struct Standalone {};
  RobertaModel(const RobertaConfig& config, const nn::WeightScope& base, Standalone);
};

class RobertaForMaskedLM : public RobertaPreTrainedModel {
 public:
  RobertaForMaskedLM(RobertaConfig config, std::shared_ptr<nn::WeightStore> store);
  static std::unique_ptr<RobertaForMaskedLM> from_pretrained(const std::filesystem::path& model_dir,
                                                          const LoadOptions& options = {});
  // logits [batch, seq, vocab_size] (+ hidden_states.N)
  NamedTensors forward_named(const NamedTensors& inputs, bool output_hidden_states) override;

  RobertaModel roberta;
  RobertaLMHead lm_head;
};

class RobertaForSequenceClassification : public RobertaPreTrainedModel {
 public:
  RobertaForSequenceClassification(RobertaConfig config, std::shared_ptr<nn::WeightStore> store);
  static std::unique_ptr<RobertaForSequenceClassification> from_pretrained(const std::filesystem::path& model_dir,
                                                                        const LoadOptions& options = {});
  // logits [batch, num_labels] (+ hidden_states.N)
  NamedTensors forward_named(const NamedTensors& inputs, bool output_hidden_states) override;

  RobertaModel roberta;
  RobertaClassificationHead classifier;
};

class RobertaForTokenClassification : public RobertaPreTrainedModel {
 public:
  RobertaForTokenClassification(RobertaConfig config, std::shared_ptr<nn::WeightStore> store);
  static std::unique_ptr<RobertaForTokenClassification> from_pretrained(const std::filesystem::path& model_dir,
                                                                     const LoadOptions& options = {});
  // logits [batch, seq, num_labels] (+ hidden_states.N)
  NamedTensors forward_named(const NamedTensors& inputs, bool output_hidden_states) override;

  RobertaModel roberta;
  nn::Linear classifier;
};

class RobertaForQuestionAnswering : public RobertaPreTrainedModel {
 public:
  RobertaForQuestionAnswering(RobertaConfig config, std::shared_ptr<nn::WeightStore> store);
  static std::unique_ptr<RobertaForQuestionAnswering> from_pretrained(const std::filesystem::path& model_dir,
                                                                   const LoadOptions& options = {});
  // start_logits, end_logits [batch, seq] (+ hidden_states.N)
  NamedTensors forward_named(const NamedTensors& inputs, bool output_hidden_states) override;

  RobertaModel roberta;
  nn::Linear qa_outputs;
};

}  // namespace transformers::models::roberta
