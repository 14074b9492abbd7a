#pragma once
// Gemma, as Hugging Face's modeling_gemma.py: GemmaModel and GemmaForCausalLM.
#include <memory>
#include <vector>

#include "transformers/models/gemma/configuration_gemma.h"
#include "transformers/models/modeling_utils.h"
#include "transformers/nn/modules.h"
#include "transformers/nn/rotary.h"

namespace transformers::models::gemma {

struct GemmaMLP {
  nn::Linear gate_proj, up_proj, down_proj;
  nn::Activation act_fn;

  GemmaMLP(const GemmaConfig& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& x) const;
};

struct GemmaAttention {
  int64_t layer_idx, head_dim, num_key_value_groups;
  double scaling;
  nn::Linear q_proj, k_proj, v_proj, o_proj;

  GemmaAttention(const GemmaConfig& config, const nn::WeightScope& w, int64_t layer_idx);
  Tensor forward(const Tensor& hidden_states, const std::pair<Tensor, Tensor>& position_embeddings,
                 const Tensor& attention_mask, nn::KVCache* past_key_values) const;
};

struct GemmaDecoderLayer {
  GemmaAttention self_attn;
  GemmaMLP mlp;
  nn::RMSNorm input_layernorm, post_attention_layernorm;

  GemmaDecoderLayer(const GemmaConfig& config, const nn::WeightScope& w, int64_t layer_idx);
  Tensor forward(const Tensor& hidden_states, const std::pair<Tensor, Tensor>& position_embeddings,
                 const Tensor& attention_mask, nn::KVCache* past_key_values) const;
};

struct GemmaModel {
  nn::Embedding embed_tokens;
  std::vector<GemmaDecoderLayer> layers;
  nn::RMSNorm norm;
  nn::RotaryEmbedding rotary_emb;
  int64_t hidden_size;

  GemmaModel(const GemmaConfig& config, const nn::WeightScope& w);
  // Returns the last hidden state (after the final norm); fills all_hidden_states when given.
  Tensor forward(const CausalLMInputs& inputs, std::vector<Tensor>* all_hidden_states);
};

class GemmaForCausalLM : public CausalLM {
 public:
  static constexpr const char* kBaseModelPrefix = "model";

  GemmaForCausalLM(GemmaConfig config, std::shared_ptr<nn::WeightStore> store);
  static std::unique_ptr<GemmaForCausalLM> from_pretrained(const std::filesystem::path& model_dir,
                                                             const LoadOptions& options = {});

  CausalLMOutput forward(const CausalLMInputs& inputs) override;
  std::unique_ptr<nn::KVCache> make_cache(int64_t max_cache_len = 0) const override;
  int64_t vocab_size() const override { return config_.vocab_size; }
  const PretrainedConfig& config() const override { return config_; }
  const std::vector<std::pair<std::string, Tensor>>& named_parameters() const override {
    return store_->parameters();
  }

 private:
  GemmaConfig config_;
  std::shared_ptr<nn::WeightStore> store_;

 public:
  GemmaModel model;
  nn::Linear lm_head;
};

}  // namespace transformers::models::gemma
