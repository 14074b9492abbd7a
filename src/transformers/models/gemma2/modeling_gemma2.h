#pragma once
// Gemma2, as Hugging Face's modeling_gemma2.py: Gemma2Model and Gemma2ForCausalLM.
#include <memory>
#include <vector>

#include "transformers/models/gemma2/configuration_gemma2.h"
#include "transformers/models/modeling_utils.h"
#include "transformers/nn/modules.h"
#include "transformers/nn/rotary.h"

namespace transformers::models::gemma2 {

struct Gemma2MLP {
  nn::Linear gate_proj, up_proj, down_proj;
  nn::Activation act_fn;

  Gemma2MLP(const Gemma2Config& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& x) const;
};

struct Gemma2Attention {
  int64_t layer_idx, head_dim, num_key_value_groups;
  double scaling;
  int64_t sliding_window;          // 0: global attention
  double attn_logit_softcapping;   // 0: none
  nn::Linear q_proj, k_proj, v_proj, o_proj;

  Gemma2Attention(const Gemma2Config& config, const nn::WeightScope& w, int64_t layer_idx);
  Tensor forward(const Tensor& hidden_states, const std::pair<Tensor, Tensor>& position_embeddings,
                 const Tensor& attention_mask, nn::KVCache* past_key_values) const;
};

struct Gemma2DecoderLayer {
  Gemma2Attention self_attn;
  Gemma2MLP mlp;
  nn::RMSNorm input_layernorm, post_attention_layernorm;
  nn::RMSNorm pre_feedforward_layernorm, post_feedforward_layernorm;

  Gemma2DecoderLayer(const Gemma2Config& config, const nn::WeightScope& w, int64_t layer_idx);
  Tensor forward(const Tensor& hidden_states, const std::pair<Tensor, Tensor>& position_embeddings,
                 const Tensor& attention_mask, nn::KVCache* past_key_values) const;
};

struct Gemma2Model {
  nn::Embedding embed_tokens;
  std::vector<Gemma2DecoderLayer> layers;
  nn::RMSNorm norm;
  nn::RotaryEmbedding rotary_emb;
  int64_t hidden_size;

  Gemma2Model(const Gemma2Config& config, const nn::WeightScope& w);
  // Returns the last hidden state (after the final norm); fills all_hidden_states when given.
  Tensor forward(const CausalLMInputs& inputs, std::vector<Tensor>* all_hidden_states);
};

class Gemma2ForCausalLM : public CausalLM {
 public:
  static constexpr const char* kBaseModelPrefix = "model";

  Gemma2ForCausalLM(Gemma2Config config, std::shared_ptr<nn::WeightStore> store);
  static std::unique_ptr<Gemma2ForCausalLM> from_pretrained(const std::filesystem::path& model_dir,
                                                             const LoadOptions& options = {});

  CausalLMOutput forward(const CausalLMInputs& inputs) override;
  std::unique_ptr<nn::KVCache> make_cache(int64_t max_cache_len = 0) const override;
  int64_t vocab_size() const override { return config_.vocab_size; }
  const PretrainedConfig& config() const override { return config_; }
  const std::vector<std::pair<std::string, Tensor>>& named_parameters() const override {
    return store_->parameters();
  }

 private:
  Gemma2Config config_;
  std::shared_ptr<nn::WeightStore> store_;

 public:
  Gemma2Model model;
  nn::Linear lm_head;
};

}  // namespace transformers::models::gemma2
