#pragma once
// Qwen2, as Hugging Face's modeling_qwen2.py: Qwen2Model and Qwen2ForCausalLM.
#include <memory>
#include <vector>

#include "transformers/models/qwen2/configuration_qwen2.h"
#include "transformers/models/modeling_utils.h"
#include "transformers/nn/modules.h"
#include "transformers/nn/rotary.h"

namespace transformers::models::qwen2 {

struct Qwen2MLP {
  nn::Linear gate_proj, up_proj, down_proj;
  nn::Activation act_fn;

  Qwen2MLP(const Qwen2Config& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& x) const;
};

struct Qwen2Attention {
  int64_t layer_idx, head_dim, num_key_value_groups;
  double scaling;
  int64_t sliding_window;  // 0: full attention
  nn::Linear q_proj, k_proj, v_proj, o_proj;

  Qwen2Attention(const Qwen2Config& config, const nn::WeightScope& w, int64_t layer_idx);
  Tensor forward(const Tensor& hidden_states, const std::pair<Tensor, Tensor>& position_embeddings,
                 const Tensor& attention_mask, nn::KVCache* past_key_values) const;
};

struct Qwen2DecoderLayer {
  Qwen2Attention self_attn;
  Qwen2MLP mlp;
  nn::RMSNorm input_layernorm, post_attention_layernorm;

  Qwen2DecoderLayer(const Qwen2Config& config, const nn::WeightScope& w, int64_t layer_idx);
  Tensor forward(const Tensor& hidden_states, const std::pair<Tensor, Tensor>& position_embeddings,
                 const Tensor& attention_mask, nn::KVCache* past_key_values) const;
};

struct Qwen2Model {
  nn::Embedding embed_tokens;
  std::vector<Qwen2DecoderLayer> layers;
  nn::RMSNorm norm;
  nn::RotaryEmbedding rotary_emb;

  Qwen2Model(const Qwen2Config& config, const nn::WeightScope& w);
  // Returns the last hidden state (after the final norm); fills all_hidden_states when given.
  Tensor forward(const CausalLMInputs& inputs, std::vector<Tensor>* all_hidden_states);
};

class Qwen2ForCausalLM : public CausalLM {
 public:
  static constexpr const char* kBaseModelPrefix = "model";

  Qwen2ForCausalLM(Qwen2Config config, std::shared_ptr<nn::WeightStore> store);
  static std::unique_ptr<Qwen2ForCausalLM> from_pretrained(const std::filesystem::path& model_dir,
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
  Qwen2Config config_;
  std::shared_ptr<nn::WeightStore> store_;

 public:
  Qwen2Model model;
  nn::Linear lm_head;
};

}  // namespace transformers::models::qwen2
