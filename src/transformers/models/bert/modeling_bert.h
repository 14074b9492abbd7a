#pragma once
// BERT, as Hugging Face's modeling_bert.py: BertModel and its task heads (masked LM, sequence
// classification, token classification, extractive question answering).
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "transformers/models/bert/configuration_bert.h"
#include "transformers/models/modeling_utils.h"
#include "transformers/nn/modules.h"

namespace transformers::models::bert {

// BertModel.forward's arguments (undefined tensors take HF's defaults).
struct BertInputs {
  Tensor input_ids;       // [batch, seq] integer
  Tensor attention_mask;  // [batch, seq] 1 = token, 0 = padding; undefined = all ones
  Tensor token_type_ids;  // [batch, seq]; undefined = zeros
  Tensor position_ids;    // [batch, seq]; undefined = 0 .. seq-1
  bool output_hidden_states = false;
};

struct BertModelOutput {
  Tensor last_hidden_state;           // [batch, seq, hidden_size]
  Tensor pooler_output;               // [batch, hidden_size], undefined without a pooler
  std::vector<Tensor> hidden_states;  // when requested: embeddings, then each layer's output
};

struct BertEmbeddings {
  nn::Embedding word_embeddings, position_embeddings, token_type_embeddings;
  nn::LayerNorm LayerNorm;

  BertEmbeddings(const BertConfig& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& input_ids, const Tensor& token_type_ids, const Tensor& position_ids) const;
};

struct BertSelfAttention {
  int64_t num_attention_heads, attention_head_size;
  nn::Linear query, key, value;

  BertSelfAttention(const BertConfig& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& hidden_states, const Tensor& attention_mask) const;
};

struct BertSelfOutput {
  nn::Linear dense;
  nn::LayerNorm LayerNorm;

  BertSelfOutput(const BertConfig& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& hidden_states, const Tensor& input_tensor) const;
};

struct BertAttention {
  BertSelfAttention self;
  BertSelfOutput output;

  BertAttention(const BertConfig& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& hidden_states, const Tensor& attention_mask) const;
};

struct BertIntermediate {
  nn::Linear dense;
  nn::Activation intermediate_act_fn;

  BertIntermediate(const BertConfig& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& hidden_states) const;
};

struct BertOutput {
  nn::Linear dense;
  nn::LayerNorm LayerNorm;

  BertOutput(const BertConfig& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& hidden_states, const Tensor& input_tensor) const;
};

struct BertLayer {
  BertAttention attention;
  BertIntermediate intermediate;
  BertOutput output;

  BertLayer(const BertConfig& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& hidden_states, const Tensor& attention_mask) const;
};

struct BertEncoder {
  std::vector<BertLayer> layer;

  BertEncoder(const BertConfig& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& hidden_states, const Tensor& attention_mask,
                 std::vector<Tensor>* all_hidden_states) const;
};

struct BertPooler {
  nn::Linear dense;

  BertPooler(const BertConfig& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& hidden_states) const;
};

struct BertPredictionHeadTransform {
  nn::Linear dense;
  nn::Activation transform_act_fn;
  nn::LayerNorm LayerNorm;

  BertPredictionHeadTransform(const BertConfig& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& hidden_states) const;
};

struct BertLMPredictionHead {
  BertPredictionHeadTransform transform;
  nn::Linear decoder;  // weight tied to the word embeddings, bias = cls.predictions.bias

  BertLMPredictionHead(const BertConfig& config, const nn::WeightScope& w, const Tensor& word_embeddings);
  Tensor forward(const Tensor& hidden_states) const;
};

struct BertOnlyMLMHead {
  BertLMPredictionHead predictions;

  BertOnlyMLMHead(const BertConfig& config, const nn::WeightScope& w, const Tensor& word_embeddings);
  Tensor forward(const Tensor& sequence_output) const { return predictions.forward(sequence_output); }
};

// Holds the config and the weights; every BERT class below is one.
class BertPreTrainedModel : public PreTrainedModel {
 public:
  static constexpr const char* kBaseModelPrefix = "bert";

