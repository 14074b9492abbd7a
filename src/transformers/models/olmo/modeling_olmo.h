#pragma once
// OLMo, as Hugging Face v4.51's modeling_olmo.py: OlmoModel and OlmoForCausalLM.
#include <memory>
#include <vector>

#include "transformers/models/modeling_utils.h"
#include "transformers/models/olmo/configuration_olmo.h"
#include "transformers/nn/modules.h"
#include "transformers/nn/rotary.h"

namespace transformers::models::olmo {

// LayerNorm with no learnable weight or bias (eps 1e-5), computed in f32.
struct OlmoLayerNorm {
  int64_t hidden_size = 0;

  OlmoLayerNorm() = default;
  explicit OlmoLayerNorm(int64_t hidden_size) : hidden_size(hidden_size) {}
  Tensor forward(const Tensor& hidden_states) const;
  Tensor operator()(const Tensor& hidden_states) const { return forward(hidden_states); }
};

struct OlmoMLP {
  nn::Linear gate_proj, up_proj, down_proj;
  nn::Activation act_fn;

  OlmoMLP(const OlmoConfig& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& x) const;
};

struct OlmoAttention {
  int64_t layer_idx, head_dim, num_key_value_groups;
  double scaling;
  std::optional<double> clip_qkv;
  nn::Linear q_proj, k_proj, v_proj, o_proj;

  OlmoAttention(const OlmoConfig& config, const nn::WeightScope& w, int64_t layer_idx);
  Tensor forward(const Tensor& hidden_states, const std::pair<Tensor, Tensor>& position_embeddings,
                 const Tensor& attention_mask, nn::KVCache* past_key_values) const;
};

struct OlmoDecoderLayer {
  OlmoAttention self_attn;
  OlmoMLP mlp;
  OlmoLayerNorm input_layernorm, post_attention_layernorm;

  OlmoDecoderLayer(const OlmoConfig& config, const nn::WeightScope& w, int64_t layer_idx);
  Tensor forward(const Tensor& hidden_states, const std::pair<Tensor, Tensor>& position_embeddings,
                 const Tensor& attention_mask, nn::KVCache* past_key_values) const;
};

struct OlmoModel {
  nn::Embedding embed_tokens;
  std::vector<OlmoDecoderLayer> layers;
  OlmoLayerNorm norm;
  nn::RotaryEmbedding rotary_emb;

  OlmoModel(const OlmoConfig& config, const nn::WeightScope& w);
  // Returns the last hidden state (after the final norm); fills all_hidden_states when given.
  Tensor forward(const CausalLMInputs& inputs, std::vector<Tensor>* all_hidden_states);
};

class OlmoForCausalLM : public CausalLM {
 public:
  static constexpr const char* kBaseModelPrefix = "model";

  OlmoForCausalLM(OlmoConfig config, std::shared_ptr<nn::WeightStore> store);
  static std::unique_ptr<OlmoForCausalLM> from_pretrained(const std::filesystem::path& model_dir,
                                                          const LoadOptions& options = {});

  CausalLMOutput forward(const CausalLMInputs& inputs) override;
  std::unique_ptr<nn::KVCache> make_cache(int64_t max_cache_len = 0) const override;
  int64_t vocab_size() const override { return config_.vocab_size; }
  const PretrainedConfig& config() const override { return config_; }
  const std::vector<std::pair<std::string, Tensor>>& named_parameters() const override {
    return store_->parameters();
  }

 private:
  OlmoConfig config_;
  std::shared_ptr<nn::WeightStore> store_;

 public:
  OlmoModel model;
  nn::Linear lm_head;
};

}  // namespace transformers::models::olmo
