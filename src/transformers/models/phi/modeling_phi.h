#pragma once
// Phi (phi-1, phi-1.5, phi-2), as Hugging Face's modeling_phi.py: PhiModel and PhiForCausalLM.
#include <memory>
#include <optional>
#include <vector>

#include "transformers/models/modeling_utils.h"
#include "transformers/models/phi/configuration_phi.h"
#include "transformers/nn/modules.h"
#include "transformers/nn/rotary.h"

namespace transformers::models::phi {

struct PhiMLP {
  nn::Linear fc1, fc2;
  nn::Activation activation_fn;

  PhiMLP(const PhiConfig& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& hidden_states) const;
};

struct PhiAttention {
  int64_t layer_idx, head_dim, num_key_value_groups, rotary_ndims;
  double scaling;
  nn::Linear q_proj, k_proj, v_proj, dense;
  std::optional<nn::LayerNorm> q_layernorm, k_layernorm;  // config.qk_layernorm

  PhiAttention(const PhiConfig& config, const nn::WeightScope& w, int64_t layer_idx);
  Tensor forward(const Tensor& hidden_states, const std::pair<Tensor, Tensor>& position_embeddings,
                 const Tensor& attention_mask, nn::KVCache* past_key_value) const;
};

struct PhiDecoderLayer {
  PhiAttention self_attn;
  PhiMLP mlp;
  nn::LayerNorm input_layernorm;

  PhiDecoderLayer(const PhiConfig& config, const nn::WeightScope& w, int64_t layer_idx);
  Tensor forward(const Tensor& hidden_states, const std::pair<Tensor, Tensor>& position_embeddings,
                 const Tensor& attention_mask, nn::KVCache* past_key_value) const;
};

struct PhiModel {
  nn::Embedding embed_tokens;
  std::vector<PhiDecoderLayer> layers;
  nn::RotaryEmbedding rotary_emb;
  nn::LayerNorm final_layernorm;

  PhiModel(const PhiConfig& config, const nn::WeightScope& w);
  // Returns the last hidden state (after final_layernorm); fills all_hidden_states when given.
  Tensor forward(const CausalLMInputs& inputs, std::vector<Tensor>* all_hidden_states);
};

class PhiForCausalLM : public CausalLM {
 public:
  static constexpr const char* kBaseModelPrefix = "model";

  PhiForCausalLM(PhiConfig config, std::shared_ptr<nn::WeightStore> store);
  static std::unique_ptr<PhiForCausalLM> from_pretrained(const std::filesystem::path& model_dir,
                                                         const LoadOptions& options = {});

  CausalLMOutput forward(const CausalLMInputs& inputs) override;
  std::unique_ptr<nn::KVCache> make_cache(int64_t max_cache_len = 0) const override;
  int64_t vocab_size() const override { return config_.vocab_size; }
  const PretrainedConfig& config() const override { return config_; }
  const std::vector<std::pair<std::string, Tensor>>& named_parameters() const override {
    return store_->parameters();
  }

 private:
  PhiConfig config_;
  std::shared_ptr<nn::WeightStore> store_;

 public:
  PhiModel model;
  nn::Linear lm_head;  // with a bias, unlike Llama's
};

}  // namespace transformers::models::phi