  const PretrainedConfig& config() const override { return config_; }
  const std::vector<std::pair<std::string, Tensor>>& named_parameters() const override {
    return store_->parameters();
  }

 protected:
  BertPreTrainedModel(BertConfig config, std::shared_ptr<nn::WeightStore> store)
      : config_(std::move(config)), store_(std::move(store)) {}

  BertConfig config_;
  std::shared_ptr<nn::WeightStore> store_;
};

class BertModel : public BertPreTrainedModel {
 public:
  // As a submodule of a task head, bound under `w` ("bert").
  BertModel(const BertConfig& config, const nn::WeightScope& w, bool add_pooling_layer);
  // Standalone (architectures[0] == "BertModel"): binds and checks every tensor of `store`.
  BertModel(BertConfig config, std::shared_ptr<nn::WeightStore> store);
  static std::unique_ptr<BertModel> from_pretrained(const std::filesystem::path& model_dir,
                                                    const LoadOptions& options = {});

  BertModelOutput forward(const BertInputs& inputs) const;
  NamedTensors forward_named(const NamedTensors& inputs, bool output_hidden_states) override;

  BertEmbeddings embeddings;
  BertEncoder encoder;
  std::optional<BertPooler> pooler;

 private:
  // The standalone constructor with base_scope(store) computed once: binds under `base`, then
  // checks every tensor of the store within base's prefix.
  struct Standalone {};
  BertModel(const BertConfig& config, const nn::WeightScope& base, Standalone);
};

class BertForMaskedLM : public BertPreTrainedModel {
 public:
  BertForMaskedLM(BertConfig config, std::shared_ptr<nn::WeightStore> store);
  static std::unique_ptr<BertForMaskedLM> from_pretrained(const std::filesystem::path& model_dir,
                                                          const LoadOptions& options = {});
  // logits [batch, seq, vocab_size] (+ hidden_states.N)
  NamedTensors forward_named(const NamedTensors& inputs, bool output_hidden_states) override;

  BertModel bert;
  BertOnlyMLMHead cls;
};

class BertForSequenceClassification : public BertPreTrainedModel {
 public:
  BertForSequenceClassification(BertConfig config, std::shared_ptr<nn::WeightStore> store);
  static std::unique_ptr<BertForSequenceClassification> from_pretrained(const std::filesystem::path& model_dir,
                                                                        const LoadOptions& options = {});
  // logits [batch, num_labels] (+ hidden_states.N)
  NamedTensors forward_named(const NamedTensors& inputs, bool output_hidden_states) override;

  BertModel bert;
  nn::Linear classifier;
};

class BertForTokenClassification : public BertPreTrainedModel {
 public:
  BertForTokenClassification(BertConfig config, std::shared_ptr<nn::WeightStore> store);
  static std::unique_ptr<BertForTokenClassification> from_pretrained(const std::filesystem::path& model_dir,
                                                                     const LoadOptions& options = {});
  // logits [batch, seq, num_labels] (+ hidden_states.N)
  NamedTensors forward_named(const NamedTensors& inputs, bool output_hidden_states) override;

  BertModel bert;
  nn::Linear classifier;
};

class BertForQuestionAnswering : public BertPreTrainedModel {
 public:
  BertForQuestionAnswering(BertConfig config, std::shared_ptr<nn::WeightStore> store);
  static std::unique_ptr<BertForQuestionAnswering> from_pretrained(const std::filesystem::path& model_dir,
                                                                   const LoadOptions& options = {});
  // start_logits, end_logits [batch, seq] (+ hidden_states.N)
  NamedTensors forward_named(const NamedTensors& inputs, bool output_hidden_states) override;

  BertModel bert;
  nn::Linear qa_outputs;
};

}  // namespace transformers::models::bert
