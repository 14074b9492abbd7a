#pragma once
// Mistral, as Hugging Face's modeling_mistral.py: MistralModel and MistralForCausalLM.
#include <memory>
#include <optional>
#include <vector>

#include "transformers/models/mistral/configuration_mistral.h"
#include "transformers/models/modeling_utils.h"
#include "transformers/nn/modules.h"
#include "transformers/nn/rotary.h"

namespace transformers::models::mistral {

struct MistralMLP {
  nn::Linear gate_proj, up_proj, down_proj;
  nn::Activation act_fn;

  MistralMLP(const MistralConfig& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& x) const;
};

struct MistralAttention {
  int64_t layer_idx, head_dim, num_key_value_groups;
  double scaling;
  std::optional<int64_t> sliding_window;
  nn::Linear q_proj, k_proj, v_proj, o_proj;

  MistralAttention(const MistralConfig& config, const nn::WeightScope& w, int64_t layer_idx);
  Tensor forward(const Tensor& hidden_states, const std::pair<Tensor, Tensor>& position_embeddings,
                 const Tensor& attention_mask, nn::KVCache* past_key_values) const;
};

struct MistralDecoderLayer {
  MistralAttention self_attn;
  MistralMLP mlp;
  nn::RMSNorm input_layernorm, post_attention_layernorm;

  MistralDecoderLayer(const MistralConfig& config, const nn::WeightScope& w, int64_t layer_idx);
  Tensor forward(const Tensor& hidden_states, const std::pair<Tensor, Tensor>& position_embeddings,
                 const Tensor& attention_mask, nn::KVCache* past_key_values) const;
};

struct MistralModel {
  nn::Embedding embed_tokens;
  std::vector<MistralDecoderLayer> layers;
  nn::RMSNorm norm;
  nn::RotaryEmbedding rotary_emb;

  MistralModel(const MistralConfig& config, const nn::WeightScope& w);
  // Returns the last hidden state (after the final norm); fills all_hidden_states when given.
  Tensor forward(const CausalLMInputs& inputs, std::vector<Tensor>* all_hidden_states);
};

class MistralForCausalLM : public CausalLM {
 public:
  static constexpr const char* kBaseModelPrefix = "model";

  MistralForCausalLM(MistralConfig config, std::shared_ptr<nn::WeightStore> store);
  static std::unique_ptr<MistralForCausalLM> from_pretrained(const std::filesystem::path& model_dir,
                                                             const LoadOptions& options = {});

  CausalLMOutput forward(const CausalLMInputs& inputs) override;
  std::unique_ptr<nn::KVCache> make_cache(int64_t max_cache_len = 0) const override;
  std::unique_ptr<nn::KVCache> make_sliding_window_cache(int64_t max_cache_len) const override;
  int64_t vocab_size() const override { return config_.vocab_size; }
  const PretrainedConfig& config() const override { return config_; }
  const std::vector<std::pair<std::string, Tensor>>& named_parameters() const override {
    return store_->parameters();
  }

 private:
  MistralConfig config_;
  std::shared_ptr<nn::WeightStore> store_;

 public:
  MistralModel model;
  nn::Linear lm_head;
};

}  // namespace transformers::models::mistral
