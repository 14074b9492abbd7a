#pragma once
// ModernBERT, as Hugging Face's modeling_modernbert.py (eager path, padded batches: no unpadding):
// pre-norm layers alternating global and sliding-window ("local") attention, rotary positions
// with a theta per attention type, GeGLU MLP, LayerNorms without bias.
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "transformers/models/modeling_utils.h"
#include "transformers/models/modernbert/configuration_modernbert.h"
#include "transformers/nn/modules.h"
#include "transformers/nn/rotary.h"

namespace transformers::models::modernbert {

struct ModernBertInputs {
  Tensor input_ids;       // [batch, seq] integer
  Tensor attention_mask;  // [batch, seq] 1 = token, 0 = padding; undefined = all ones
  Tensor position_ids;    // [batch, seq]; undefined = 0 .. seq-1
  bool output_hidden_states = false;
};

struct ModernBertModelOutput {
  Tensor last_hidden_state;           // [batch, seq, hidden_size], after final_norm
  std::vector<Tensor> hidden_states;  // embeddings, then each layer's output (before final_norm)
};

struct ModernBertEmbeddings {
  nn::Embedding tok_embeddings;
  nn::LayerNorm norm;

  ModernBertEmbeddings(const ModernBertConfig& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& input_ids) const;
};

struct ModernBertMLP {
  nn::Linear Wi, Wo;
  nn::Activation act;

  ModernBertMLP(const ModernBertConfig& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& hidden_states) const;
};

struct ModernBertAttention {
  int64_t num_heads, head_dim, all_head_size;
  bool local;  // sliding-window layer (layer_id % global_attn_every_n_layers != 0)
  nn::Linear Wqkv, Wo;
  nn::RotaryEmbedding rotary_emb;

  ModernBertAttention(const ModernBertConfig& config, const nn::WeightScope& w, int64_t layer_id);
  // attention_mask: [batch, seq] 0 = padding key (global layers); sliding_window_mask: additive
  // [batch, 1, seq, seq] with the dtype minimum at padding and out-of-window keys (local layers).
  Tensor forward(const Tensor& hidden_states, const Tensor& attention_mask, const Tensor& sliding_window_mask,
                 const Tensor& position_ids);
};

struct ModernBertEncoderLayer {
  std::optional<nn::LayerNorm> attn_norm;  // nn.Identity in layer 0 (the embeddings are normed)
  ModernBertAttention attn;
  nn::LayerNorm mlp_norm;
  ModernBertMLP mlp;

  ModernBertEncoderLayer(const ModernBertConfig& config, const nn::WeightScope& w, int64_t layer_id);
  Tensor forward(const Tensor& hidden_states, const Tensor& attention_mask, const Tensor& sliding_window_mask,
                 const Tensor& position_ids);
};

// Holds the config and the weights; every ModernBERT class below is one.
class ModernBertPreTrainedModel : public PreTrainedModel {
 public:
  static constexpr const char* kBaseModelPrefix = "model";

  const PretrainedConfig& config() const override { return config_; }
  const std::vector<std::pair<std::string, Tensor>>& named_parameters() const override {
    return store_->parameters();
  }

 protected:
  ModernBertPreTrainedModel(ModernBertConfig config, std::shared_ptr<nn::WeightStore> store)
      : config_(std::move(config)), store_(std::move(store)) {}

  ModernBertConfig config_;
  std::shared_ptr<nn::WeightStore> store_;
};

class ModernBertModel : public ModernBertPreTrainedModel {
 public:
  // As a submodule of a task head, bound under `w` ("model").
  ModernBertModel(const ModernBertConfig& config, const nn::WeightScope& w);
  // Standalone (architectures[0] == "ModernBertModel"): binds and checks every tensor of `store`.
  ModernBertModel(ModernBertConfig config, std::shared_ptr<nn::WeightStore> store);
  static std::unique_ptr<ModernBertModel> from_pretrained(const std::filesystem::path& model_dir,
                                                          const LoadOptions& options = {});

  ModernBertModelOutput forward(const ModernBertInputs& inputs);
  NamedTensors forward_named(const NamedTensors& inputs, bool output_hidden_states) override;

  ModernBertEmbeddings embeddings;
  std::vector<ModernBertEncoderLayer> layers;
  nn::LayerNorm final_norm;

 private:
  // The standalone constructor with base_scope(store) computed once: binds under `base`, then
  // checks every tensor of the store within base's prefix.
  struct Standalone {};
  ModernBertModel(const ModernBertConfig& config, const nn::WeightScope& base, Standalone);
};

struct ModernBertPredictionHead {
  nn::Linear dense;
  nn::Activation act;
  nn::LayerNorm norm;

  ModernBertPredictionHead(const ModernBertConfig& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& hidden_states) const;
};

class ModernBertForMaskedLM : public ModernBertPreTrainedModel {
 public:
  ModernBertForMaskedLM(ModernBertConfig config, std::shared_ptr<nn::WeightStore> store);
  static std::unique_ptr<ModernBertForMaskedLM> from_pretrained(const std::filesystem::path& model_dir,
                                                                const LoadOptions& options = {});
  // logits [batch, seq, vocab_size] (+ hidden_states.N)
  NamedTensors forward_named(const NamedTensors& inputs, bool output_hidden_states) override;

  ModernBertModel model;
  ModernBertPredictionHead head;
  nn::Linear decoder;  // weight tied to tok_embeddings
};

class ModernBertForSequenceClassification : public ModernBertPreTrainedModel {
 public:
  ModernBertForSequenceClassification(ModernBertConfig config, std::shared_ptr<nn::WeightStore> store);
  static std::unique_ptr<ModernBertForSequenceClassification> from_pretrained(const std::filesystem::path& model_dir,
                                                                              const LoadOptions& options = {});
  // logits [batch, num_labels] (+ hidden_states.N); pooling by config.classifier_pooling
  NamedTensors forward_named(const NamedTensors& inputs, bool output_hidden_states) override;

  ModernBertModel model;
  ModernBertPredictionHead head;
  nn::Linear classifier;
};

class ModernBertForTokenClassification : public ModernBertPreTrainedModel {
 public:
  ModernBertForTokenClassification(ModernBertConfig config, std::shared_ptr<nn::WeightStore> store);
  static std::unique_ptr<ModernBertForTokenClassification> from_pretrained(const std::filesystem::path& model_dir,
                                                                           const LoadOptions& options = {});
  // logits [batch, seq, num_labels] (+ hidden_states.N)
  NamedTensors forward_named(const NamedTensors& inputs, bool output_hidden_states) override;

  ModernBertModel model;
  ModernBertPredictionHead head;
  nn::Linear classifier;
};

}  // namespace transformers::models::modernbert
