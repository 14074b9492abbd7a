#pragma once
// OLMo 2, as Hugging Face v4.51's modeling_olmo2.py: Olmo2Model and Olmo2ForCausalLM.
#include <memory>
#include <vector>

#include "transformers/models/modeling_utils.h"
#include "transformers/models/olmo2/configuration_olmo2.h"
#include "transformers/nn/modules.h"
#include "transformers/nn/rotary.h"

namespace transformers::models::olmo2 {

struct Olmo2MLP {
  nn::Linear gate_proj, up_proj, down_proj;
  nn::Activation act_fn;

  Olmo2MLP(const Olmo2Config& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& x) const;
};

struct Olmo2Attention {
  int64_t layer_idx, head_dim, num_key_value_groups;
  double scaling;
  nn::Linear q_proj, k_proj, v_proj, o_proj;
  // Olmo2RMSNorm over the whole projection (all heads together), not per head.
  nn::RMSNorm q_norm, k_norm;

  Olmo2Attention(const Olmo2Config& config, const nn::WeightScope& w, int64_t layer_idx);
  Tensor forward(const Tensor& hidden_states, const std::pair<Tensor, Tensor>& position_embeddings,
                 const Tensor& attention_mask, nn::KVCache* past_key_values) const;
};

struct Olmo2DecoderLayer {
  Olmo2Attention self_attn;
  Olmo2MLP mlp;
  // Norms after attention and after the MLP, none before.
  nn::RMSNorm post_attention_layernorm, post_feedforward_layernorm;

  Olmo2DecoderLayer(const Olmo2Config& config, const nn::WeightScope& w, int64_t layer_idx);
  Tensor forward(const Tensor& hidden_states, const std::pair<Tensor, Tensor>& position_embeddings,
                 const Tensor& attention_mask, nn::KVCache* past_key_values) const;
};

struct Olmo2Model {
  nn::Embedding embed_tokens;
  std::vector<Olmo2DecoderLayer> layers;
  nn::RMSNorm norm;
  nn::RotaryEmbedding rotary_emb;

  Olmo2Model(const Olmo2Config& config, const nn::WeightScope& w);
  // Returns the last hidden state (after the final norm); fills all_hidden_states when given.
  Tensor forward(const CausalLMInputs& inputs, std::vector<Tensor>* all_hidden_states);
};

class Olmo2ForCausalLM : public CausalLM {
 public:
  static constexpr const char* kBaseModelPrefix = "model";

  Olmo2ForCausalLM(Olmo2Config config, std::shared_ptr<nn::WeightStore> store);
  static std::unique_ptr<Olmo2ForCausalLM> from_pretrained(const std::filesystem::path& model_dir,
                                                           const LoadOptions& options = {});

  CausalLMOutput forward(const CausalLMInputs& inputs) override;
  std::unique_ptr<nn::KVCache> make_cache(int64_t max_cache_len = 0) const override;
  int64_t vocab_size() const override { return config_.vocab_size; }
  const PretrainedConfig& config() const override { return config_; }
  const std::vector<std::pair<std::string, Tensor>>& named_parameters() const override {
    return store_->parameters();
  }

 private:
  Olmo2Config config_;
  std::shared_ptr<nn::WeightStore> store_;

 public:
  Olmo2Model model;
  nn::Linear lm_head;
};

}  // namespace transformers::models::olmo2
