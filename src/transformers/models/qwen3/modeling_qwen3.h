#pragma once
// Qwen3, as Hugging Face's modeling_qwen3.py: Qwen3Model and Qwen3ForCausalLM.
#include <memory>
#include <vector>

#include "transformers/models/qwen3/configuration_qwen3.h"
#include "transformers/models/modeling_utils.h"
#include "transformers/nn/modules.h"
#include "transformers/nn/rotary.h"

namespace transformers::models::qwen3 {

struct Qwen3MLP {
  nn::Linear gate_proj, up_proj, down_proj;
  nn::Activation act_fn;

  Qwen3MLP(const Qwen3Config& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& x) const;
};

struct Qwen3Attention {
  int64_t layer_idx, head_dim, num_key_value_groups;
  double scaling;
  int64_t sliding_window;  // 0: full attention
  nn::Linear q_proj, k_proj, v_proj, o_proj;
  nn::RMSNorm q_norm, k_norm;  // over head_dim, shared by all heads

  Qwen3Attention(const Qwen3Config& config, const nn::WeightScope& w, int64_t layer_idx);
  Tensor forward(const Tensor& hidden_states, const std::pair<Tensor, Tensor>& position_embeddings,
                 const Tensor& attention_mask, nn::KVCache* past_key_values) const;
};

struct Qwen3DecoderLayer {
  Qwen3Attention self_attn;
  Qwen3MLP mlp;
  nn::RMSNorm input_layernorm, post_attention_layernorm;

  Qwen3DecoderLayer(const Qwen3Config& config, const nn::WeightScope& w, int64_t layer_idx);
  Tensor forward(const Tensor& hidden_states, const std::pair<Tensor, Tensor>& position_embeddings,
                 const Tensor& attention_mask, nn::KVCache* past_key_values) const;
};

struct Qwen3Model {
  nn::Embedding embed_tokens;
  std::vector<Qwen3DecoderLayer> layers;
  nn::RMSNorm norm;
  nn::RotaryEmbedding rotary_emb;

  Qwen3Model(const Qwen3Config& config, const nn::WeightScope& w);
  // Returns the last hidden state (after the final norm); fills all_hidden_states when given.
  Tensor forward(const CausalLMInputs& inputs, std::vector<Tensor>* all_hidden_states);
};

class Qwen3ForCausalLM : public CausalLM {
 public:
  static constexpr const char* kBaseModelPrefix = "model";

  Qwen3ForCausalLM(Qwen3Config config, std::shared_ptr<nn::WeightStore> store);
  static std::unique_ptr<Qwen3ForCausalLM> from_pretrained(const std::filesystem::path& model_dir,
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
  Qwen3Config config_;
  std::shared_ptr<nn::WeightStore> store_;

 public:
  Qwen3Model model;
  nn::Linear lm_head;
};

}  // namespace transformers::models::qwen3
